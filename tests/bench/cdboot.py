#!/usr/bin/env python3
"""Time from start to SeaBIOS's "Booting from DVD/CD..." with a grub-mkrescue ISO on a virtio-scsi
CD-ROM and an empty virtio-blk disk: hako-vmm next to QEMU with the equivalent devices
(-device virtio-scsi-pci -device scsi-cd, virtio-blk-pci; the CD first in the boot order, as
hako-vmm's --boot cdrom); median of RUNS, runs interleaved.

Where `perf` can count the kvm:kvm_emulate_insn tracepoint (root, a kernel with KVM tracing), one
more run of each is counted: on hosts without hardware virtualization (PVM, or any KVM that
emulates real-mode and flat protected-mode firmware), the interval is mostly the host kernel
emulating SeaBIOS instruction by instruction, the same instructions for both VMMs, so the counts
show how much of the ratio any VMM can influence there.

usage: cdboot.py HAKO_VMM HAKO_IMG [RUNS]
"""
import os
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'tools'))
sys.path.insert(0, os.path.join(HERE, '..', 'firmware'))
import hakotest as ht  # noqa: E402
import storagetest as st  # noqa: E402


EVENTS = ('kvm:kvm_emulate_insn', 'kvm:kvm_userspace_exit')


def perf_usable():
    perf = shutil.which('perf')
    if not perf or os.geteuid() != 0:
        return None
    for root in ('/sys/kernel/tracing', '/sys/kernel/debug/tracing'):
        if os.path.isdir(os.path.join(root, 'events', 'kvm', 'kvm_emulate_insn')):
            return perf
    return None


def count_events(perf, cmd, log, out):
    """Counts EVENTS system-wide while cmd runs to "Booting from DVD/CD"; {event: count}."""
    res = os.path.join(out, 'cdboot.perf')
    p = subprocess.Popen([perf, 'stat', '-a', '-x,', '-o', res, '-e', ','.join(EVENTS)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)  # perf attached
    t, _, _, _ = ht.run_until(cmd, log, 'Booting from DVD/CD', timeout=90)
    p.send_signal(signal.SIGINT)
    p.wait(timeout=30)
    counts = {}
    with open(res) as f:
        for line in f:
            parts = line.strip().split(',')
            if len(parts) > 2 and parts[2] in EVENTS and parts[0].isdigit():
                counts[parts[2]] = int(parts[0])
    return t, counts


def main():
    vmm, img_tool = sys.argv[1:3]
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    ht.need_kvm()
    bios = '/usr/share/seabios/bios.bin'
    ht.need_file(bios, 'Debian package seabios')
    iso = st.grub_iso()
    out = ht.tmpdir('bench')
    disk = st.hako_img_create(img_tool, os.path.join(out, 'cdboot.img'), '4G')
    log = os.path.join(out, 'cdboot.debugcon')
    qemu = shutil.which('qemu-system-x86_64')
    cmds = {
        'hako': [vmm, '--firmware', 'bios', '--memory', '1G', '--cdrom', iso, '--disk', disk,
                 '--boot', 'cdrom', '--debugcon', log, '--exit-after', '90'],
        'qemu': [qemu, '-accel', 'kvm', '-nodefaults', '-display', 'none', '-m', '1G',
                 '-bios', bios, '-device', 'bochs-display',
                 '-device', 'virtio-scsi-pci', '-device', 'scsi-cd,drive=cd,bootindex=0',
                 '-drive', f'if=none,id=cd,file={iso},media=cdrom,readonly=on',
                 '-device', 'virtio-blk-pci,drive=hd,bootindex=1',
                 '-drive', f'if=none,id=hd,file={disk},format=raw',
                 '-debugcon', f'file:{log}', '-global', 'isa-debugcon.iobase=0x402']
        if qemu else None,
    }
    ht.race_to_line(cmds, log, 'Booting from DVD/CD', 'Booting from DVD/CD...', runs, timeout=90)
    perf = perf_usable()
    if perf:
        print('one more run each, counted with perf (system-wide, this VM alone running):')
        for name, cmd in cmds.items():
            if not cmd:
                continue
            t, c = count_events(perf, cmd, log, out)
            n = c.get(EVENTS[0], 0)
            per = f', {t / n * 1e6:.2f} us of wall time per emulated instruction' if t and n else ''
            print(f'  {name}: {n} instructions emulated by the host kernel, '
                  f'{c.get(EVENTS[1], 0)} exits to the VMM{per}')
    os.unlink(disk)


if __name__ == '__main__':
    main()
