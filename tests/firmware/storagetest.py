"""Helpers for the storage firmware tests: test media built from Debian packages (cached in the
build directory), reading the text SeaBIOS's VGA BIOS draws on the bochs-display framebuffer
(its own 8x16 font, taken from the ROM), and a minimal client of the engine's control socket
(vmm/include/hako/protocol.h) to take screenshots and swap discs while the guest runs."""
import os
import shutil
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tools'))
import hakotest as ht  # noqa: E402

VGABIOS = '/usr/share/seabios/vgabios-bochs-display.bin'

GRUB_CFG = '''\
set timeout=-1
menuentry "Hako storage test" {
  echo "Hako storage test"
}
'''


def media_dir():
    base = os.environ.get('MESON_BUILD_ROOT') or os.environ.get('TMPDIR') or '/tmp'
    d = os.path.join(base, 'test-media')
    os.makedirs(d, exist_ok=True)
    return d


def grub_iso():
    """A BIOS + UEFI GRUB rescue ISO (grub-mkrescue, like the Arch ISO's layout), made once."""
    for tool in ('grub-mkrescue', 'xorriso', 'mformat'):
        if not shutil.which(tool):
            print(f'SKIP: {tool} missing (Debian packages grub-common, xorriso, mtools)')
            sys.exit(ht.SKIP)
    for d in ('/usr/lib/grub/i386-pc', '/usr/lib/grub/x86_64-efi'):
        ht.need_file(d, 'Debian packages grub-pc-bin and grub-efi-amd64-bin')
    out = os.path.join(media_dir(), 'grub-rescue-v1.iso')
    if os.path.exists(out):
        return out
    tree = os.path.join(media_dir(), 'grub-tree')
    os.makedirs(os.path.join(tree, 'boot', 'grub'), exist_ok=True)
    with open(os.path.join(tree, 'boot', 'grub', 'grub.cfg'), 'w') as f:
        f.write(GRUB_CFG)
    tmp = out + '.tmp'
    p = subprocess.run(['grub-mkrescue', '-o', tmp, tree], capture_output=True, text=True)
    ht.check(p.returncode == 0 and os.path.exists(tmp), f'grub-mkrescue failed: {p.stderr}')
    os.rename(tmp, out)
    return out


def hako_img_create(hako_img, path, size):
    if os.path.exists(path):
        os.unlink(path)
    p = subprocess.run([hako_img, 'create', path, size], capture_output=True, text=True)
    ht.check(p.returncode == 0, f'hako-img create failed: {p.stderr}')
    return path


