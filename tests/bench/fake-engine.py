#!/usr/bin/env python3
"""A stand-in for hako-vmm that speaks the control protocol (hako/protocol.h) and repaints a
1280x800x32 scanout in its own memfd as fast as the app acknowledges the damage: it measures the
app's display path (upload + draw + acknowledge) without a guest in the way.

The app runs it through HAKO_VMM; it takes hako-vmm's options and uses only --control-fd."""
import fcntl
import mmap
import os
import select
import socket
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tools'))
import hakotest as ht  # noqa: E402 (the protocol's version)

W, H = 1280, 800
STRIDE = W * 4
SIZE = 16 << 20


def packet(mtype, payload=b'', flags=0):
    return struct.pack('<HHI', mtype, flags, len(payload)) + payload


def main():
    fd = next(int(a.split('=', 1)[1]) for a in sys.argv[1:] if a.startswith('--control-fd='))
    sock = socket.socket(fileno=fd)
    sock.send(packet(0x0001, struct.pack('<III', 0x4F4B4148, ht.PROTO_VERSION, os.getpid())))
    mfd = os.memfd_create('vram', os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    os.ftruncate(mfd, SIZE)
    # sealed at its size, as hako-vmm's (hako/protocol.h): the app maps only a sealed memfd
    fcntl.fcntl(mfd, fcntl.F_ADD_SEALS, fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_SEAL)
    vram = mmap.mmap(mfd, SIZE)
    frame = 0
    seq = 0

    def paint():
        nonlocal frame
        frame += 1
        c = frame & 0xFF
        vram[0:STRIDE * H] = bytes((c, 255 - c, (c * 3) & 0xFF, 0)) * (W * H)

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
            sock.sendmsg([packet(0x0202, struct.pack('<IIIIQQ', 1, W, H, STRIDE, 0, SIZE), 1)],
                         [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack('i', mfd))])
            seq += 1
            sock.send(packet(0x0203, struct.pack('<IIII', seq, 1, 0, H)))
        elif mtype == 0x010E:    # DISPLAY_ACK: the frame is on screen, paint the next one
            if struct.unpack_from('<I', data, 8)[0] == seq:
                paint()
                seq += 1
                sock.send(packet(0x0203, struct.pack('<IIII', seq, 1, 0, H)))
        elif mtype == 0x0106:    # POWER_OFF
            sock.send(packet(0x0201, struct.pack('<Ii', 3, 0)))
            return


if __name__ == '__main__':
    main()
