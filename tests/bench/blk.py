#!/usr/bin/env python3
"""virtio-blk throughput: a guest program (tests/guests/blk-bench.asm) does 4 KiB requests from
ring 3, one in flight, over 32 MiB of a raw image: sequential and random reads and writes. Next to
it, the same access pattern with pread/pwrite on the same image file from the host (the raw
file's throughput on the same disk). Both go through the page cache; the guest's numbers include
the doorbell (KVM ioeventfd), the worker thread, and the guest's polling of the used ring.

usage: blk.py HAKO_VMM BLK_BENCH_IMAGE [RUNS]
"""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tools'))
import hakotest as ht  # noqa: E402

NOPS = 8192
BLOCK = 4096
PHASES = ['sequential read', 'sequential write', 'random read', 'random write']


def lcg_slots():
    x = 12345
    out = []
    for _ in range(NOPS):
        x = (x * 1103515245 + 12345) & 0xFFFFFFFF
        out.append((x >> 8) & (NOPS - 1))
    return out


def host_run(path):
    """The guest's four phases with pread/pwrite on the image; seconds per phase."""
    fd = os.open(path, os.O_RDWR)
    buf = bytearray(BLOCK)
    rnd = lcg_slots()
    times = []
    for name in PHASES:
        slots = range(NOPS) if name.startswith('sequential') else rnd
        write = name.endswith('write')
        t0 = time.perf_counter()
        if write:
            for s in slots:
                os.pwrite(fd, buf, s * BLOCK)
        else:
            for s in slots:
                os.preadv(fd, [buf], s * BLOCK)
        times.append(time.perf_counter() - t0)
    os.fdatasync(fd)
    os.close(fd)
    return times


def guest_run(vmm, image, disk, log):
    if os.path.exists(log):
        os.unlink(log)
    cmd = [vmm, '--firmware', image, '--debug-exit-port', '0xf4', '--memory', '128M',
           '--disk', disk, '--debugcon', log, '--no-display', '--exit-after', '120']
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    marks = {}
    t0 = time.monotonic()
    while p.poll() is None and time.monotonic() - t0 < 120:
        try:
            text = open(log, 'rb').read()
        except FileNotFoundError:
            text = b''
        now = time.perf_counter()
        for k in range(6):
            if k not in marks and f'B{k}\n'.encode() in text:
                marks[k] = now
        if 5 in marks:
            break
        time.sleep(0.001)
    so, se = p.communicate(timeout=60)
    if 5 not in marks and b'B5\n' in open(log, 'rb').read():
        marks[5] = time.perf_counter()  # the program ended right after its last marker
    ht.check(p.returncode == 33, f'the guest failed (status {p.returncode}): {se.decode()!r}')
    ht.check(len(marks) == 6, f'missing phase markers: {sorted(marks)}')
    return [marks[k + 1] - marks[k] for k in range(4)]


def main():
    vmm, image = sys.argv[1:3]
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    ht.need_kvm()
    out = ht.tmpdir('bench')
    disk = os.path.join(out, 'blk-bench.img')
    log = os.path.join(out, 'blk-bench.debugcon')
    with open(disk, 'wb') as f:  # real data, so reads come from the page cache, not holes
        chunk = bytes(range(256)) * (1 << 12)
        for _ in range((64 << 20) // len(chunk)):
            f.write(chunk)
    guest, host = [], []
    for _ in range(runs):
        guest.append(guest_run(vmm, image, disk, log))
        host.append(host_run(disk))
    os.unlink(disk)
    print(f'4 KiB requests, {NOPS} per phase over {NOPS * BLOCK >> 20} MiB, one in flight; '
          f'median of {runs} runs')
    print(f'{"":18} {"guest virtio-blk":>22} {"host pread/pwrite":>22} {"ratio":>7}')
    for i, name in enumerate(PHASES):
        g = ht.median([r[i] for r in guest])
        h = ht.median([r[i] for r in host])
        gi, hi = NOPS / g, NOPS / h
        print(f'{name:18} {gi:9.0f} IOPS {gi * BLOCK / 2**20:6.1f} MiB/s '
              f'{hi:9.0f} IOPS {hi * BLOCK / 2**20:6.1f} MiB/s {gi / hi:6.2f}')


if __name__ == '__main__':
    main()
