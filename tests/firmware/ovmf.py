#!/usr/bin/env python3
"""Stock OVMF (Debian's /usr/share/OVMF) on Hako's engine, and what the engine says about it.

usage: ovmf.py HAKO_VMM [DIAGNOSIS_TOOL] [--net]

Runs `hako-vmm --firmware uefi` with the VM's own variable store (created from the template) and
`--diagnose=json`, then accepts one of two honest outcomes and reports which it saw:

  * the host's KVM cannot run OVMF: on nested, paravirtual KVM hosts the instruction emulator stops
    at SEC's FWAIT/FNINIT (9b db e3). The engine must stop with status 3 and record an
    internal-error fact with those bytes at an address inside the CODE image; nothing may have
    been drawn and the store must be the untouched template.
  * OVMF runs (hardware virtualization): its GOP driver must set a mode on bochs-display
    ("GOP mode set" 1280x800, 32 bpp), the firmware must have probed the variable flash, and the
    screen must not be black.

With --net the VM has the network card too (--net user, passt behind it): the same two outcomes
must come out (the card disturbs neither SEC nor the GOP driver); when OVMF runs, its own
virtio-net driver is what starts the card, and the network facts it left are printed.

Anything else (a timeout without either, a triple fault, ...) fails with the timeline printed.
The refusal paths are checked end to end too: a 2 MiB CODE with the 4 MiB store and a Secure
Boot build must stop before the VM starts, with a firmware-refused fact.
"""
import filecmp
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tools'))
import hakotest as ht  # noqa: E402

OVMF = '/usr/share/OVMF/'
CODE_4M, VARS_4M = OVMF + 'OVMF_CODE_4M.fd', OVMF + 'OVMF_VARS_4M.fd'
CODE_BASE = 0x100000000 - 0x37C000  # where the 4 MiB build's CODE is mapped
FW_PROBLEM_MISMATCH, FW_PROBLEM_SECURE_BOOT = 4, 5
MODE_BY_FIRMWARE_GOP = 0x1  # hako/facts.h


def facts_of(t, kind):
    return [f for f in t['facts'] if f['kind'] == kind]


def show(t, limit=40):
    for f in t['facts'][:limit]:
        print(f'  {f["t"]:8.3f}  {f["kind"]:18} a={f["a"]} b=0x{f["b"] & 0xFFFFFFFFFFFFFFFF:x} '
              f'{f["text"]} {" ".join(f.get("paths", []))}')


def diagnose(tool, facts_path, expect):
    if not tool:
        return
    st, so, se, _ = ht.run([tool, '--facts', facts_path, '--firmware', 'uefi', '--expect', expect],
                           timeout=30)
    print(so.strip())
    ht.check(st == 0, f'HakoDiagnosis did not conclude "{expect}": {so} {se}')


def refusals(vmm, out):
    # the files to use instead travel as path fields, whole, however long: a copy of Debian's
    # 4 MiB pair in a folder with a long name (the refusal's text used to be cut at 119 bytes)
    deep = os.path.join(out, 'a-folder-with-a-rather-long-name-' + 'x' * 200,
                        'and-deeper-' + 'y' * 120)
    os.makedirs(deep, exist_ok=True)
    long_code = os.path.join(deep, 'OVMF_CODE_4M.fd')
    long_vars = os.path.join(deep, 'OVMF_VARS_4M.fd')
    shutil.copyfile(CODE_4M, long_code)
    shutil.copyfile(VARS_4M, long_vars)
    cases = [
        (['--ovmf-code', OVMF + 'OVMF_CODE.fd', '--ovmf-vars-template', VARS_4M],
         FW_PROBLEM_MISMATCH, ['', OVMF + 'OVMF_VARS.fd']),
        (['--ovmf-code', OVMF + 'OVMF_CODE_4M.secboot.fd'], FW_PROBLEM_SECURE_BOOT,
         [CODE_4M, VARS_4M]),
        (['--ovmf-code', long_code, '--ovmf-vars-template', OVMF + 'OVMF_VARS.fd'],
         FW_PROBLEM_MISMATCH, ['', long_vars]),
    ]
    for args, problem, paths in cases:
        st, so, se, _ = ht.run([vmm, '--firmware', 'uefi', '--diagnose=json'] + args, timeout=30)
        print(f'refused {args[1]}: status {st}: {se.strip()}')
        ht.check(st == 1, f'{args} was not refused (status {st})')
        t = json.loads(so)
        r = facts_of(t, 'firmware-refused')
        ht.check(len(r) == 1 and r[0]['a'] == problem, f'firmware-refused facts: {r}')
        ht.check(r and r[0].get('paths') == paths,
                 f'the refusal does not name {paths}: {r[0] if r else None}')


