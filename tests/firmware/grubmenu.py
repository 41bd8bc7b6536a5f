#!/usr/bin/env python3
"""GRUB's menu on a grub-mkrescue disc follows the Down key typed on the PS/2 keyboard.

usage: grubmenu.py HAKO_VMM
Boots a BIOS + UEFI grub-mkrescue ISO (three menu entries, no timeout) from the virtio-scsi CD-ROM
under stock SeaBIOS, waits until GRUB's menu is on the screen (read back as text with the VGA
BIOS's font), takes a screenshot, types Down through the engine's control socket (the same key
path the app uses), and waits for a second screenshot in which the highlighted row (GRUB draws it
in reverse video) moved from the first entry to the second.
"""
import os
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tools'))
import hakotest as ht  # noqa: E402
import storagetest as st  # noqa: E402

GRUB_CFG = """set timeout=-1
menuentry 'Hako first entry' { echo first }
menuentry 'Hako second entry' { echo second }
menuentry 'Hako third entry' { echo third }
"""
CMD_KEY = 0x0107
KEY_DOWN = 108  # evdev KEY_DOWN


def make_iso():
    out = os.path.join(st.media_dir(), 'grub-menu-v2.iso')
    if os.path.exists(out):
        return out
    import subprocess
    tree = os.path.join(st.media_dir(), 'grub-menu-tree')
    os.makedirs(os.path.join(tree, 'boot', 'grub'), exist_ok=True)
    with open(os.path.join(tree, 'boot', 'grub', 'grub.cfg'), 'w') as f:
        f.write(GRUB_CFG)
    p = subprocess.run(['grub-mkrescue', '-o', out + '.tmp', tree], capture_output=True, text=True)
    ht.check(p.returncode == 0, f'grub-mkrescue failed: {p.stderr}')
    os.rename(out + '.tmp', out)
    return out


def row_of(lines, text):
    for i, line in enumerate(lines):
        if text in line:
            return i
    return None


def lit(img, row):
    """How much of a 16-pixel text row is lit (reverse video lights most of it)."""
    bright, _, n = img.region_stats(0, row * 16, img.width, row * 16 + 16, light=0x40)
    return bright / n


def main():
    vmm = sys.argv[1]
    ht.need_kvm()
    ht.need_file('/usr/share/seabios/bios.bin', 'Debian package seabios')
    st.grub_iso()  # checks the tools
    iso = make_iso()
    out = ht.tmpdir('firmware')
    log = os.path.join(out, 'grubmenu.debugcon')
    shot1, shot2 = os.path.join(out, 'grubmenu-1.png'), os.path.join(out, 'grubmenu-2.png')
    if os.path.exists(log):
        os.unlink(log)
    # a 640x480 EDID mode: SeaVGABIOS draws GRUB's text into a third of the pixels of 1280x800,
    # which matters where ring-0 guest code is emulated
    e = st.Engine([vmm, '--firmware', 'bios', '--memory', '256M', '--cdrom', iso,
                   '--resolution', '640x480', '--debugcon', log, '--exit-after', '400'])
    try:
        t0 = time.monotonic()
        lines = st.wait_for_screen(e, shot1, lambda ls: row_of(ls, 'Hako third entry') is not None,
                                   timeout=200)
        ht.check(lines is not None, 'GRUB\'s menu never appeared on the screen')
        print(f'GRUB menu on screen after {time.monotonic() - t0:.1f} s:')
        print('  ' + '\n  '.join(line for line in lines if line))
        r1, r2 = row_of(lines, 'Hako first entry'), row_of(lines, 'Hako second entry')
        time.sleep(1.0)  # let GRUB finish drawing before the first screenshot
        before = e.screenshot(shot1)
        print(f'before Down: first row lit {lit(before, r1):.2f}, second {lit(before, r2):.2f}')
        ht.check(lit(before, r1) > 0.2 and lit(before, r1) > 4 * lit(before, r2),
                 'the first entry is not the highlighted one')
        t_key = time.monotonic()
        for down in (1, 0):
            e.send(CMD_KEY, struct.pack('<II', KEY_DOWN, down))
            time.sleep(0.05)
        moved = None
        end = time.monotonic() + 200
        while time.monotonic() < end and e.proc.poll() is None:
            e.pump(2.0)
            after = e.screenshot(shot2)
            if lit(after, r2) > 0.2 and lit(after, r2) > 4 * lit(after, r1):
                moved = time.monotonic()
                break
        ht.check(moved is not None, 'Down did not move the highlight to the second entry '
                 f'(first row lit {lit(after, r1):.2f}, second {lit(after, r2):.2f})')
        print(f'after Down ({moved - t_key:.1f} s later): first row lit {lit(after, r1):.2f}, '
              f'second {lit(after, r2):.2f}')
        ht.check(before.rgb != after.rgb, 'the two screenshots are the same')
    finally:
        status, so, se = e.stop()
    print(f'exit status {status}; screenshots {shot1} and {shot2}')
    print('PASS')


if __name__ == '__main__':
    main()
