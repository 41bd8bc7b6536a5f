#!/usr/bin/env python3
"""Records what real firmware and a real Linux kernel do to QEMU's devices (QEMU TCG, no KVM).

    record.py [--cache DIR] [--force] SCENARIO...      (scenarios: see SCENARIOS below, or 'all')

Each scenario boots under `qemu-system-x86_64 -accel tcg -M pc` with the devices Hako presents,
at the same PCI slots and with the same parameters (see qemu_command), while QEMU traces every
access to a device region (`-trace 'memory_region_ops_*' -trace 'pci_cfg_*'`), and every key QEMU's monitor typed
(`-trace input_event_key_qcode`: the replay types the same key on Hako's keyboard at the same
point). The trace goes
through a FIFO into gzip, so only the compressed text is ever stored. Boot media (a GRUB rescue
ISO, a busybox initramfs) are built here from Debian's packages.

What a recording leaves in CACHE/SCENARIO-KEY/ (KEY hashes this script and the versions of QEMU,
the firmware, the kernel, busybox and GRUB, so a package upgrade records again):
    trace.txt.gz     the trace, as QEMU printed it
    meta.json        how Hako's board must be built to match (firmware, memory, disks, ...), what
                     the screen showed at the end (screendump size), timings
    screen.ppm       QEMU's screendump at the end
    serial.txt       COM1 output
    vars-final.fd    (UEFI) the variable store as QEMU's flash left it
    tables/          (Linux) /sys/firmware/acpi/tables and the SMBIOS tables the guest saw
    disk*.img        the (sparse) disk images, so the replay attaches disks of the same size

The replay (replay.c, run by run.py) takes any trace recorded with the command line in
README.md, so a new scenario is one QEMU run, not new code.
"""
import argparse
import fcntl
import glob
import gzip
import hashlib
import json
import lzma
import os
import re
import shutil
import socket
import stat
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
MEMORY = '512M'
SEABIOS = '/usr/share/seabios/bios.bin'
OVMF = {
    'ovmf-4m': ('/usr/share/OVMF/OVMF_CODE_4M.fd', '/usr/share/OVMF/OVMF_VARS_4M.fd'),
    'ovmf-2m': ('/usr/share/OVMF/OVMF_CODE.fd', '/usr/share/OVMF/OVMF_VARS.fd'),
}
SCENARIOS = ['seabios-grub', 'ovmf-4m', 'ovmf-2m', 'linux']
# a vendor GUID of our own for the variable the UEFI shell writes
VAR_GUID = '5b1a9b2c-0d8e-4f5e-9a3b-6c7d8e9fa0b1'
VAR_NAME = 'HakoConf'
# the network card Hako presents with --net user (vmm/pc/board.h, vmm/virtio/net.c): virtio-net
# at 00:0c.0, QEMU's first MAC, passt's MTU (HK_NET_MTU_DEFAULT)
NET_SLOT = 0x0c
NET_MAC = '52:54:00:12:34:56'
NET_MTU = 65520


def log(*a):
    print('record:', *a, flush=True)


def pkg_version(name):
    p = subprocess.run(['dpkg-query', '-W', '-f=${Version}', name], capture_output=True, text=True)
    return p.stdout.strip() if p.returncode == 0 else 'none'


def kernel():
    """The newest installed Debian kernel with its modules: (version, vmlinuz path)."""
    best = None
    for d in sorted(glob.glob('/lib/modules/*')):
        ver = os.path.basename(d)
        vmlinuz = f'/boot/vmlinuz-{ver}'
        if os.path.exists(vmlinuz) and os.path.exists(os.path.join(d, 'modules.dep')):
            best = (ver, vmlinuz)
    return best


def scenario_key(name):
    h = hashlib.sha256()
    with open(os.path.abspath(__file__), 'rb') as f:
        h.update(f.read())
    h.update(name.encode())
    pkgs = ['qemu-system-x86']
    if name == 'seabios-grub':
        pkgs += ['seabios', 'grub-pc-bin', 'xorriso']
    elif name.startswith('ovmf'):
        pkgs += ['ovmf']
    elif name == 'linux':
        pkgs += ['seabios', 'busybox-static', 'grub-pc-bin', 'xorriso']
        k = kernel()
        h.update((k[0] if k else 'none').encode())
    for p in pkgs:
        h.update(f'{p}={pkg_version(p)};'.encode())
    return h.hexdigest()[:16]


