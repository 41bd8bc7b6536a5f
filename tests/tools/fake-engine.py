#!/usr/bin/env python3
"""A stand-in for hako-vmm that speaks the control protocol (hako/protocol.h) and repaints a
scanout in its own memfd as fast as the app acknowledges the damage: it measures the app's
display path (upload + draw + acknowledge) without a guest in the way (tests/bench/display.py),
and shows the app pictures in every scanout format (tests/app/test_app.py formats).

The app runs it through HAKO_VMM; it takes hako-vmm's options and uses only --control-fd.
The environment chooses the picture:
  HAKO_FAKE_SIZE     WIDTHxHEIGHT (default 1280x800)
  HAKO_FAKE_MODE     full       every pixel changes for every acknowledged frame (default), a
                                grey ramp in XRGB8888
                     band:ROWS  one band of ROWS rows changes per frame, walking down the screen
                     static     one picture, one damage message, then nothing
                     quadrants  static: red, green / blue, white quadrants in HAKO_FAKE_FORMAT
  HAKO_FAKE_FORMAT   xrgb8888 (default), bgrx8888, rgb565, rgb565be (for quadrants)"""
import fcntl
import mmap
import os
import select
import socket
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hakotest as ht  # noqa: E402 (the protocol's version)

SIZE = 16 << 20


def packet(mtype, payload=b'', flags=0):
    return struct.pack('<HHI', mtype, flags, len(payload)) + payload


FORMATS = {  # protocol number, bytes per pixel, red, green, blue, white as pixel bytes
    'xrgb8888': (1, 4, b'\x00\x00\xff\x00', b'\x00\xff\x00\x00', b'\xff\x00\x00\x00',
                 b'\xff\xff\xff\x00'),
    'rgb565': (2, 2, b'\x00\xf8', b'\xe0\x07', b'\x1f\x00', b'\xff\xff'),
    'bgrx8888': (3, 4, b'\x00\xff\x00\x00', b'\x00\x00\xff\x00', b'\x00\x00\x00\xff',
                 b'\x00\xff\xff\xff'),
    'rgb565be': (4, 2, b'\xf8\x00', b'\x07\xe0', b'\x00\x1f', b'\xff\xff'),
}


def quadrants(w, h, fmt):
    """Red top left, green top right, blue bottom left, white bottom right."""
    _, _, red, green, blue, white = FORMATS[fmt]
    top = red * (w // 2) + green * (w - w // 2)
    bottom = blue * (w // 2) + white * (w - w // 2)
    return top * (h // 2) + bottom * (h - h // 2)


def ramp_row(w, level):
    """One row of a grey ramp (x + level), as B, G, R, X bytes."""
    return b''.join(struct.pack('<I', ((x + level) & 0xFF) * 0x010101) for x in range(w))


def main():
    fd = next(int(a.split('=', 1)[1]) for a in sys.argv[1:] if a.startswith('--control-fd='))
    w, h = (int(v) for v in os.environ.get('HAKO_FAKE_SIZE', '1280x800').split('x'))
    mode = os.environ.get('HAKO_FAKE_MODE', 'full')
    band = int(mode.split(':', 1)[1]) if mode.startswith('band:') else 0
    fmt = os.environ.get('HAKO_FAKE_FORMAT', 'xrgb8888') if mode == 'quadrants' else 'xrgb8888'
    fmt_number, bpp = FORMATS[fmt][:2]
    stride = w * bpp
    sock = socket.socket(fileno=fd)
    sock.send(packet(0x0001, struct.pack('<III', 0x4F4B4148, ht.PROTO_VERSION, os.getpid())))
    mfd = os.memfd_create('vram', os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    os.ftruncate(mfd, SIZE)
    # sealed at its size, as hako-vmm's (hako/protocol.h): the app maps only a sealed memfd
    fcntl.fcntl(mfd, fcntl.F_ADD_SEALS, fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_SEAL)
    vram = mmap.mmap(mfd, SIZE)
    # whole pictures to copy from: a different one for each of four frames in a row (copying
    # them costs this process a memcpy, not the app anything)
    rows = [ramp_row(w, k * 37) for k in range(4)]
    frames = [rows[k] * h for k in range(4)] if mode != 'quadrants' else [quadrants(w, h, fmt)]
    serial = 0
    seq = 0

    def paint():
        """Changes the picture; returns the rows that changed."""
        nonlocal serial
        k = serial % len(frames)
        if band and serial > 0:
            y0 = (serial * band) % (h - band + 1)
            vram[y0 * stride:(y0 + band) * stride] = rows[k] * band
            y1 = y0 + band
        else:
            vram[0:stride * h] = frames[k]
            y0, y1 = 0, h
        serial += 1
        return y0, y1

    def damage(y0, y1):
        nonlocal seq
        seq += 1
        sock.send(packet(0x0203, struct.pack('<IIII', seq, 1, y0, y1)))

    started = False
    while True:
        r, _, _ = select.select([sock], [], [], 5)
        if not r:
            continue
        data = sock.recv(8192)
        if not data:
            return
        mtype, _, length = struct.unpack_from('<HHI', data)
        if mtype == 0x0001:      # HELLO from the app
            sock.send(packet(0x0201, struct.pack('<Ii', 0, 0)))
        elif mtype == 0x0101 and not started:   # START
            started = True
            sock.send(packet(0x0201, struct.pack('<Ii', 1, 0)))
            paint()
            sock.sendmsg([packet(0x0202, struct.pack('<IIIIQQ', fmt_number, w, h, stride, 0, SIZE),
                                 1)],
                         [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack('i', mfd))])
            damage(0, h)
        elif mtype == 0x010E:    # DISPLAY_ACK: the frame is on screen, paint the next one
            if struct.unpack_from('<I', data, 8)[0] == seq and mode not in ('static', 'quadrants'):
                damage(*paint())
        elif mtype == 0x0106:    # POWER_OFF
            sock.send(packet(0x0201, struct.pack('<Ii', 3, 0)))
            return


if __name__ == '__main__':
    main()