def main():
    args = [a for a in sys.argv[1:] if a != '--net']
    net = '--net' in sys.argv[1:]
    vmm = args[0]
    tool = args[1] if len(args) > 1 else None
    ht.need_kvm()
    ht.need_file(CODE_4M, 'Debian package ovmf')
    ht.need_file(VARS_4M, 'Debian package ovmf')
    out = ht.tmpdir('firmware')
    if not net:
        refusals(vmm, out)

    vmdir = os.path.join(out, 'ovmf-net-vm' if net else 'ovmf-vm')
    shutil.rmtree(vmdir, ignore_errors=True)
    os.makedirs(vmdir)
    vars_path = os.path.join(vmdir, 'OVMF_VARS.fd')
    shot = os.path.join(vmdir, 'screen.png')
    serial = os.path.join(vmdir, 'serial.log')
    facts_path = os.path.join(vmdir, 'facts.json')
    cmd = [vmm, '--firmware', 'uefi', '--memory', '1G', '--ovmf-vars', vars_path,
           '--serial', serial, '--screenshot', shot, '--exit-after', '60', '--diagnose=json']
    if net:
        cmd += ['--net', 'user']
    status, so, se, secs = ht.run(cmd, timeout=120)
    print(f'OVMF run: exit status {status} after {secs:.1f} s')
    if se.strip():
        print(se.strip())
    with open(facts_path, 'w') as f:
        f.write(so)
    t = json.loads(so)
    show(t)

    fw = facts_of(t, 'firmware')
    ht.check(fw and fw[0].get('paths', [''])[0] == CODE_4M, f'firmware fact: {fw}')
    fv = facts_of(t, 'firmware-vars')
    ht.check(fv and fv[0]['a'] == 0x84000 and fv[0].get('paths') == [vars_path, VARS_4M],
             f'firmware-vars fact: {fv}')
    ht.check(os.path.getsize(vars_path) == 0x84000, 'the VM store was not created')

    errors = facts_of(t, 'internal-error')
    modes = [m for m in facts_of(t, 'mode-set') if m.get('flags', 0) & MODE_BY_FIRMWARE_GOP]
    if errors:
        e = errors[0]
        print(f'OUTCOME: the host KVM cannot run OVMF: emulation failure at 0x{e["b"]:x}, '
              f'instruction bytes {e["text"]}')
        ht.check(status == 3, f'exit status {status}, expected 3 after an internal error')
        ht.check(e.get('insn', [])[:3] == [0x9b, 0xdb, 0xe3],
                 f'the failing instruction is {e.get("insn")}, not FWAIT; FNINIT (9b db e3)')
        ht.check(CODE_BASE <= e['b'] < 0x100000000, f'rip 0x{e["b"]:x} is outside OVMF CODE')
        ht.check(not modes and not facts_of(t, 'first-damage'), 'something was drawn')
        ht.check(filecmp.cmp(vars_path, VARS_4M, shallow=False),
                 'the store changed although OVMF never reached its variable driver')
        diagnose(tool, facts_path, 'host-kvm')
    elif modes:
        m = modes[0]
        print(f'OUTCOME: OVMF ran: GOP mode set {m["a"]}x{m["b"]} {m["c"]} bpp at {m["t"]:.2f} s')
        ht.check((m['a'], m['b'], m['c']) == (1280, 800, 32), f'GOP mode {m}')
        ht.check(facts_of(t, 'flash-probe'), 'OVMF did not probe its variable flash')
        ht.check(status == 0, f'exit status {status}')
        img = ht.read_png(shot)
        _, avg, _ = img.region_stats(0, 0, img.width, img.height)
        bright, _, _ = img.region_stats(0, 0, img.width, img.height, light=100)
        print(f'screen {img.width}x{img.height}, {bright} light pixels, average {avg:.1f}')
        ht.check(bright > 1000, 'the screen is black although GOP set a mode')
    else:
        ht.fail('neither an internal error nor a GOP mode set: see the timeline above')
    if net:
        nf = [f for f in t['facts'] if f['kind'].startswith('net-')]
        ht.check(nf and nf[0]['kind'] == 'net-backend',
                 f'no network card with passt behind it: {nf}')
        print('network facts:', ', '.join(f'{f["kind"]} {f["text"]}'.strip() for f in nf))
    print('PASS')


if __name__ == '__main__':
    main()
