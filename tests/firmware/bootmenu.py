#!/usr/bin/env python3
"""Stock SeaBIOS's boot menu, opened with Esc typed on the PS/2 keyboard through --keys.

usage: bootmenu.py HAKO_VMM
Runs hako-vmm --boot-menu (fw_cfg boot-menu key + etc/boot-menu-wait of 5 s) with
--keys '@"Press ESC":esc': Esc as soon as SeaBIOS printed its prompt on the debug console (it drops
keys typed before the prompt, and POST takes 1.5 s on an idle host but several seconds on a busy
one, so a fixed time would be a gamble). On a very busy host the guest's 5 s can also pass in a
fraction of a second of real time (the in-kernel PIT re-injects the timer ticks the descheduled
guest missed): when the firmware booted on before the Esc arrived, the run is tried once more.
Checks:
  * the debug console: "PS2 keyboard initialized", no timeouts, the prompt, then
    "Select boot device:", and no boot attempt (the menu stays);
  * the screenshot: the banner on text row 0, the prompt on row 2, "Select boot device:" on row 4
    (19 characters, 152 pixels wide), taken well inside the 5 s wait, so only the Esc can have
    put text on row 4.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tools'))
import hakotest as ht  # noqa: E402


def text_extent(img, row, light=160, row_height=16):
    """First and last column with light pixels in a character row (None if empty)."""
    cols = []
    for x in range(img.width):
        bright, _, _ = img.region_stats(x, row * row_height, x + 1, (row + 1) * row_height, light)
        if bright:
            cols.append(x)
    return (cols[0], cols[-1]) if cols else None


def main():
    vmm = sys.argv[1]
    ht.need_kvm()
    ht.need_file('/usr/share/seabios/bios.bin', 'Debian package seabios')
    out = ht.tmpdir('firmware')
    log = os.path.join(out, 'bootmenu.log')
    shot = os.path.join(out, 'bootmenu.png')
    cmd = [vmm, '--firmware', 'bios', '--memory', '256M', '--boot-menu', '--keys',
           '@"Press ESC":esc', '--debugcon', log, '--screenshot', shot, '--exit-after', '40']
    for attempt in (1, 2):
        t, status, so, se = ht.run_until(cmd, log, 'Select boot device:', timeout=40, linger=1.0)
        print(f'attempt {attempt}: the boot menu opened after {t} s; exit status {status}')
        if se.strip():
            print(se)
        text = open(log, errors='replace').read()
        if t is not None or 'Booting from' not in text:
            break
        print('the firmware stopped waiting before the Esc came (a busy host): once more')
    ht.check(t is not None, f'SeaBIOS never opened its boot menu; its log:\n{text}')
    ht.check(status == 0, f'hako-vmm exit status {status}')
    ht.check('PS2 keyboard initialized' in text, 'SeaBIOS did not initialize the PS/2 keyboard')
    ht.check('Timeout' not in text, 'SeaBIOS logged a timeout: ' +
             ' | '.join(line for line in text.splitlines() if 'Timeout' in line))
    ht.check('ps2' not in text.lower().replace('ps2 keyboard initialized', ''),
             'SeaBIOS logged a PS/2 problem')
    prompt = text.find('Press ESC for boot menu.')
    menu = text.find('Select boot device:')
    ht.check(0 <= prompt < menu, 'the menu did not follow the prompt')
    for s in ('Booting from', 'No bootable device'):
        ht.check(s not in text, f'SeaBIOS went on booting ("{s}") instead of staying in the menu')

    img = ht.read_png(shot)
    rows = ht.text_rows(img)
    print(f'text rows on screen: {rows}')
    ht.check(rows[:3] == [0, 2, 4], f'expected text on rows 0, 2 and 4, found {rows}')
    extents = {r: text_extent(img, r) for r in (0, 2, 4)}
    print('row extents (first, last lit column): ' +
          ', '.join(f'{r}: {e}' for r, e in extents.items()))
    # "Press ESC for boot menu." is 24 characters, "Select boot device:" 19 (8-pixel font)
    x0, x1 = extents[2]
    ht.check(x0 < 8 and 24 * 8 - 16 <= x1 < 24 * 8, f'row 2 is not the prompt: {extents[2]}')
    x0, x1 = extents[4]
    ht.check(x0 < 8 and 19 * 8 - 16 <= x1 < 19 * 8, f'row 4 is not the menu title: {extents[4]}')
    print('PASS')


if __name__ == '__main__':
    main()