def missing_tools(name):
    need = ['/usr/bin/qemu-system-x86_64']
    if name == 'seabios-grub':
        need += [SEABIOS, '/usr/bin/grub-mkrescue', '/usr/bin/xorriso', '/usr/lib/grub/i386-pc']
    elif name.startswith('ovmf'):
        need += list(OVMF[name])
    elif name == 'linux':
        need += [SEABIOS, '/bin/busybox', '/usr/bin/grub-mkrescue']
    miss = [p for p in need if not os.path.exists(p)]
    if name == 'linux' and not kernel():
        miss.append('a kernel in /boot with /lib/modules (linux-image-amd64)')
    return miss


# ---- QEMU and its monitor ----

class Monitor:
    """QEMU's human monitor on a unix socket."""

    def __init__(self, path, timeout=30):
        t0 = time.monotonic()
        while True:
            try:
                self.s = socket.socket(socket.AF_UNIX)
                self.s.connect(path)
                break
            except OSError:
                self.s.close()
                if time.monotonic() - t0 > timeout:
                    raise
                time.sleep(0.1)
        self.s.settimeout(60)
        self._until(b'(qemu) ')

    def _until(self, marker):
        buf = b''
        while marker not in buf:
            d = self.s.recv(4096)
            if not d:
                break
            buf += d
        return buf

    def cmd(self, line):
        self.s.sendall(line.encode() + b'\n')
        return self._until(b'(qemu) ')

    def keys(self, text):
        """Types text on a US keyboard with sendkey."""
        names = {' ': 'spc', '-': 'minus', '=': 'equal', '\n': 'ret', '.': 'dot', '/': 'slash',
                 ':': 'shift-semicolon', '_': 'shift-minus', '"': 'shift-apostrophe'}
        for ch in text:
            if ch in names:
                k = names[ch]
            elif ch.isupper():
                k = 'shift-' + ch.lower()
            else:
                k = ch
            self.cmd(f'sendkey {k} 60')
            time.sleep(0.12)

    def close(self):
        self.s.close()


class Qemu:
    def __init__(self, out, argv):
        self.out = out
        self.fifo = os.path.join(out, 'trace.fifo')
        if os.path.exists(self.fifo):
            os.unlink(self.fifo)
        os.mkfifo(self.fifo)
        self.trace_gz = os.path.join(out, 'trace.txt.gz.part')
        self.gz = subprocess.Popen(['sh', '-c', 'exec gzip -1 < "$0" > "$1"', self.fifo,
                                    self.trace_gz])
        self.mon_path = os.path.join(out, 'monitor.sock')
        if os.path.exists(self.mon_path):
            os.unlink(self.mon_path)
        self.argv = argv + ['-trace', 'memory_region_ops_*', '-trace', 'pci_cfg_*',
                            '-trace', 'input_event_key_qcode',
                            '-D', self.fifo, '-monitor', f'unix:{self.mon_path},server,nowait']
        self.t0 = time.monotonic()
        self.p = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL,
                                  stdout=open(os.path.join(out, 'qemu.log'), 'w'),
                                  stderr=subprocess.STDOUT)
        self.mon = Monitor(self.mon_path)

    def serial(self):
        try:
            with open(os.path.join(self.out, 'serial.txt'), 'rb') as f:
                return f.read().decode('latin-1')
        except OSError:
            return ''

    def wait_serial(self, text, timeout, count=1):
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            if self.serial().count(text) >= count:
                return True
            if self.p.poll() is not None:
                return self.serial().count(text) >= count
            time.sleep(0.25)
        return False

    def finish(self, quit=True, timeout=120):
        if quit and self.p.poll() is None:
            try:
                self.mon.cmd('quit')
            except OSError:
                pass
        try:
            self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
        self.mon.close()
        self.gz.wait()
        os.unlink(self.fifo)
        return time.monotonic() - self.t0


