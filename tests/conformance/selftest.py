#!/usr/bin/env python3
"""hako-replay itself: a small hand-written trace in QEMU's format, where the answers are known.

    selftest.py HAKO_REPLAY

- reads Hako answers as QEMU did are matches;
- an RTC clock register is an explained difference (the time), counted under its table entry;
- a wrong vendor ID is an unexplained mismatch: exit status 1, reported with the trace line and
  the accesses before it;
- a key typed through QEMU's monitor reaches Hako's keyboard (the scancode is then read);
- a big-endian fw_cfg DMA address is unswapped before it reaches Hako (no guest-error fact);
- with --net user the card at 00:0c.0 answers with its MAC, link up and MTU once the trace placed
  its BAR, QEMU's extra control queue is explained, no passt is started (the backend is the
  replay's socket), and a different MAC fails the replay.
"""
import gzip
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tools'))
import hakotest  # noqa: E402


def access(rw, addr, value, size, name):
    return (f'memory_region_ops_{rw} cpu 0 mr 0x55d0c0ffee00 addr {addr:#x} value {value:#x} '
            f'size {size} name \'{name}\'')


def cfg_read(devfn, reg, value, size=4):
    return [access('write', 0xCF8, 0x80000000 | devfn << 8 | reg, 4, 'pci-conf-idx'),
            f'pci_cfg_read x {devfn >> 3:02}:{devfn & 7} @{reg:#x} -> {value:#x}',
            access('read', 0xCFC, value, size, 'pci-conf-data')]


def cfg_write(devfn, reg, value, size=4):
    return [access('write', 0xCF8, 0x80000000 | devfn << 8 | reg, 4, 'pci-conf-idx'),
            access('write', 0xCFC + (reg & 3), value, size, 'pci-conf-data')]


def net_trace():
    """virtio-net at 00:0c.0: BAR4 at 0xfe000000 as a firmware places it, then what QEMU's card
    (record.net_args) answered: MAC, status (link up), MTU 65520, num_queues 3."""
    dev, common = 'virtio-pci-device-virtio-net', 'virtio-pci-common-virtio-net'
    t = cfg_read(0x60, 0x00, 0x10411AF4)
    t += cfg_write(0x60, 0x20, 0xFE00000C) + cfg_write(0x60, 0x24, 0)
    t += cfg_write(0x60, 0x04, 0x0006, 2)
    t += [access('read', 0xFE002000 + i, b, 1, dev)
          for i, b in enumerate((0x52, 0x54, 0x00, 0x12, 0x34, 0x56))]
    t += [access('read', 0xFE002006, 1, 2, dev),           # VIRTIO_NET_S_LINK_UP
          access('read', 0xFE00200A, 65520, 2, dev),       # MTU
          access('read', 0xFE000012, 3, 2, common)]        # num_queues: QEMU's control queue
    return t


def main():
    replay = sys.argv[1]
    out = hakotest.tmpdir('conformance-selftest')
    good = []
    good += cfg_read(0x00, 0x00, 0x12378086)            # i440FX
    good += cfg_read(0x10, 0x00, 0x11111234)            # bochs-display
    good[-1] = '4242@1733328000.123456:' + good[-1]      # as -msg timestamp=on prints it
    good += cfg_read(0x08, 0x2C, 0x11001AF4)            # PIIX3 subsystem
    good += [access('write', 0x70, 0x00, 1, 'rtc-index'),
             access('read', 0x71, 0x61, 1, 'rtc')]      # seconds: 61 is no BCD second: differs
    good += [access('read', 0x64, 0x18, 1, 'i8042-cmd'),  # power-on status
             'input_event_key_qcode con -1, key qcode a, down 1',
             access('read', 0x64, 0x19, 1, 'i8042-cmd'),
             access('read', 0x60, 0x1e, 1, 'i8042-data')]  # 'a' make code, translated set 1
    # fw_cfg DMA: QEMU prints the big-endian register's value as the number it means; a
    # descriptor at 0x10080 (zeros: nothing to do) must not reach Hako as one at 0x80000100,
    # outside the guest's memory
    good += [access('write', 0x514, 0, 4, 'fwcfg.dma'),
             access('write', 0x518, 0x10080, 4, 'fwcfg.dma')]
    bad = good + cfg_read(0x00, 0x00, 0x12348086)       # a wrong device ID: unexplained

    def run(lines, name, vmm=()):
        path = os.path.join(out, name + '.txt.gz')
        with gzip.open(path, 'wt') as f:
            f.write('\n'.join(lines) + '\n')
        facts = os.path.join(out, name + '-facts.json')
        p = subprocess.run([replay, '--facts-json', facts, path, '--', '--firmware', 'bios',
                            '--memory', '64M', *vmm], capture_output=True, text=True, timeout=60)
        print(f'--- {name}: exit {p.returncode}\n{p.stdout}{p.stderr}')
        return p, open(facts).read()

    p, facts = run(good, 'good')
    hakotest.check(p.returncode == 0, 'a trace Hako answers as QEMU did is not accepted')
    hakotest.check('0 lines not understood' in p.stdout, 'a line was not understood')
    hakotest.check('1 key events typed' in p.stdout, 'the key was not typed')
    hakotest.check('rtc data port, clock registers' in p.stdout,
                   'the RTC seconds were not an explained difference')
    hakotest.check('outside guest memory' not in facts,
                   'the fw_cfg DMA address reached Hako byte-swapped')
    p, _ = run(bad, 'bad')
    hakotest.check(p.returncode == 1, 'a wrong device ID did not fail the replay')
    hakotest.check('UNEXPLAINED MISMATCHES (1 kinds)' in p.stdout and
                   'QEMU read 0x12348086, Hako 0x12378086' in p.stdout,
                   'the mismatch is not reported with both values')
    hakotest.check(all(f'    {n:8d}  ' in p.stdout for n in range(9, 19)) and
                   ' ->       20  ' in p.stdout,
                   'the mismatch is not shown with the ten trace lines before it')
    # the network card; HAKO_PASST names a program that would fail loudly if it were started
    os.environ['HAKO_PASST'] = '/bin/false'
    net = ['--net', 'user', '--mac', '52:54:00:12:34:56', '--net-mtu', '65520']
    p, facts = run(net_trace(), 'net', net)
    hakotest.check(p.returncode == 0, 'the network card does not answer as QEMU\'s did')
    hakotest.check('virtio-net common configuration num_queues' in p.stdout,
                   'QEMU\'s control queue in num_queues was not an explained difference')
    hakotest.check('a connected socket' in facts and '/bin/false' not in facts,
                   'the replayed card did not get the replay\'s socket as its backend')
    p, _ = run(net_trace(), 'net-bad-mac', ['--net', 'user', '--mac', '52:54:00:12:34:57',
                                            '--net-mtu', '65520'])
    hakotest.check(p.returncode == 1 and 'QEMU read 0x56, Hako 0x57' in p.stdout,
                   'a different MAC did not fail the replay')
    print('PASS: the replay accepts matches, explains known differences, fails on a mismatch')


if __name__ == '__main__':
    main()
