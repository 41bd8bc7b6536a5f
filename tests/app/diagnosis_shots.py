#!/usr/bin/env python3
"""HakoDiagnosisPage for real engine timelines, in English and Japanese, under Xvfb.

usage: diagnosis_shots.py DIAGNOSIS_PREVIEW HAKO_VMM

Runs hako-vmm for the cases this host can produce (stock OVMF: the host's KVM stops at FNINIT
or GOP sets a mode; a mismatched OVMF pair refused before the start), feeds each --diagnose=json
timeline to diagnosis-preview, which renders the page as the VM view shows it (details expanded),
and checks the verdict and that the Japanese rendering differs from the English one. The PNGs are
kept in <build>/test-output/app-diagnosis-shots/. Exits 77 without /dev/kvm, Xvfb or OVMF.
"""
import os
import shutil
import subprocess
import sys
import time

from hakotest import check, fail, need_file, need_kvm, read_png, run, start_xvfb, tmpdir, SKIP

OVMF = '/usr/share/OVMF/'


def start_x():
    return start_xvfb(range(120, 240))


def main():
    preview, vmm = sys.argv[1:3]
    need_kvm()
    need_file(OVMF + 'OVMF_CODE_4M.fd', 'Debian package ovmf')
    out = tmpdir('app-diagnosis-shots')
    cases = []
    # stock OVMF on this host
    st, so, se, _ = run([vmm, '--firmware', 'uefi', '--memory', '1G', '--exit-after', '60',
                         '--diagnose=json'], timeout=120)
    path = os.path.join(out, 'ovmf.json')
    with open(path, 'w') as f:
        f.write(so)
    cases.append(('ovmf', path, ['--firmware', 'uefi', '--ended', str(st)],
                  'host-kvm' if st == 3 else None))
    # a 2 MiB CODE with the 4 MiB store: refused before the start
    st, so, se, _ = run([vmm, '--firmware', 'uefi', '--ovmf-code', OVMF + 'OVMF_CODE.fd',
                         '--ovmf-vars-template', OVMF + 'OVMF_VARS_4M.fd', '--diagnose=json'],
                        timeout=60)
    check(st == 1, f'the mismatched pair was not refused ({st})')
    path = os.path.join(out, 'mismatch.json')
    with open(path, 'w') as f:
        f.write(so)
    cases.append(('mismatch', path, ['--firmware', 'uefi', '--ended', '1'], 'firmware-mismatch'))

    xvfb, display = start_x()
    try:
        env = dict(os.environ, DISPLAY=display, GDK_BACKEND='x11', GSK_RENDERER='cairo',
                   LIBGL_ALWAYS_SOFTWARE='1', LANG='C.UTF-8', NO_AT_BRIDGE='1')
        env.pop('WAYLAND_DISPLAY', None)
        for name, facts, args, expect in cases:
            pngs = {}
            for lang in ('en', 'ja'):
                e = dict(env)
                if lang == 'ja':
                    e['LANGUAGE'] = 'ja'
                else:
                    e['LANGUAGE'] = 'C'
                png = os.path.join(out, f'{name}-{lang}.png')
                r = subprocess.run([preview, facts, png, '--expand', '--height', '1000'] + args, env=e,
                                   capture_output=True, text=True, timeout=60)
                print(f'{name} ({lang}): {r.stdout.strip()} {r.stderr.strip()[-300:]}')
                check(r.returncode == 0, f'diagnosis-preview failed for {name} ({lang})')
                if expect:
                    check(r.stdout.startswith(expect + ':'), f'{name}: not "{expect}"')
                img = read_png(png)
                bright, avg, n = img.region_stats(0, 0, img.width, img.height, light=200)
                print(f'  {png}: {img.width}x{img.height}, average brightness {avg:.0f}')
                check(img.width >= 800 and img.height >= 600, 'the picture is too small')
                pngs[lang] = img
            check(pngs['en'].rgb != pngs['ja'].rgb, f'{name}: the Japanese page looks English')
    finally:
        xvfb.kill()
        xvfb.wait()
    print('PASS')


if __name__ == '__main__':
    main()
