#!/usr/bin/env python3
"""Huge pages for guest RAM: a guest touches 64 MiB of its RAM and idles; after IDLE seconds
(60 by default) the benchmark reads AnonHugePages and Rss of the engine's RAM mapping in
/proc/PID/smaps, for hako-vmm and for QEMU (the same image and RAM size; TCG: QEMU allocates and advises guest RAM
the same way under every accelerator, and hosts whose KVM emulates ring 0 do not run it under QEMU's
KVM) side by side,
and the host's transparent-huge-page mode. Hako maps RAM 2 MiB aligned with MADV_HUGEPAGE, so
where THP is "madvise" (or "always") the touched 64 MiB should be huge pages, as under QEMU.

usage: hugepages.py HAKO_VMM IMAGE [IDLE_SECONDS]
"""
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tools'))
import hakotest as ht  # noqa: E402

RAM_MIB = 256


def ram_mapping(pid):
    """(size kB, Rss kB, AnonHugePages kB, VmFlags) of the process's guest-RAM mapping: the
    anonymous mapping of RAM_MIB MiB (QEMU's may be a little larger: the biggest one that is at
    least that size)."""
    best = None
    cur = None
    with open(f'/proc/{pid}/smaps') as f:
        for line in f:
            parts = line.split()
            if '-' in parts[0] and len(parts) >= 5 and ':' not in parts[0]:
                cur = {'path': parts[5] if len(parts) > 5 else ''}
                continue
            if cur is None:
                continue
            key = parts[0].rstrip(':')
            if key in ('Size', 'Rss', 'AnonHugePages'):
                cur[key] = int(parts[1])
            elif key == 'VmFlags':
                cur['flags'] = ' '.join(parts[1:])
                if (not cur['path'] and cur.get('Size', 0) >= RAM_MIB * 1024 and
                        (best is None or cur['Size'] < best['Size'])):
                    best = cur
    return best


def run(name, cmd, log, idle):
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            if os.path.exists(log) and 'touched' in open(log, encoding='latin-1').read():
                break
            if p.poll() is not None:
                ht.fail(f'{name} ended early: {p.stderr.read()}')
            time.sleep(0.2)
        else:
            ht.fail(f'{name}: the guest never said it touched its RAM')
        time.sleep(idle)
        m = ram_mapping(p.pid)
        if not m:
            ht.fail(f'{name}: no guest-RAM mapping found in /proc/{p.pid}/smaps')
        return m
    finally:
        p.kill()
        p.wait()


def main():
    vmm, image = sys.argv[1], sys.argv[2]
    idle = float(sys.argv[3]) if len(sys.argv) > 3 else 60
    ht.need_kvm()
    out = ht.tmpdir('bench-hugepages')
    try:
        with open('/sys/kernel/mm/transparent_hugepage/enabled') as f:
            mode = f.read().split('[')[1].split(']')[0]
    except OSError:
        mode = 'unavailable'
    print(f'host THP mode: {mode}; guest touches 64 MiB of {RAM_MIB} MiB, then idles {idle:.0f} s')
    results = {}
    hlog = os.path.join(out, 'hako.debugcon')
    if os.path.exists(hlog):
        os.unlink(hlog)
    results['hako-vmm'] = run('hako-vmm', [vmm, '--firmware', image, '--memory', f'{RAM_MIB}M',
                                           '--no-display', '--debugcon', hlog,
                                           '--exit-after', str(int(idle) + 90)], hlog, idle)
    qemu = shutil.which('qemu-system-x86_64')
    if qemu:
        qlog = os.path.join(out, 'qemu.debugcon')
        if os.path.exists(qlog):
            os.unlink(qlog)
        results['qemu'] = run('qemu', [qemu, '-accel', 'tcg', '-nodefaults', '-display', 'none',
                                       '-m', f'{RAM_MIB}M', '-bios', image,
                                       '-chardev', f'file,id=dc,path={qlog}',
                                       '-device', 'isa-debugcon,iobase=0x402,chardev=dc'],
                              qlog, idle)
    for name, m in results.items():
        print(f'{name:9s} RAM mapping {m["Size"] // 1024} MiB: Rss {m["Rss"] // 1024} MiB, '
              f'AnonHugePages {m["AnonHugePages"] // 1024} MiB; VmFlags {m["flags"]}')
    if 'qemu' in results and results['qemu']['AnonHugePages']:
        ratio = results['hako-vmm']['AnonHugePages'] / results['qemu']['AnonHugePages']
        print(f'ratio:    AnonHugePages hako/qemu {ratio:.2f}x (target >= 1.0 where THP is on)')
    elif 'qemu' not in results:
        print('qemu-system-x86_64 not installed: no ratio')


if __name__ == '__main__':
    main()
