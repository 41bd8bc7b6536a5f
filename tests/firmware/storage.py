#!/usr/bin/env python3
"""Storage under stock SeaBIOS: booting real media from virtio-scsi and virtio-blk.

usage: storage.py HAKO_VMM HAKO_IMG TEST
  cd-grub      a grub-mkrescue ISO (BIOS + UEFI) on the CD-ROM next to an empty disk made with
               hako-img: the debug log says "Booting from DVD/CD...", the El Torito catalog and
               the BIOS boot image are read, and the screen then shows GRUB ("Welcome to GRUB!"
               or its menu)
  cd-memtest   Debian's memtest86+ ISO: SeaBIOS boots its floppy-emulation image from the CD and
               memtest's own code runs (on hosts whose KVM emulates ring 0 it stops at its first
               FPU instruction; elsewhere it writes its text screen)
  disk-hybrid  the same grub-mkrescue ISO attached as a read-only disk with --boot disk: SeaBIOS
               boots it as a hard disk ("Booting from Hard Disk...", boot sector read) into GRUB
  refusals     images the engine must refuse with a one-line reason: a missing disk, a CD-ROM
               path that is a directory, a disk another running engine holds
  cd-change    discs swapped and ejected through the control socket while the guest runs
  boot-order   --boot disk with a CD and an empty disk: SeaBIOS's boot order lists the disk
               first, tries it ("Booting from Hard Disk..."), then the CD
  net-boot-order  the same with the network card (--net user): the CD and the disk keep their
               slots and their places in the boot order, the card is never a boot device
  hako-img     hako-img create: a sparse file of the size asked (rounded to 512 bytes); an
               existing file, bad sizes and a size the file system refuses are clear errors
The media are made at test time from Debian packages and cached in the build directory.
"""
import json
import os
import resource
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tools'))
import hakotest as ht  # noqa: E402
import storagetest as st  # noqa: E402

MEMTEST = '/usr/lib/memtest86+/memtest86+x64.iso'


def facts(stdout, kind):
    try:
        start = stdout.index('{')
        timeline = json.loads(stdout[start:])
    except ValueError:
        ht.fail(f'no --diagnose=json timeline in the output: {stdout[-500:]!r}')
    return [f for f in timeline['facts'] if f['kind'] == kind], timeline


def grub_on_screen(lines):
    text = '\n'.join(lines)
    return 'Welcome to GRUB!' in text or 'GNU GRUB' in text


def boot_grub(vmm, args, marker, name):
    out = ht.tmpdir('storage')
    log = os.path.join(out, name + '.debugcon')
    shot = os.path.join(out, name + '.png')
    if os.path.exists(log):
        os.unlink(log)
    e = st.Engine([vmm, '--firmware', 'bios', '--memory', '256M', '--debugcon', log,
                   '--exit-after', '240', '--diagnose=json'] + args)
    t_boot = st.wait_for_log(e, log, marker, timeout=90)
    lines = None
    if t_boot is not None:
        print(f'{name}: "{marker}" after {t_boot:.2f} s')
        t0 = time.monotonic()
        lines = st.wait_for_screen(e, shot, grub_on_screen, timeout=150)
        if lines:
            print(f'{name}: GRUB on screen {time.monotonic() - t0:.1f} s later')
    status, so, se = e.stop()
    if se.strip():
        print(se.strip())
    ht.check(t_boot is not None, f'SeaBIOS never said "{marker}" (status {status})')
    ht.check(lines is not None, 'GRUB never appeared on the screen')
    print('screen:\n  ' + '\n  '.join(line for line in lines if line))
    ht.check(any(line.startswith('SeaBIOS (version') for line in lines) or
             'GNU GRUB' in '\n'.join(lines), 'the screen does not look like SeaBIOS then GRUB')
    return so


