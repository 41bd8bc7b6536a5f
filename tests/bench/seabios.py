#!/usr/bin/env python3
"""Time from start to SeaBIOS's "set VGA mode" (its VGA BIOS initialised the bochs-display) under
hako-vmm and under QEMU with the equivalent devices, side by side; median of RUNS.

usage: seabios.py HAKO_VMM [RUNS]
"""
import os
import shutil
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tools'))
import hakotest as ht  # noqa: E402


def main():
    vmm = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    ht.need_kvm()
    bios = '/usr/share/seabios/bios.bin'
    ht.need_file(bios, 'Debian package seabios')
    out = ht.tmpdir('bench')
    log = os.path.join(out, 'seabios-bench.log')
    qemu = shutil.which('qemu-system-x86_64')
    cmds = {
        'hako': [vmm, '--firmware', 'bios', '--memory', '256M', '--debugcon', log,
                 '--exit-after', '60'],
        'qemu': [qemu, '-accel', 'kvm', '-nodefaults', '-display', 'none', '-m', '256M',
                 '-device', 'bochs-display', '-bios', bios, '-debugcon', f'file:{log}',
                 '-global', 'isa-debugcon.iobase=0x402'] if qemu else None,
    }
    ht.race_to_line(cmds, log, 'set VGA mode', 'set VGA mode', runs, timeout=60)


if __name__ == '__main__':
    main()
