#!/usr/bin/env python3
"""A UEFI-only install disc under BIOS firmware: SeaBIOS finds no BIOS boot entry on it.

usage: iso-uefi-only.py HAKO_VMM ISO_CACHE_DIR [DIAGNOSIS_TOOL]

The disc is made at test time (tests/app/make_test_isos.py: grub-mkrescue with only the
x86_64-efi platform, so its El Torito catalog holds a single UEFI entry). hako-vmm runs stock
SeaBIOS with it in the CD-ROM drive; the facts timeline must show SeaBIOS trying the disc
("Booting from DVD/CD..."), the engine reading the El Torito catalog with UEFI entries only, and
SeaBIOS's "Boot failed" for the CD-ROM. HakoDiagnosis must conclude "this ISO only boots with
UEFI" from that timeline, both with the app's own inspection of the disc and from the engine's
catalog fact alone.
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tools'))
import hakotest as ht  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def facts_of(t, kind):
    return [f for f in t['facts'] if f['kind'] == kind]


def main():
    vmm, cache = sys.argv[1:3]
    tool = sys.argv[3] if len(sys.argv) > 3 else None
    ht.need_kvm()
    ht.need_file('/usr/share/seabios/bios.bin', 'Debian package seabios')
    ht.need_file('/usr/lib/grub/x86_64-efi', 'Debian package grub-efi-amd64-bin')
    r = subprocess.run([sys.executable, os.path.join(HERE, '..', 'app', 'make_test_isos.py'),
                        cache], capture_output=True, text=True)
    ht.check(r.returncode == 0, f'cannot make the test discs: {r.stdout} {r.stderr}')
    iso = os.path.join(cache, 'efi.iso')
    out = ht.tmpdir('firmware')
    log = os.path.join(out, 'iso-uefi-only.debugcon')
    facts_path = os.path.join(out, 'iso-uefi-only.json')
    shot = os.path.join(out, 'iso-uefi-only.png')
    cmd = [vmm, '--firmware', 'bios', '--memory', '512M', '--cdrom', iso, '--debugcon', log,
           '--screenshot', shot, '--exit-after', '60', '--diagnose=json']
    t, status, so, se = ht.run_until(cmd, log, 'No bootable device', timeout=60, linger=0.5)
    print(f'SeaBIOS gave up after {t} s; exit status {status}')
    ht.check(t is not None, 'SeaBIOS never said "No bootable device"')
    with open(facts_path, 'w') as f:
        f.write(so)
    timeline = json.loads(so)
    for f in timeline['facts']:
        if f['kind'] in ('booting', 'boot-failed', 'boot-read', 'mode-set', 'first-damage'):
            print(f'  {f["t"]:8.3f}  {f["kind"]:14} {f["text"]}')
    booting = [f for f in facts_of(timeline, 'booting') if 'DVD/CD' in f['text']]
    ht.check(booting, 'SeaBIOS did not try the CD-ROM')
    cat = [f for f in facts_of(timeline, 'boot-read') if f['b'] == 1]
    ht.check(cat and cat[0]['c'] == 2, f'the catalog fact does not say "UEFI only": {cat}')
    failed = [f for f in facts_of(timeline, 'boot-failed') if 'CDROM' in f['text']]
    ht.check(failed and failed[0]['t'] > booting[0]['t'], 'no "Boot failed" for the CD-ROM')
    ht.check(not [f for f in facts_of(timeline, 'boot-read') if f['b'] == 2 and f['c'] == 0],
             'a BIOS boot image was read from a UEFI-only disc')
    if tool:
        for media in (['--media', 'efi'], []):
            st, so2, se2, _ = ht.run([tool, '--facts', facts_path, '--firmware', 'bios',
                                      '--expect', 'iso-uefi-only'] + media, timeout=30)
            print(so2.strip())
            ht.check(st == 0, f'HakoDiagnosis ({media or "engine facts only"}) did not conclude '
                              f'"iso-uefi-only": {so2} {se2}')
    print('PASS')


if __name__ == '__main__':
    main()