def qemu_command(out, firmware, disks=(), cdrom=None, kernel_args=None):
    boot = 1 if kernel_args else 0  # QEMU's kernel loader takes boot index 0
    """The QEMU machine matching Hako's board (vmm/pc/board.c): i440FX + PIIX3 + PIIX4 PM,
    bochs-display 00:02.0 (16 MiB, EDID 1280x800), virtio-scsi CD-ROM 00:03.0, virtio-blk disks
    00:04.0 on, the virtio-net card 00:0c.0 (net_args), all modern-only virtio; COM1, debugcon
    0x402, fw_cfg, i8042, RTC; no HPET, no SMM, S3/S4 off (Hako's etc/system-states)."""
    a = ['qemu-system-x86_64', '-accel', 'tcg', '-M', 'pc,hpet=off,smm=off', '-nodefaults',
         '-m', MEMORY, '-smp', '1', '-display', 'none', '-no-reboot', '-boot', 'order=dc',
         '-global', 'PIIX4_PM.disable_s3=1', '-global', 'PIIX4_PM.disable_s4=1',
         '-device', 'bochs-display,addr=02.0,vgamem=16M,edid=on,xres=1280,yres=800',
         '-chardev', f'file,id=com1,path={out}/serial.txt',
         '-device', 'isa-serial,chardev=com1,iobase=0x3f8,irq=4',
         '-chardev', f'file,id=dbg,path={out}/debugcon.txt',
         '-device', 'isa-debugcon,iobase=0x402,chardev=dbg']
    if firmware == 'bios':
        a += ['-bios', SEABIOS]
    else:
        code, _ = OVMF[firmware]
        a += ['-drive', f'if=pflash,unit=0,format=raw,readonly=on,file={code}',
              '-drive', f'if=pflash,unit=1,format=raw,file={out}/vars-final.fd']
    if cdrom is not None:
        a += ['-device', 'virtio-scsi-pci,addr=03.0,disable-legacy=on,id=scsi0']
        medium = f'file={cdrom},format=raw,' if cdrom else ''
        a += ['-drive', f'if=none,id=cd0,{medium}media=cdrom,readonly=on',
              '-device', f'scsi-cd,bus=scsi0.0,channel=0,scsi-id=0,lun=0,drive=cd0,bootindex={boot}']
    # the boot order Hako's fw_cfg "bootorder" gives: the CD-ROM, then the disks
    for i, d in enumerate(disks):
        a += ['-drive', f'if=none,id=d{i},file={d},format=raw,cache=unsafe',
              '-device', f'virtio-blk-pci,addr={4 + i:02x}.0,disable-legacy=on,drive=d{i},'
              f'bootindex={boot + 1 + i}']
    a += net_args()
    if kernel_args:
        a += kernel_args
    return a


def net_args():
    """Hako's network card (--net user): virtio-net-pci at 00:0c.0, modern only, with the features
    vmm/virtio/net.c offers and no others: MAC, STATUS, MTU (host_mtu), MRG_RXBUF, EVENT_IDX,
    INDIRECT_DESC; no control queue (so none of the features that need it), no checksum or
    segmentation offloads, no RING_RESET (so the drivers negotiate what they would with Hako and
    FEATURES_OK and everything after it compare for real), one queue pair, MSI-X vectors for two
    queues + configuration; no option
    ROM (Hako's card has none: SeaBIOS runs no iPXE, OVMF binds its own VirtioNetDxe) and not in
    the boot order (Hako's fw_cfg bootorder lists only storage). The backend is QEMU's user-mode
    network, restricted (nothing leaves the host): its link is up, as Hako's is while passt runs."""
    off = ['csum', 'guest_csum', 'gso', 'guest_tso4', 'guest_tso6', 'guest_ecn', 'guest_ufo',
           'host_tso4', 'host_tso6', 'host_ecn', 'host_ufo', 'ctrl_vq', 'ctrl_rx', 'ctrl_vlan',
           'ctrl_rx_extra', 'ctrl_mac_addr', 'ctrl_guest_offloads', 'guest_announce', 'mq',
           'queue_reset']
    on = ['status', 'mrg_rxbuf', 'event_idx', 'indirect_desc']
    dev = (f'virtio-net-pci,addr={NET_SLOT:02x}.0,disable-legacy=on,netdev=net0,mac={NET_MAC},'
           f'host_mtu={NET_MTU},romfile=,vectors=3,rx_queue_size=256,tx_queue_size=256,' +
           ','.join(f'{f}=off' for f in off) + ',' + ','.join(f'{f}=on' for f in on))
    return ['-netdev', 'user,id=net0,restrict=on', '-device', dev]


