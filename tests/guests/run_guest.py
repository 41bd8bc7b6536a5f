#!/usr/bin/env python3
"""Runs one assembled guest program under hako-vmm and checks how it ended.

usage: run_guest.py HAKO_VMM IMAGE NAME [extra engine args...]
The program passes by writing 0x10 to the debug exit port (status 33).
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tools'))
import hakotest as ht  # noqa: E402


def check_fb_user(shot):
    img = ht.read_png(shot)
    ht.check((img.width, img.height) == (640, 480), f'scanout is {img.width}x{img.height}')
    for x, y in ((0, 0), (17, 3), (300, 200), (639, 479), (255, 255)):
        want = (x & 0xFF, y & 0xFF, 0x5A)
        got = img.pixel(x, y)
        ht.check(got == want, f'pixel ({x},{y}) is {got}, the guest wrote {want}')


CHECKS = {'fb-user': check_fb_user}


def main():
    vmm, image, name = sys.argv[1:4]
    extra = sys.argv[4:]
    ht.need_kvm()
    out = ht.tmpdir('guests')
    shot = os.path.join(out, name + '.png')
    log = os.path.join(out, name + '.debugcon')
    cmd = [vmm, '--firmware', image, '--debug-exit-port', '0xf4', '--exit-after', '60',
           '--memory', '64M', '--screenshot', shot, '--debugcon', log] + extra
    status, so, se, secs = ht.run(cmd, timeout=90)
    print(f'{name}: exit status {status} after {secs:.2f}s')
    if so:
        print(so)
    if se:
        print(se)
    ht.check(status == 33, f'{name} did not pass (status {status}; 33 = pass, '
             f'(0x20 + n) * 2 + 1 = failed check n, 0 = timed out)')
    if name in CHECKS:
        CHECKS[name](shot)
    print('PASS')


if __name__ == '__main__':
    main()
