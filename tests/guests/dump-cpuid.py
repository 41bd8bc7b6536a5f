#!/usr/bin/env python3
"""hako-vmm --dump-tables DIR writes cpuid.txt: one line per vCPU, leaf and subleaf, from the table
the engine hands KVM, and kvm-supported-cpuid.txt (KVM's own table, the format of the recorded
tables in tests/unit/data). Checks the format, both vCPUs of --cpus 2, the topology lines and the
TSC-deadline bit; and, where this runs as root with unshare(1), that without /dev/kvm the engine
still writes the ACPI and SMBIOS tables (they need no KVM), leaves the CPUID files out and says why.

usage: dump-cpuid.py HAKO_VMM
"""
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tools'))
import hakotest as ht  # noqa: E402

LINE = re.compile(r'^vcpu (\d+) leaf 0x([0-9a-f]{8}) index 0x([0-9a-f]+): eax=0x([0-9a-f]{8}) '
                  r'ebx=0x([0-9a-f]{8}) ecx=0x([0-9a-f]{8}) edx=0x([0-9a-f]{8})$')


def without_kvm(vmm, out):
    """The dump in a mount namespace whose /dev is empty."""
    unshare = shutil.which('unshare')
    if os.geteuid() != 0 or not unshare:
        print('(not root or no unshare: the no-/dev/kvm case is not run)')
        return
    d = os.path.join(out, 'nokvm')
    p = subprocess.run([unshare, '-m', 'sh', '-c',
                        f'mount -t tmpfs none /dev && exec "{vmm}" --cpus 2 --dump-tables "{d}"'],
                       capture_output=True, text=True, timeout=60)
    print(f'without /dev/kvm: status {p.returncode}: {p.stderr.strip()}')
    ht.check(p.returncode == 0, 'the ACPI and SMBIOS dump failed without /dev/kvm')
    ht.check(os.path.exists(os.path.join(d, 'acpi', 'DSDT')), 'no ACPI tables without /dev/kvm')
    ht.check(not os.path.exists(os.path.join(d, 'cpuid.txt')), 'a cpuid.txt without /dev/kvm')
    ht.check('/dev/kvm' in p.stderr, 'the message does not name /dev/kvm')


def main():
    vmm = sys.argv[1]
    out = ht.tmpdir('dump-cpuid')
    without_kvm(vmm, out)
    ht.need_kvm()
    d = os.path.join(out, 'tables')
    status, so, se, _ = ht.run([vmm, '--cpus', '2', '--dump-tables', d], timeout=60)
    ht.check(status == 0, f'--dump-tables failed ({status}): {se}')
    rows = {}
    with open(os.path.join(d, 'cpuid.txt')) as f:
        for line in f:
            m = LINE.match(line.rstrip('\n'))
            ht.check(m is not None, f'malformed line in cpuid.txt: {line!r}')
            vcpu, leaf, index = int(m[1]), int(m[2], 16), int(m[3], 16)
            rows[(vcpu, leaf, index)] = [int(m[i], 16) for i in range(4, 8)]
    ht.check({k[0] for k in rows} == {0, 1}, 'cpuid.txt does not have exactly vCPUs 0 and 1')
    for vcpu in (0, 1):
        for line in sorted(k for k in rows if k[0] == vcpu and k[1] in (1, 0xB)):
            a, b, c, dx = rows[line]
            print(f'vcpu {vcpu} leaf 0x{line[1]:08x} index 0x{line[2]:x}: eax=0x{a:08x} '
                  f'ebx=0x{b:08x} ecx=0x{c:08x} edx=0x{dx:08x}')
        a, b, c, dx = rows[(vcpu, 0xB, 1)]
        ht.check(b & 0xFFFF == 2 and (c >> 8) & 0xFF == 2 and dx == vcpu,
                 f'vcpu {vcpu}: leaf 0xB subleaf 1 is not "2 at core level"')
        a, b, c, dx = rows[(vcpu, 1, 0)]
        ht.check(b >> 24 == vcpu and (b >> 16) & 0xFF == 2, f'vcpu {vcpu}: leaf 1 EBX {b:#x}')
        ht.check(c & (1 << 24), f'vcpu {vcpu}: no TSC deadline in leaf 1 ECX')
    with open(os.path.join(d, 'kvm-supported-cpuid.txt')) as f:
        sup = [line for line in f if not line.startswith('#')]
    ht.check(sup and all(line.startswith('leaf 0x') and ' flags 0x' in line for line in sup),
             'kvm-supported-cpuid.txt is not in the recorded-table format')
    print('PASS')


if __name__ == '__main__':
    main()
