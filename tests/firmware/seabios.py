#!/usr/bin/env python3
"""Stock SeaBIOS smoke test: POST on Hako's board to a visible banner.

usage: seabios.py HAKO_VMM [--cpus N]
Runs hako-vmm with Debian's /usr/share/seabios/bios.bin and checks the debug console for the
milestones (SeaBIOS banner, fw_cfg, the bochs-display VGA BIOS at 1280x800, the VGA mode set) and
the screenshot for the banner: light text in the top rows on a dark background.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tools'))
import hakotest as ht  # noqa: E402


def main():
    vmm = sys.argv[1]
    cpus = 1
    if '--cpus' in sys.argv:
        cpus = int(sys.argv[sys.argv.index('--cpus') + 1])
    ht.need_kvm()
    ht.need_file('/usr/share/seabios/bios.bin', 'Debian package seabios')
    out = ht.tmpdir('firmware')
    log = os.path.join(out, f'seabios-{cpus}.log')
    shot = os.path.join(out, f'seabios-{cpus}.png')
    uuid = '8c6b9a3e-2f41-4d5c-9e07-1b2a3c4d5e6f'
    cmd = [vmm, '--firmware', 'bios', '--memory', '256M', '--cpus', str(cpus), '--uuid', uuid,
           '--debugcon', log, '--screenshot', shot, '--exit-after', '60']
    # the banner is on screen once SeaBIOS goes on to look for boot devices
    t, status, so, se = ht.run_until(cmd, log, 'Searching bootorder', timeout=60, linger=0.5)
    print(f'SeaBIOS looked for boot devices after {t} s; exit status {status}')
    if se.strip():
        print(se)
    ht.check(t is not None, 'SeaBIOS never got to its boot device search')
    ht.check(status == 0, f'hako-vmm exit status {status}')
    text = open(log, errors='replace').read()
    for s in ('SeaBIOS (version', 'Found QEMU fw_cfg', 'bochs-display: using 1280x800',
              'set VGA mode', f'Found {cpus} cpu(s)',
              f'Machine UUID {uuid}'):  # from the SMBIOS system information
        ht.check(s in text, f'debug log lacks "{s}"')
    img = ht.read_png(shot)
    ht.check((img.width, img.height) == (1280, 800), f'screen is {img.width}x{img.height}')
    bright, avg, n = img.region_stats(0, 0, 640, 16)
    print(f'top text row: {bright} light pixels of {n}, average brightness {avg:.1f}')
    ht.check(bright > 100, 'no light banner text in the top row')
    _, avg_all, _ = img.region_stats(0, 0, 1280, 800)
    ht.check(avg_all < 40, f'background is not dark (average {avg_all:.1f})')
    # the banner is left-aligned text: light pixels in the first columns, none far right
    bright_right, _, _ = img.region_stats(800, 0, 1280, 16)
    ht.check(bright_right == 0, 'the top row is lit across the whole width: not text')
    print('PASS')


if __name__ == '__main__':
    main()
