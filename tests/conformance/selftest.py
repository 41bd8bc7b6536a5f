#!/usr/bin/env python3
"""hako-replay itself: a small hand-written trace in QEMU's format, where the answers are known.

    selftest.py HAKO_REPLAY

- reads Hako answers as QEMU did are matches;
- an RTC clock register is an explained difference (the time), counted under its table entry;
- a wrong vendor ID is an unexplained mismatch: exit status 1, reported with the trace line and
  the accesses before it;
- a key typed through QEMU's monitor reaches Hako's keyboard (the scancode is then read);
- a big-endian fw_cfg DMA address is unswapped before it reaches Hako (no guest-error fact).
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

    def run(lines, name):
        path = os.path.join(out, name + '.txt.gz')
        with gzip.open(path, 'wt') as f:
            f.write('\n'.join(lines) + '\n')
        facts = os.path.join(out, name + '-facts.json')
        p = subprocess.run([replay, '--facts-json', facts, path, '--', '--firmware', 'bios',
                            '--memory', '64M'], capture_output=True, text=True, timeout=60)
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
    print('PASS: the replay accepts matches, explains known differences, fails on a mismatch')


if __name__ == '__main__':
    main()
