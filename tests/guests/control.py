#!/usr/bin/env python3
"""The engine's control socket (hako/protocol.h), driven the way the app drives it, with the
layouts written out here independently of the C codec.

usage: control.py HAKO_VMM CONTROL_BIN

The guest (control.asm) prints to COM1, sets 640x480x32 and repaints the screen for ever. Checked:
HELLO and the facts timeline arrive before the guest runs; nothing runs before START; the scanout
comes with a memfd that shows the guest's pixels; damage is flow-controlled by DISPLAY_ACK; serial
output arrives; pause/resume; a screenshot; malformed packets are ignored; serial input reaches the
guest, which then switches to 800x600x16 (a new scanout); power-off ends the engine with status 0;
closing the socket also ends it; a wrong protocol version ends it too."""
import array
import mmap
import os
import select
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tools'))
import hakotest as ht  # noqa: E402

HELLO = 0x0001
START, PAUSE, RESUME, RESET, POWER_BUTTON, POWER_OFF, KEY = range(0x0101, 0x0108)
POINTER_ABS, POINTER_REL, CD_CHANGE, CD_EJECT, SCREENSHOT, SERIAL_INPUT, DISPLAY_ACK = \
    range(0x0108, 0x010F)
EV_STATE, EV_SCANOUT, EV_DAMAGE, EV_POINTER_MODE, EV_SERIAL, EV_FACT, EV_RESULT = \
    range(0x0201, 0x0208)
MAGIC, VERSION = 0x4F4B4148, ht.PROTO_VERSION
FLAG_FD = 1
FACT_MODE_SET = 7


def packet(mtype, payload=b'', flags=0):
    return struct.pack('<HHI', mtype, flags, len(payload)) + payload