def test_cd_grub(vmm, img_tool):
    iso = st.grub_iso()
    disk = st.hako_img_create(img_tool, os.path.join(ht.tmpdir('storage'), 'cd-grub.img'), '1G')
    so = boot_grub(vmm, ['--cdrom', iso, '--disk', disk, '--boot', 'cdrom'],
                   'Booting from DVD/CD...', 'cd-grub')
    reads, _ = facts(so, 'boot-read')
    kinds = {(f['b'], f['c']) for f in reads}
    print('boot reads: ' + '; '.join(f['text'] for f in reads))
    ht.check((0, 0) in kinds, 'the El Torito boot record was not read')
    cat = [f for f in reads if f['b'] == 1]
    ht.check(cat and cat[0]['c'] == 3, f'catalog fact {cat}: expected BIOS and UEFI entries')
    ht.check((2, 0) in kinds, 'the BIOS boot image was not read')
    ht.check((2, 0xEF) not in kinds, 'SeaBIOS read the UEFI image?')
    # the empty disk stays all holes: nothing wrote to it
    ht.check(os.stat(disk).st_blocks == 0, 'the empty disk got data')
    os.unlink(disk)


def test_disk_hybrid(vmm, img_tool):
    iso = st.grub_iso()
    so = boot_grub(vmm, ['--disk', iso + ',readonly', '--boot', 'disk'],
                   'Booting from Hard Disk...', 'disk-hybrid')
    reads, _ = facts(so, 'boot-read')
    ht.check(any(f['a'] == 0 and 'boot sector' in f['text'] for f in reads),
             f'no boot-sector read of the disk: {reads}')


def test_cd_memtest(vmm, img_tool):
    ht.need_file(MEMTEST, 'Debian package memtest86+')
    out = ht.tmpdir('storage')
    log = os.path.join(out, 'cd-memtest.debugcon')
    cmd = [vmm, '--firmware', 'bios', '--memory', '256M', '--cdrom', MEMTEST, '--debugcon', log,
           '--exit-after', '40', '--diagnose=json']
    t, status, so, se = ht.run_until(cmd, log, 'Booting from 0000:7c00', timeout=60, linger=8)
    ht.check(t is not None, f'SeaBIOS did not boot the CD (status {status}): {se[-300:]}')
    print(f'cd-memtest: "Booting from 0000:7c00" after {t:.2f} s; exit status {status}')
    reads, timeline = facts(so, 'boot-read')
    print('boot reads: ' + '; '.join(f['text'] for f in reads))
    ht.check(any(f['b'] == 2 and f['c'] == 0 for f in reads), 'memtest\'s BIOS image not read')
    text = open(log, errors='replace').read()
    ht.check('Booting from DVD/CD...' in text, 'no "Booting from DVD/CD..."')
    # memtest's loader ran and started memtest itself: either it reached its FPU set-up (which
    # KVM's instruction emulator on paravirtual hosts cannot run) or it drew its text screen
    errors = [f for f in timeline['facts'] if f['kind'] == 'internal-error']
    vga_text = timeline['counts'].get('vga-text-write', 0)
    if errors:
        print(f'memtest stopped at {errors[0]["text"]} (rip 0x{errors[0]["b"]:x})')
        ht.check(errors[0].get('insn', [])[:3] == [0x9b, 0xdb, 0xe3],
                 f'an unexpected emulation failure: {errors[0]["text"]}')
        ht.check(errors[0]['b'] >= 0x10000, 'the failure is not in memtest\'s loaded code')
    else:
        ht.check(vga_text > 1000, f'memtest wrote only {vga_text} times to its text screen')


