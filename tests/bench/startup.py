#!/usr/bin/env python3
"""Startup benchmark: start -> exit of a do-nothing firmware image under hako-vmm and under QEMU,
side by side in one process tree. Reports wall time and peak RSS of each and the ratios.

usage: startup.py HAKO_VMM IMAGE RUNSTAT [RUNS]
Targets: hako <= 0.15x QEMU's wall time and <= 0.2x its peak RSS.
"""
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tools'))
import hakotest as ht  # noqa: E402


def measure(runstat, cmd):
    """Wall seconds, peak RSS (KiB), exit status, stderr: measured by the small C runstat parent
    (a child forked straight from Python would report Python's own RSS as its peak)."""
    p = subprocess.run([runstat] + cmd, capture_output=True, text=True)
    wall_ms, rss, code = p.stdout.split()
    return float(wall_ms) / 1000, int(rss), int(code), p.stderr


def main():
    vmm, image, runstat = sys.argv[1], sys.argv[2], sys.argv[3]
    runs = int(sys.argv[4]) if len(sys.argv) > 4 else 10
    ht.need_kvm()
    qemu = shutil.which('qemu-system-x86_64')
    hako_cmd = [vmm, '--firmware', image, '--memory', '128M', '--no-display',
                '--debug-exit-port', '0xf4', '--exit-after', '30']
    qemu_cmd = [qemu, '-accel', 'kvm', '-nodefaults', '-display', 'none', '-m', '128M',
                '-device', 'isa-debug-exit,iobase=0xf4,iosize=4', '-bios', image] if qemu else None
    res = {'hako': [], 'qemu': []}
    for i in range(runs):
        for name, cmd in (('hako', hako_cmd), ('qemu', qemu_cmd)):
            if not cmd:
                continue
            wall, rss, code, err = measure(runstat, cmd)
            if code != 1:
                ht.fail(f'{name} ended with status {code} (expected 1): {err.strip()}')
            res[name].append((wall, rss))
    hw = ht.median([w for w, _ in res['hako']])
    hr = ht.median([r for _, r in res['hako']])
    print(f'hako-vmm: wall {hw * 1000:.1f} ms, peak RSS {hr / 1024:.1f} MiB (median of {runs})')
    if res['qemu']:
        qw = ht.median([w for w, _ in res['qemu']])
        qr = ht.median([r for _, r in res['qemu']])
        print(f'qemu:     wall {qw * 1000:.1f} ms, peak RSS {qr / 1024:.1f} MiB (median of {runs})')
        print(f'ratio:    wall {hw / qw:.3f}x (target <= 0.15), peak RSS {hr / qr:.3f}x (target <= 0.2)')
    else:
        print('qemu-system-x86_64 not installed: no ratio')


if __name__ == '__main__':
    main()