class Engine:
    def __init__(self, vmm, image, *extra):
        self.sock, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.proc = subprocess.Popen(
            [vmm, '--firmware', image, '--memory', '64M', f'--control-fd={theirs.fileno()}',
             *extra],
            pass_fds=[theirs.fileno()], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        theirs.close()
        self.vram = None
        self.scanout = None
        self.serial = b''
        self.facts = []
        self.states = []
        self.damage = []
        self.results = []

    def send(self, mtype, payload=b''):
        self.sock.send(packet(mtype, payload))

    def recv(self, timeout=5.0):
        """One message: (type, flags, payload, fd or None); None on timeout; 'eof' at the end."""
        r, _, _ = select.select([self.sock], [], [], timeout)
        if not r:
            return None
        fds = array.array('i')
        data, anc, flags, _ = self.sock.recvmsg(8192, socket.CMSG_SPACE(4 * fds.itemsize))
        if not data:
            return 'eof'
        fd = None
        for level, kind, cdata in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds.frombytes(cdata[:len(cdata) - len(cdata) % fds.itemsize])
                fd = fds[0]
        mtype, mflags, length = struct.unpack_from('<HHI', data)
        ht.check(length == len(data) - 8, f'message 0x{mtype:04x}: length {length} != '
                 f'{len(data) - 8}')
        return mtype, mflags, data[8:], fd

    def pump(self, until, timeout=10.0, what='a message'):
        """Handles messages until until(msg) is true; returns that message."""
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            m = self.recv(max(0.05, timeout - (time.monotonic() - t0)))
            if m is None:
                break
            if m == 'eof':
                ht.fail(f'the engine closed the socket while waiting for {what}: '
                        f'{self.proc.stderr.read().decode(errors="replace") if self.proc.poll() is not None else ""}')
            self.handle(m)
            if until(m):
                return m
        ht.fail(f'timed out waiting for {what}')

    def handle(self, m):
        mtype, flags, p, fd = m
        if mtype == EV_FACT:
            t, kind, seq, a, b, c, _, text, _, _ = ht.decode_fact(p)
            self.facts.append((kind, seq, a, b, c, text))
        elif mtype == EV_STATE:
            st, code = struct.unpack_from('<Ii', p)
            self.states.append((st, code, p[8:].decode(errors='replace')))
        elif mtype == EV_SCANOUT:
            fmt, w, h, stride, off, vsize = struct.unpack('<IIIIQQ', p)
            self.scanout = (fmt, w, h, stride, off, vsize)
            if fd is not None:
                ht.check(flags & FLAG_FD, 'a descriptor came without the fd flag')
                ht.check(os.fstat(fd).st_size == vsize, 'the memfd size differs from vram_size')
                self.vram = mmap.mmap(fd, vsize, mmap.MAP_SHARED, mmap.PROT_READ)
                os.close(fd)
            else:
                ht.check(fmt == 0, 'a scanout without the VRAM descriptor')
        elif mtype == EV_DAMAGE:
            seq, count = struct.unpack_from('<II', p)
            ranges = [struct.unpack_from('<II', p, 8 + 8 * i) for i in range(count)]
            ht.check(len(p) == 8 + 8 * count, 'damage length')
            for y0, y1 in ranges:
                ht.check(0 <= y0 < y1 <= (self.scanout[2] if self.scanout else 0),
                         f'damage rows {y0}..{y1} outside the scanout')
            self.damage.append((seq, ranges))
        elif mtype == EV_SERIAL:
            self.serial += p
        elif mtype == EV_RESULT:
            cmd, rid, status = struct.unpack_from('<IIi', p)
            self.results.append((cmd, rid, status, p[12:].decode(errors='replace')))
        if fd is not None and mtype != EV_SCANOUT:
            os.close(fd)

    def pixel(self, x, y):
        fmt, w, h, stride, off, _ = self.scanout
        o = off + y * stride + x * 4
        return struct.unpack_from('<I', self.vram, o)[0] & 0xFFFFFF

    def wait_exit(self, timeout=10):
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            ht.fail('the engine did not exit')


def main():
    ht.need_kvm()
    vmm, image = sys.argv[1], sys.argv[2]
    e = Engine(vmm, image)
    try:
        # 1. HELLO first, then the timeline so far; nothing runs before START
        m = e.recv()
        ht.check(m not in (None, 'eof') and m[0] == HELLO, f'first message is not HELLO: {m}')
        magic, version, pid = struct.unpack('<III', m[2])
        ht.check((magic, version, pid) == (MAGIC, VERSION, e.proc.pid), 'bad HELLO')
        e.pump(lambda m: m[0] == EV_FACT and m[2][8] == 0, what='the engine-start fact')
        seqs = [f[1] for f in e.facts]
        ht.check(seqs == sorted(set(seqs)), f'facts out of order or repeated: {seqs}')
        time.sleep(0.7)
        while (m := e.recv(0.1)) not in (None, 'eof'):
            e.handle(m)
        ht.check(not e.states and e.scanout is None, 'display or state sent before our HELLO')
        # a command before HELLO is ignored
        e.send(START)
        e.send(HELLO, struct.pack('<III', MAGIC, VERSION, os.getpid()))
        e.pump(lambda m: m[0] == EV_STATE, what='the state')
        ht.check(e.states[-1][0] == 0, f'state after HELLO is {e.states[-1]}, not created')
        e.pump(lambda m: m[0] == EV_SCANOUT, what='the first scanout')
        ht.check(e.scanout[0] == 0, 'a scanout before the guest ran')
        time.sleep(0.5)
        while (m := e.recv(0.1)) not in (None, 'eof'):
            e.handle(m)
        ht.check(not e.serial and all(f[0] != FACT_MODE_SET for f in e.facts),
                 'the guest ran before START')

        # 2. START: running, serial output, mode set, scanout with the VRAM
        e.send(START)
        e.pump(lambda m: m[0] == EV_STATE and e.states[-1][0] == 1, what='running')
        e.pump(lambda m: e.scanout and e.scanout[0] == 1, timeout=20, what='the 640x480 scanout')
        fmt, w, h, stride, off, vsize = e.scanout
        ht.check((w, h, stride) == (640, 480, 2560), f'scanout {e.scanout}')
        e.pump(lambda m: b'hello from COM1' in e.serial, what='serial output')
        ht.check(any(f[0] == FACT_MODE_SET and f[2:4] == (640, 480) for f in e.facts),
                 'no mode-set fact')

        # 3. damage is flow-controlled: nothing more until we acknowledge
        if not e.damage:
            e.pump(lambda m: m[0] == EV_DAMAGE, what='damage')
        ht.check(len(e.damage) == 1, f'{len(e.damage)} damage messages without acknowledgement')
        seq = e.damage[-1][0]
        p0 = e.pixel(0, 0)
        n = len(e.damage)
        # the guest keeps painting: the shared VRAM shows it, but no damage comes unacknowledged
        t0 = time.monotonic()
        while time.monotonic() - t0 < 15 and e.pixel(0, 0) == p0:
            while (m := e.recv(0.05)) not in (None, 'eof'):
                e.handle(m)
        ht.check(e.pixel(0, 0) != p0, 'the shared VRAM does not follow the guest')
        time.sleep(0.3)
        while (m := e.recv(0.05)) not in (None, 'eof'):
            e.handle(m)
        ht.check(len(e.damage) == n, 'more damage before the acknowledgement')
        e.send(DISPLAY_ACK, struct.pack('<I', seq))
        e.pump(lambda m: m[0] == EV_DAMAGE, timeout=15, what='damage after the acknowledgement')
        ht.check(e.damage[-1][0] == seq + 1, 'damage sequence numbers do not count up')
        print(f'damage {e.damage[-1][1]} acknowledged; pixel 0,0 = {e.pixel(0, 0):06x}')

        # 4. pause and resume
        e.send(PAUSE)
        e.pump(lambda m: m[0] == EV_STATE and e.states[-1][0] == 2, what='paused')
        a = (e.pixel(0, 0), e.pixel(320, 240), e.pixel(639, 479))
        time.sleep(1.0)
        ht.check((e.pixel(0, 0), e.pixel(320, 240), e.pixel(639, 479)) == a,
                 'the guest draws while paused')
        e.send(RESUME)
        e.pump(lambda m: m[0] == EV_STATE and e.states[-1][0] == 1, what='running again')

        # 5. a screenshot, an unwritable screenshot, malformed and out-of-range packets
        shot = os.path.join(ht.tmpdir('control'), 'control-shot.png')
        if os.path.exists(shot):
            os.unlink(shot)
        e.send(SCREENSHOT, struct.pack('<I', 7) + shot.encode())
        r = e.pump(lambda m: m[0] == EV_RESULT, what='the screenshot result')
        ht.check(e.results[-1][:3] == (SCREENSHOT, 7, 0), f'screenshot result {e.results[-1]}')
        img = ht.read_png(shot)
        ht.check((img.width, img.height) == (640, 480), 'screenshot size')
        e.send(SCREENSHOT, struct.pack('<I', 8) + b'/nonexistent/dir/x.png')
        e.pump(lambda m: m[0] == EV_RESULT, what='the failed screenshot result')
        ht.check(e.results[-1][1] == 8 and e.results[-1][2] < 0, 'unwritable screenshot "worked"')
        e.sock.send(b'\x07\x01\x00\x00\x08\x00\x00\x00\x00\x09\x00\x00\x01\x00\x00\x00')  # KEY 0x900
        e.sock.send(b'garbage')
        e.send(KEY, struct.pack('<II', 1, 1))
        e.send(KEY, struct.pack('<II', 1, 0))
        e.send(POINTER_REL, struct.pack('<iiiI', 5, -5, 0, 0))
        e.send(SERIAL_INPUT, b'typed\r')
        e.send(CD_EJECT)
        e.pump(lambda m: m[0] == EV_RESULT and e.results[-1][0] == CD_EJECT,
               what='the CD eject result')
        ht.check(e.proc.poll() is None, 'the engine died on bad input')

        # 6. a mode change (the guest switches when it reads 'm' on COM1): 800x600 at 16 bpp
        e.send(SERIAL_INPUT, b'm')
        e.pump(lambda m: e.scanout and e.scanout[0] == 2, timeout=20, what='the 16 bpp scanout')
        fmt, w, h, stride, off, vsize = e.scanout
        ht.check((w, h, stride) == (800, 600, 1600), f'16 bpp scanout {e.scanout}')
        e.pump(lambda m: b'mode 16' in e.serial, timeout=20, what='the guest saying mode 16')
        red = struct.unpack_from('<H', e.vram, off + 599 * stride + 799 * 2)[0]
        ht.check(red == 0xF800, f'last 16-bit pixel is {red:04x}, not red')
        print('mode change to', e.scanout)

        # 7. power off: final state, end of stream, status 0
        e.send(POWER_OFF)
        e.pump(lambda m: m[0] == EV_STATE and e.states[-1][0] == 3, what='stopped')
        ht.check(e.states[-1][1] == 0, f'stopped with {e.states[-1]}')
        ht.check(e.recv(5) in ('eof', None), 'messages after the final state')
        ht.check(e.wait_exit() == 0, f'exit status {e.proc.returncode}')
        print('power off: state', e.states[-1])
    finally:
        if e.proc.poll() is None:
            e.proc.kill()

    # 8. the app going away stops the engine
    e = Engine(vmm, image)
    try:
        e.pump(lambda m: m[0] == HELLO, what='HELLO')
        e.send(HELLO, struct.pack('<III', MAGIC, VERSION, os.getpid()))
        e.send(START)
        e.pump(lambda m: m[0] == EV_STATE and e.states[-1][0] == 1, what='running')
        e.sock.close()
        ht.check(e.wait_exit() == 0, f'exit status {e.proc.returncode} after the socket closed')
    finally:
        if e.proc.poll() is None:
            e.proc.kill()

    # 9. a version we do not speak: the engine hangs up on us (and stops)
    e = Engine(vmm, image)
    try:
        e.pump(lambda m: m[0] == HELLO, what='HELLO')
        e.send(HELLO, struct.pack('<III', MAGIC, 99, os.getpid()))
        ht.check(e.wait_exit() == 0, 'the engine kept running with a wrong protocol version')
    finally:
        if e.proc.poll() is None:
            e.proc.kill()
    print('PASS')


if __name__ == '__main__':
    main()