def test_refusals(vmm, img_tool):
    out = ht.tmpdir('storage')
    missing = os.path.join(out, 'no-such-disk.img')
    base = [vmm, '--firmware', 'bios', '--memory', '64M', '--exit-after', '30']

    def refused(args, words):
        status, so, se, secs = ht.run(base + args, timeout=30)
        # the reason is hako-vmm's one line (the log, on stderr without --log, repeats it)
        lines = [line for line in se.splitlines() if line.startswith('hako-vmm: ')]
        print(f'{" ".join(args)}: status {status}: {lines}')
        ht.check(status == 1, f'status {status}, expected 1 (refused)')
        ht.check(len(lines) == 1, f'expected one hako-vmm line, got {se!r}')
        for w in words:
            ht.check(w in lines[0], f'"{w}" missing from {lines[0]!r}')

    refused(['--disk', missing], ['cannot open the disk image', missing, 'No such file'])
    refused(['--cdrom', out], ['CD-ROM image', 'not a file'])
    if not os.path.exists('/dev/kvm'):
        # the configuration is checked before /dev/kvm is opened: the refusals above need no KVM
        print('no /dev/kvm: the lock checks (they need a running engine) are left out')
        return
    # a disk another running engine holds
    disk = st.hako_img_create(img_tool, os.path.join(out, 'locked.img'), '64M')
    first = subprocess.Popen(base + ['--disk', disk], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
    try:
        time.sleep(1.0)
        ht.check(first.poll() is None, 'the first engine did not start')
        refused(['--disk', disk], ['in use by another running VM', disk])
        refused(['--disk', disk + ',readonly'], ['in use by another running VM'])
    finally:
        first.terminate()
        first.communicate(timeout=30)
    # once it is gone the disk is free again (and read-only users may share)
    a = subprocess.Popen(base + ['--disk', disk + ',readonly'], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    try:
        time.sleep(1.0)
        status, so, se, secs = ht.run(base + ['--disk', disk + ',readonly', '--exit-after', '1'],
                                      timeout=30)
        ht.check(status == 0, f'two read-only users were refused: {se}')
    finally:
        a.terminate()
        a.communicate(timeout=30)
    os.unlink(disk)


def test_cd_change(vmm, img_tool):
    iso = st.grub_iso()
    out = ht.tmpdir('storage')
    log = os.path.join(out, 'cd-change.debugcon')
    e = st.Engine([vmm, '--firmware', 'bios', '--memory', '128M', '--cdrom', '',
                   '--debugcon', log, '--exit-after', '60', '--log', os.path.join(out, 'cd.log')])
    try:
        ht.check(st.wait_for_log(e, log, 'virtio-scsi vendor', 60) is not None,
                 'SeaBIOS did not find the CD-ROM drive')
        status, msg = e.command(st.CMD_CD_CHANGE, iso)
        ht.check(status == 0, f'inserting {iso} failed: {status} {msg}')
        status, msg = e.command(st.CMD_CD_CHANGE, out)
        ht.check(status != 0 and 'not a file' in msg, f'a directory was accepted: {status} {msg}')
        status, msg = e.command(st.CMD_CD_EJECT, '-')
        ht.check(status == 0, f'eject failed: {status} {msg}')
        status, msg = e.command(st.CMD_CD_CHANGE, iso)
        ht.check(status == 0, f'inserting again failed: {status} {msg}')
    finally:
        status, so, se = e.stop()
    print(f'cd-change: exit status {status}')
    text = open(os.path.join(out, 'cd.log'), errors='replace').read()
    ht.check(text.count('inserted') == 2 and 'disc removed' in text, f'engine log: {text}')


def test_boot_order(vmm, img_tool):
    iso = st.grub_iso()
    out = ht.tmpdir('storage')
    disk = st.hako_img_create(img_tool, os.path.join(out, 'boot-order.img'), '64M')
    log = os.path.join(out, 'boot-order.debugcon')
    cmd = [vmm, '--firmware', 'bios', '--memory', '128M', '--cdrom', iso, '--disk', disk,
           '--boot', 'disk', '--debugcon', log, '--exit-after', '90']
    t, status, so, se = ht.run_until(cmd, log, 'Booting from DVD/CD', timeout=90)
    ht.check(t is not None, f'SeaBIOS never tried the CD (status {status}): {se[-300:]}')
    text = open(log, errors='replace').read()
    ht.check('1: /pci@i0cf8/scsi@4/disk@0,0' in text and
             '2: /pci@i0cf8/scsi@3/channel@0/disk@0,0' in text,
             'SeaBIOS did not get the boot order disk, then CD')
    hd, cd = text.find('Booting from Hard Disk...'), text.find('Booting from DVD/CD...')
    ht.check(0 <= hd < cd, 'SeaBIOS did not try the disk before the CD')
    print(f'boot-order: disk tried, then "Booting from DVD/CD..." after {t:.2f} s')
    os.unlink(disk)


def test_net_boot_order(vmm, img_tool):
    # the network card (--net user, 00:0c.0) leaves SeaBIOS's devices and boot order alone: the
    # CD and the disk keep their slots and come first, and the card (no option ROM) is never
    # offered for a network boot
    iso = st.grub_iso()
    out = ht.tmpdir('storage')
    disk = st.hako_img_create(img_tool, os.path.join(out, 'net-boot-order.img'), '64M')
    log = os.path.join(out, 'net-boot-order.debugcon')
    cmd = [vmm, '--firmware', 'bios', '--memory', '128M', '--cdrom', iso, '--disk', disk,
           '--net', 'user', '--debugcon', log, '--exit-after', '90']
    t, status, so, se = ht.run_until(cmd, log, 'Booting from DVD/CD', timeout=90)
    ht.check(t is not None, f'SeaBIOS never booted the CD (status {status}): {se[-300:]}')
    text = open(log, errors='replace').read()
    ht.check('PCI: init bdf=00:0c.0 id=1af4:1041' in text, 'SeaBIOS did not see the network card')
    ht.check('PCI: init bdf=00:03.0 id=1af4:1048' in text and
             'PCI: init bdf=00:04.0 id=1af4:1042' in text, 'the CD or the disk moved')
    ht.check('1: /pci@i0cf8/scsi@3/channel@0/disk@0,0' in text and
             '2: /pci@i0cf8/scsi@4/disk@0,0' in text, 'the boot order is not CD, then disk')
    ht.check('3: ' not in text.split('Searching bootorder')[0], 'a third boot entry appeared')
    for word in ('PXE', 'iPXE', 'ethernet@', 'Booting from ROM'):
        ht.check(word not in text, f'SeaBIOS offers a network boot ({word!r} in its log)')
    ht.check(text.find('Booting from DVD/CD...') >= 0, 'no "Booting from DVD/CD..."')
    print(f'net-boot-order: the card at 00:0c.0, CD then disk, "Booting from DVD/CD..." after '
          f'{t:.2f} s')
    os.unlink(disk)


def test_hako_img(vmm, img_tool):
    out = ht.tmpdir('storage')
    path = os.path.join(out, 'new.img')
    if os.path.exists(path):
        os.unlink(path)

    def run(args, limit=None):
        def pre():
            if limit is not None:
                resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        p = subprocess.run([img_tool] + args, capture_output=True, text=True, preexec_fn=pre)
        print(f'hako-img {" ".join(args)}: {p.returncode} {(p.stdout + p.stderr).strip()}')
        return p

    p = run(['create', path, '20G'])
    ht.check(p.returncode == 0, 'create failed')
    st_ = os.stat(path)
    ht.check(st_.st_size == 20 << 30, f'size {st_.st_size}')
    ht.check(st_.st_blocks == 0, f'not sparse: {st_.st_blocks} blocks')
    p = run(['create', path, '1G'])
    ht.check(p.returncode == 1 and 'already exists' in p.stderr, 'an existing file was accepted')
    ht.check(os.stat(path).st_size == 20 << 30, 'the existing file changed')
    os.unlink(path)
    for bad in ('big', '0', '-5', '1.5G', '12X'):
        p = run(['create', path, bad])
        ht.check(p.returncode == 1 and not os.path.exists(path), f'size {bad!r} was accepted')
        ht.check(p.stderr.count('\n') == 1, 'not one line')
    p = run(['create', path, '1000'])
    ht.check(p.returncode == 0 and os.stat(path).st_size == 1024, 'not rounded to 512 bytes')
    os.unlink(path)
    p = run(['create', path, '1G'], limit=1 << 20)  # a file system that takes no such size
    ht.check(p.returncode == 1 and 'cannot hold a file that large' in p.stderr,
             'a refused size is not explained')
    ht.check(not os.path.exists(path), 'a half-made image was left behind')
    p = run(['create', os.path.join(out, 'no', 'such', 'dir.img'), '1G'])
    ht.check(p.returncode == 1 and 'No such file or directory' in p.stderr, 'bad directory')
    p = run(['frobnicate'])
    ht.check(p.returncode == 2, 'an unknown command was accepted')


TESTS = {
    'cd-grub': test_cd_grub,
    'cd-memtest': test_cd_memtest,
    'disk-hybrid': test_disk_hybrid,
    'refusals': test_refusals,
    'cd-change': test_cd_change,
    'boot-order': test_boot_order,
    'net-boot-order': test_net_boot_order,
    'hako-img': test_hako_img,
}


def main():
    vmm, img_tool, name = sys.argv[1:4]
    if name not in ('hako-img', 'refusals'):
        ht.need_kvm()
        ht.need_file('/usr/share/seabios/bios.bin', 'Debian package seabios')
    TESTS[name](vmm, img_tool)
    print('PASS')


if __name__ == '__main__':
    main()
