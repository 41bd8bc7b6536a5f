#!/usr/bin/env python3
"""GRUB's menu on a grub-mkrescue disc follows the Down key typed on the PS/2 keyboard.

usage: grubmenu.py HAKO_VMM
Makes a BIOS grub-mkrescue ISO (three menu entries, no timeout) whose GRUB reads the console
(the BIOS keyboard, fed by the i8042) and writes its menu to COM1, boots it with SeaBIOS from the
virtio-scsi CD-ROM, and types Down through hako-vmm --keys two seconds after GRUB printed its menu
help. GRUB redraws the menu with the highlight (reverse video, "*") moved from the first entry to
the second; the test reads that from the serial stream.

GRUB's own screen output goes through the VGA BIOS (or VBE and gfxterm): on hosts whose KVM
emulates ring-0 guest code that takes minutes per screen, so the highlight is read from the serial
terminal rather than from screenshots.
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tools'))
import hakotest as ht  # noqa: E402

GRUB_CFG = """serial --unit=0 --speed=115200
terminal_input console serial
terminal_output serial
set timeout=-1
menuentry 'Hako first entry' { echo first; sleep 60 }
menuentry 'Hako second entry' { echo second; sleep 60 }
menuentry 'Hako third entry' { echo third; sleep 60 }
"""

HIGHLIGHT = b'\x1b[7m'


def make_iso(out):
    root = os.path.join(out, 'grubmenu-root')
    os.makedirs(os.path.join(root, 'boot', 'grub'), exist_ok=True)
    with open(os.path.join(root, 'boot', 'grub', 'grub.cfg'), 'w') as f:
        f.write(GRUB_CFG)
    iso = os.path.join(out, 'grubmenu.iso')
    r = subprocess.run(['grub-mkrescue', '-d', '/usr/lib/grub/i386-pc', '-o', iso, root],
                       capture_output=True, text=True)
    ht.check(r.returncode == 0, f'grub-mkrescue failed: {r.stderr}')
    return iso


def highlighted(stream):
    """The entries drawn highlighted, in order."""
    out = []
    pos = 0
    while True:
        i = stream.find(HIGHLIGHT, pos)
        if i < 0:
            return out
        chunk = stream[i:i + 60]
        for name in (b'first', b'second', b'third'):
            if b'*Hako ' + name + b' entry' in chunk:
                out.append(name.decode())
        pos = i + 1


def main():
    vmm = sys.argv[1]
    ht.need_kvm()
    ht.need_file('/usr/share/seabios/bios.bin', 'Debian package seabios')
    ht.need_file('/usr/lib/grub/i386-pc/cdboot.img', 'Debian package grub-pc-bin')
    out = ht.tmpdir('firmware')
    iso = make_iso(out)
    serial = os.path.join(out, 'grubmenu.serial')
    log = os.path.join(out, 'grubmenu.log')
    cmd = [vmm, '--firmware', 'bios', '--memory', '256M', '--cdrom', iso, '--serial', serial,
           '--debugcon', log, '--exit-after', '300',
           '--keys', '@"Press enter to boot"+2:down']
    # the second highlight (after Down) ends the run
    t, status, so, se = ht.run_until(cmd, serial, HIGHLIGHT + b'\x1b[6;3H*Hako second', timeout=300,
                                     linger=0.5)
    stream = open(serial, 'rb').read() if os.path.exists(serial) else b''
    seq = highlighted(stream)
    print(f'GRUB highlighted {seq}; the second entry after {t} s; exit status {status}')
    if se.strip():
        print(se)
    ht.check(b'Hako first entry' in stream, 'GRUB never showed its menu on COM1')
    ht.check(seq[:1] == ['first'], f'the first entry was not highlighted first: {seq}')
    ht.check('second' in seq, f'Down did not move the highlight: {seq}')
    print('PASS')


if __name__ == '__main__':
    main()