class Screen:
    """Reads 8x16 text cells of a screenshot back into characters with the VGA BIOS's font."""

    def __init__(self):
        ht.need_file(VGABIOS, 'Debian package seabios')
        rom = open(VGABIOS, 'rb').read()
        glyph_a = bytes([0, 0, 0x10, 0x38, 0x6C, 0xC6, 0xC6, 0xFE, 0xC6, 0xC6, 0xC6, 0xC6, 0, 0,
                         0, 0])
        at = rom.find(glyph_a)
        ht.check(at >= 65 * 16, 'no 8x16 font in the VGA BIOS')
        font = rom[at - 65 * 16:at - 65 * 16 + 256 * 16]
        self.glyphs = {}
        for c in range(32, 127):
            g = font[c * 16:c * 16 + 16]
            self.glyphs.setdefault(g, chr(c))
            self.glyphs.setdefault(bytes(255 - b for b in g), chr(c))  # inverse video

    def text(self, img, rows=25):
        lines = []
        for r in range(min(rows, img.height // 16)):
            line = []
            for col in range(img.width // 8):
                cell = bytearray(16)
                for y in range(16):
                    o = ((r * 16 + y) * img.width + col * 8) * 3
                    px = img.rgb[o:o + 24]
                    bits = 0
                    for x in range(8):
                        if max(px[3 * x], px[3 * x + 1], px[3 * x + 2]) > 0x40:
                            bits |= 0x80 >> x
                    cell[y] = bits
                line.append(self.glyphs.get(bytes(cell), '?'))
            lines.append(''.join(line).rstrip())
        return lines


# ---- the control socket ----

HELLO, CMD_START, CMD_POWER_OFF = 0x0001, 0x0101, 0x0106
CMD_CD_CHANGE, CMD_CD_EJECT, CMD_SCREENSHOT = 0x010A, 0x010B, 0x010C
EV_STATE, EV_RESULT = 0x0201, 0x0207
MAGIC, VERSION = 0x4F4B4148, ht.PROTO_VERSION


class Engine:
    """hako-vmm under a control socket (it waits for START, like under the app)."""

    def __init__(self, cmd):
        self.sock, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        fd = theirs.fileno()
        self.proc = subprocess.Popen([str(c) for c in cmd] + ['--control-fd', str(fd)],
                                     pass_fds=[fd], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        theirs.close()
        self.next_id = 1
        self.results = {}
        self.send(HELLO, struct.pack('<III', MAGIC, VERSION, os.getpid()))
        self.send(CMD_START)

    def send(self, typ, payload=b''):
        self.sock.send(struct.pack('<HHI', typ, 0, len(payload)) + payload)

    def pump(self, timeout=0.0):
        """Reads what the engine sent (closing any descriptor that came with it)."""
        self.sock.settimeout(timeout)
        while True:
            try:
                data, anc, _, _ = self.sock.recvmsg(8192, socket.CMSG_SPACE(16))
            except (socket.timeout, BlockingIOError):
                return
            except OSError:
                return
            if not data:
                return
            for level, kind, cdata in anc:
                if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                    for i in range(0, len(cdata) - len(cdata) % 4, 4):
                        os.close(struct.unpack_from('<i', cdata, i)[0])
            typ, _, n = struct.unpack_from('<HHI', data)
            if typ == EV_RESULT and n >= 12:
                cmd, rid, status = struct.unpack_from('<IIi', data, 8)
                self.results[(cmd, rid)] = (status, data[20:8 + n].decode(errors='replace'))
            self.sock.settimeout(0.0)

    def command(self, typ, path, timeout=20):
        """Sends a path command and waits for its result: (status, message)."""
        if typ == CMD_CD_EJECT:  # no payload; its result carries id 0
            rid = 0
            self.send(typ)
        else:
            rid = self.next_id
            self.next_id += 1
            self.send(typ, struct.pack('<I', rid) + path.encode())
        end = time.monotonic() + timeout
        while (typ, rid) not in self.results and time.monotonic() < end:
            if self.proc.poll() is not None:
                break
            self.pump(0.1)
        return self.results.get((typ, rid), (None, 'no answer'))

    def screenshot(self, path):
        status, msg = self.command(CMD_SCREENSHOT, path)
        ht.check(status == 0, f'screenshot failed: {status} {msg}')
        return ht.read_png(path)

    def stop(self):
        if self.proc.poll() is None:
            try:
                self.send(CMD_POWER_OFF)
            except OSError:
                pass
        try:
            so, se = self.proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            so, se = self.proc.communicate()
        self.sock.close()
        return self.proc.returncode, so.decode(errors='replace'), se.decode(errors='replace')


def wait_for_log(engine, log, pattern, timeout):
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout and engine.proc.poll() is None:
        engine.pump(0.0)
        try:
            if pattern.encode() in open(log, 'rb').read():
                return time.monotonic() - t0
        except FileNotFoundError:
            pass
        time.sleep(0.05)
    return None


def wait_for_screen(engine, shot, predicate, timeout, every=2.0):
    """Screenshots every `every` seconds until predicate(lines) holds; returns the lines or None."""
    screen = Screen()
    t0 = time.monotonic()
    lines = []
    while time.monotonic() - t0 < timeout and engine.proc.poll() is None:
        end = time.monotonic() + every
        while time.monotonic() < end:
            engine.pump(max(0.0, end - time.monotonic()))
        if engine.proc.poll() is not None:
            break
        lines = screen.text(engine.screenshot(shot))
        if predicate(lines):
            return lines
    print('last screen:\n' + '\n'.join(lines))
    return None