def sparse(path, size):
    with open(path, 'wb') as f:
        f.truncate(size)


def read_ppm_size(path):
    with open(path, 'rb') as f:
        head = f.read(64).split()
    return int(head[1]), int(head[2])


# ---- boot media ----

def grub_iso(work, path, cfg, files=None):
    """A grub-mkrescue disc (BIOS and UEFI boot) with grub.cfg and extra files {name: source}."""
    d = os.path.join(work, 'isoroot')
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(os.path.join(d, 'boot', 'grub'))
    with open(os.path.join(d, 'boot', 'grub', 'grub.cfg'), 'w') as f:
        f.write(cfg)
    for name, src in (files or {}).items():
        shutil.copy(src, os.path.join(d, name))
    p = subprocess.run(['grub-mkrescue', '-o', path, d, '--', '-volid', 'HAKOCONF'],
                       capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError('grub-mkrescue failed: ' + p.stderr[-2000:])


def cpio_newc(entries):
    """entries: (name, mode, data[, (rdev major, minor)]); returns the archive bytes."""
    out = bytearray()
    ino = 1
    for e in entries + [('TRAILER!!!', 0, b'')]:
        name, mode, data = e[:3]
        rdev = e[3] if len(e) > 3 else (0, 0)
        if isinstance(data, str):
            data = data.encode()
        nb = name.encode() + b'\0'
        hdr = '070701' + ''.join(f'{v:08x}' for v in (
            ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(nb), 0))
        out += hdr.encode() + nb
        out += b'\0' * (-len(out) % 4)
        out += data
        out += b'\0' * (-len(out) % 4)
        ino += 1
    return bytes(out)


LINUX_MODULES = ['virtio_pci', 'virtio_blk', 'virtio_scsi', 'virtio_net', 'sr_mod', 'isofs',
                 'bochs', 'evdev']

INIT = r'''#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mkdir -p /proc /sys /dev /mnt /tmp
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
say() { echo "HAKO: $*" > /dev/ttyS0; }
say init
# the network card's device configuration, every field at every width and the bytes past its
# end, read before virtio_pci claims BAR4 (from then on /dev/mem refuses it)
n=/sys/bus/pci/devices/0000:00:0c.0
if [ -e $n/resource ]; then
  set -- $(sed -n 5p $n/resource); c=$(($1 + 0x2000)); v=
  for o in 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do v="$v $(devmem $((c + o)) 8)"; done
  for o in 0 2 4 6 8 10 12 14; do v="$v $(devmem $((c + o)) 16)"; done
  for o in 0 4 8 12; do v="$v $(devmem $((c + o)) 32)"; done
  say "netcfg:$v"
fi
for m in $(cat /modules.order); do insmod /lib/$m.ko || say "insmod $m failed"; done
sleep 2
# bochs-drm: the EDID it read and the mode it set
for c in /sys/class/drm/card0-*; do say "drm $c $(cat $c/status) modes: $(cat $c/modes | tr '\n' ' ')"; done
say "fb: $(cat /sys/class/graphics/fb0/virtual_size 2>/dev/null) $(cat /sys/class/graphics/fb0/name 2>/dev/null)"
# RTC and the ACPI PM timer
say "rtc: $(hwclock -r 2>&1)"
say "clocksource: $(cat /sys/devices/system/clocksource/clocksource0/available_clocksource)"
# virtio-blk: write, sync, read back
dd if=/dev/urandom of=/tmp/pattern bs=4096 count=64 2>/dev/null
dd if=/tmp/pattern of=/dev/vda bs=4096 conv=fsync 2>/dev/null
sync
echo 3 > /proc/sys/vm/drop_caches
dd if=/dev/vda of=/tmp/back bs=4096 count=64 2>/dev/null
if cmp /tmp/pattern /tmp/back; then say "blk: read back ok"; else say "blk: MISMATCH"; fi
# virtio-scsi CD-ROM
if mount -t iso9660 -o ro /dev/sr0 /mnt; then say "cd: $(cat /mnt/hako.txt)"; umount /mnt; else say "cd: mount failed"; fi
# virtio-net: probe, feature negotiation, the link (STATUS), the MTU the card offers; a DHCP
# lease from QEMU's user network moves frames both ways
if ip link set eth0 up; then
  sleep 1
  n=/sys/class/net/eth0
  say "net: $(cat $n/address) mtu $(cat $n/mtu) carrier $(cat $n/carrier)"
  if udhcpc -i eth0 -n -q -t 5 -T 2 -s /bin/true 2>&1 | grep -q 'obtained'; then
    say "net: dhcp ok"
  else
    say "net: dhcp failed"
  fi
else
  say "net: no eth0"
fi
# the tables the firmware gave this kernel, for the table checks
mkdir -p /tmp/t/acpi /tmp/t/dmi
for f in /sys/firmware/acpi/tables/*; do [ -f "$f" ] && cat "$f" > /tmp/t/acpi/$(basename $f); done
cat /sys/firmware/dmi/tables/smbios_entry_point > /tmp/t/dmi/smbios_entry_point
cat /sys/firmware/dmi/tables/DMI > /tmp/t/dmi/DMI
(cd /tmp/t && tar cf /dev/vdb acpi dmi) && sync && say "tables saved"
# i8042 + atkbd: keys typed through QEMU's monitor
say "type now"
read -t 60 line < /dev/tty1
say "keys: $line"
say "poweroff"
poweroff -f
'''


def linux_initramfs(path):
    ver, _ = kernel()
    moddir = f'/lib/modules/{ver}'
    deps = {}
    with open(os.path.join(moddir, 'modules.dep')) as f:
        for line in f:
            mod, _, rest = line.partition(':')
            deps[os.path.basename(mod).split('.ko')[0].replace('-', '_')] = (
                mod, [os.path.basename(r).split('.ko')[0].replace('-', '_') for r in rest.split()])
    order, seen = [], set()

    def add(m):
        if m in seen:
            return
        seen.add(m)
        mod, needs = deps[m]
        for n in reversed(needs):
            add(n)
        order.append((m, mod))
    for m in LINUX_MODULES:
        add(m)
    entries = [('bin', 0o40755, b''), ('lib', 0o40755, b''), ('dev', 0o40755, b''),
               ('dev/console', 0o20600, b'', (5, 1))]
    with open('/bin/busybox', 'rb') as f:
        entries.append(('bin/busybox', 0o100755, f.read()))
    for m, mod in order:
        with open(os.path.join(moddir, mod), 'rb') as f:
            data = f.read()
        if mod.endswith('.xz'):
            data = lzma.decompress(data)
        entries.append((f'lib/{m}.ko', 0o100644, data))
    entries.append(('modules.order', 0o100644, '\n'.join(m for m, _ in order) + '\n'))
    entries.append(('init', 0o100755, INIT))
    with open(path, 'wb') as f:
        f.write(gzip.compress(cpio_newc(entries), 6))


# ---- scenarios ----

def rec_seabios_grub(out, work):
    iso = os.path.join(work, 'grub.iso')
    grub_iso(work, iso, '''serial --unit=0 --speed=115200
terminal_input console serial
terminal_output --append serial
set timeout=-1
menuentry "Hako conformance: first" { echo one }
menuentry "Hako conformance: second" { echo two }
''')
    disk = os.path.join(out, 'disk0.img')
    sparse(disk, 64 << 20)
    q = Qemu(out, qemu_command(out, 'bios', disks=[disk], cdrom=iso))
    ok = q.wait_serial('Hako conformance: second', 240)
    if ok:
        time.sleep(1)
        q.mon.cmd('sendkey down 60')
        time.sleep(3)
    q.mon.cmd(f'screendump {out}/screen.ppm')
    secs = q.finish()
    return ok, {'firmware': 'bios', 'bios': SEABIOS, 'disks': [disk], 'cdrom': iso,
                'reached': 'GRUB menu' if ok else 'timeout', 'seconds': round(secs, 1)}


def rec_ovmf(name):
    def rec(out, work):
        code, vars_tpl = OVMF[name]
        shutil.copy(vars_tpl, os.path.join(out, 'vars-final.fd'))
        # a blank disk and an empty CD-ROM drive: OVMF's virtio drivers bind to both, find
        # nothing to boot and start the shell
        disk = os.path.join(out, 'disk0.img')
        sparse(disk, 32 << 20)
        q = Qemu(out, qemu_command(out, name, disks=[disk], cdrom=''))
        ok = q.wait_serial('Shell> ', 300)
        # OVMF's boot manager connects only the devices QEMU's boot order names (storage, as in
        # Hako's), so the shell connects the rest: VirtioNetDxe binds the network card (features,
        # MAC, link status, queues) and the network stack above it lists the interface
        prompts = 1
        for cmd in ('connect -r', 'ifconfig -l',
                    f'setvar {VAR_NAME} -guid {VAR_GUID} -nv -bs =486b'):
            if not ok:
                break
            time.sleep(1)
            q.mon.keys(cmd + '\n')
            prompts += 1
            ok = q.wait_serial('Shell> ', 120, count=prompts)
        if ok:
            time.sleep(1)
        q.mon.cmd(f'screendump {out}/screen.ppm')
        secs = q.finish()
        with open(os.path.join(out, 'vars-final.fd'), 'rb') as f:
            written = VAR_NAME.encode('utf-16-le') in f.read()
        # the interface as OVMF's network stack saw it through VirtioNetDxe
        net_listed = f'mac addr     : {NET_MAC}' in re.sub(r'\x1b\[[0-9;]*[A-Za-z]', '', q.serial())
        return ok and written and net_listed, {
            'firmware': 'uefi', 'ovmf_code': code, 'ovmf_vars_template': vars_tpl,
            'vars_final': os.path.join(out, 'vars-final.fd'), 'disks': [disk], 'cdrom': '',
            'variable_written': written, 'net_listed': net_listed,
            'reached': 'UEFI shell' if ok else 'timeout', 'seconds': round(secs, 1)}
    return rec


def rec_linux(out, work):
    ver, vmlinuz = kernel()
    initrd = os.path.join(work, 'initrd.gz')
    linux_initramfs(initrd)
    iso = os.path.join(work, 'cd.iso')
    txt = os.path.join(work, 'hako.txt')
    with open(txt, 'w') as f:
        f.write('hako conformance disc\n')
    grub_iso(work, iso, 'set timeout=0\n', files={'hako.txt': txt})
    disks = [os.path.join(out, 'disk0.img'), os.path.join(out, 'disk1.img')]
    sparse(disks[0], 64 << 20)
    sparse(disks[1], 16 << 20)
    args = ['-kernel', vmlinuz, '-initrd', initrd,
            '-append', 'console=ttyS0,115200 console=tty1 panic=-1 loglevel=6']
    q = Qemu(out, qemu_command(out, 'bios', disks=disks, cdrom=iso, kernel_args=args))
    ok = q.wait_serial('HAKO: type now', 400)
    if ok:
        time.sleep(2)
        q.mon.keys('hako\n')
        ok = q.wait_serial('HAKO: poweroff', 60)
    if q.p.poll() is None:
        time.sleep(2)
    if q.p.poll() is None:
        q.mon.cmd(f'screendump {out}/screen.ppm')
    secs = q.finish(quit=False, timeout=60 if ok else 1)
    # the tables the guest saw, from the tar on the second disk
    tdir = os.path.join(out, 'tables')
    os.makedirs(tdir, exist_ok=True)
    subprocess.run(['tar', 'xf', disks[1], '-C', tdir], capture_output=True)
    serial = open(os.path.join(out, 'serial.txt'), 'rb').read().decode('latin-1')
    checks = {k: (k in serial) for k in (
        'HAKO: blk: read back ok', 'HAKO: cd: hako conformance disc', 'HAKO: keys: hako',
        'HAKO: tables saved', f'HAKO: net: {NET_MAC} mtu {NET_MTU} carrier 1',
        'HAKO: net: dhcp ok')}
    ok = ok and all(checks.values())
    return ok, {'firmware': 'bios', 'bios': SEABIOS, 'disks': disks, 'cdrom': iso,
                'kernel': ver, 'guest_checks': checks,
                'reached': 'poweroff' if ok else 'incomplete', 'seconds': round(secs, 1)}


RECORDERS = {'seabios-grub': rec_seabios_grub, 'ovmf-4m': rec_ovmf('ovmf-4m'),
             'ovmf-2m': rec_ovmf('ovmf-2m'), 'linux': rec_linux}


def default_cache():
    base = os.environ.get('HAKO_CONFORMANCE_CACHE')
    if base:
        return base
    b = os.environ.get('MESON_BUILD_ROOT') or os.path.join(HERE, '..', '..', 'build')
    return os.path.join(b, 'conformance-cache')


def recording(cache, name):
    """The directory holding a finished recording of this scenario, or None."""
    d = os.path.join(cache, f'{name}-{scenario_key(name)}')
    return d if os.path.exists(os.path.join(d, 'meta.json')) else None


def record(cache, name, force=False):
    """The recording of a scenario: from the cache, or made now (one process at a time per
    scenario: tests running in parallel wait for each other's recording)."""
    os.makedirs(cache, exist_ok=True)
    with open(os.path.join(cache, f'{name}.lock'), 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return record_locked(cache, name, force)


def record_locked(cache, name, force):
    d = os.path.join(cache, f'{name}-{scenario_key(name)}')
    if not force and os.path.exists(os.path.join(d, 'meta.json')):
        return d
    miss = missing_tools(name)
    if miss:
        raise FileNotFoundError('missing: ' + ', '.join(miss))
    # old recordings of this scenario (other package versions) go
    for old in glob.glob(os.path.join(cache, f'{name}-*')):
        shutil.rmtree(old, ignore_errors=True)
    os.makedirs(d)
    work = tempfile.mkdtemp(prefix=f'{name}-', dir=cache)
    media = os.path.join(cache, 'media')
    os.makedirs(media, exist_ok=True)
    log(f'{name}: recording under QEMU TCG into {d}')
    try:
        ok, meta = RECORDERS[name](d, work)
        # keep the media the replay needs (the ISO's path is only for the drive's size)
        for key in ('cdrom',):
            if meta.get(key) and meta[key].startswith(work):
                dst = os.path.join(d, os.path.basename(meta[key]))
                shutil.move(meta[key], dst)
                meta[key] = dst
    finally:
        shutil.rmtree(work, ignore_errors=True)
    os.rename(os.path.join(d, 'trace.txt.gz.part'), os.path.join(d, 'trace.txt.gz'))
    if os.path.exists(os.path.join(d, 'screen.ppm')):
        meta['screen'] = list(read_ppm_size(os.path.join(d, 'screen.ppm')))
    meta.update({'scenario': name, 'ok': ok, 'memory': MEMORY, 'cpus': 1,
                 'net': {'mac': NET_MAC, 'mtu': NET_MTU},
                 'qemu': pkg_version('qemu-system-x86'),
                 'command': qemu_command(d, meta['firmware'] if meta['firmware'] == 'bios'
                                         else name, meta.get('disks', []), meta.get('cdrom'))})
    with open(os.path.join(d, 'meta.json'), 'w') as f:
        json.dump(meta, f, indent=1)
    log(f'{name}: {"done" if ok else "INCOMPLETE"} in {meta.get("seconds")} s, '
        f'{os.path.getsize(os.path.join(d, "trace.txt.gz")) >> 10} KiB of trace')
    return d


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--cache', default=default_cache())
    ap.add_argument('--force', action='store_true', help='record again even when cached')
    ap.add_argument('scenarios', nargs='+')
    a = ap.parse_args()
    names = SCENARIOS if a.scenarios == ['all'] else a.scenarios
    a.cache = os.path.abspath(a.cache)  # meta.json's paths must hold from any directory
    os.makedirs(a.cache, exist_ok=True)
    status = 0
    for n in names:
        if n not in RECORDERS:
            print(f'record: unknown scenario {n} (known: {", ".join(SCENARIOS)})')
            return 2
        d = record(a.cache, n, a.force)
        with open(os.path.join(d, 'meta.json')) as f:
            if not json.load(f)['ok']:
                status = 1
        print(d)
    return status


if __name__ == '__main__':
    sys.exit(main())
