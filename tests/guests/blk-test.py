#!/usr/bin/env python3
"""Runs a virtio-blk guest program (blk-*.asm) against a fresh image and checks the image file.

usage: blk-test.py HAKO_VMM IMAGE NAME
  blk-rw    the program passes (status 33); afterwards the image holds what it wrote
  blk-kill  after the program says FLUSHED the engine is killed with SIGKILL; the flushed
            sectors are in the image
  blk-hostile  looping and jumping rings: device errors (guest-error facts), no crash, recovery
  blk-irq   completions as INTx (PIRQ routing, 8259s) and as MSI-X messages (LAPIC)
"""
import json
import os
import signal
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tools'))
import hakotest as ht  # noqa: E402

SECTORS = 16384  # 8 MiB


def make_image(path):
    with open(path, 'wb') as f:
        for s in range(SECTORS):
            f.write(struct.pack('<I', s) + b'\x5a' * 508)


def dwords(data, off, n):
    return struct.unpack_from(f'<{n}I', data, off)


def check_rw(img):
    data = open(img, 'rb').read()
    ht.check(len(data) == SECTORS * 512, f'image size changed to {len(data)}')
    ht.check(dwords(data, 10 * 512, 1024) == tuple(0xC0DE0000 + i for i in range(1024)),
             'sectors 10-17 do not hold what the guest wrote')
    ht.check(dwords(data, 9 * 512, 1)[0] == 9 and dwords(data, 18 * 512, 1)[0] == 18,
             'the write spilled into the neighbouring sectors')
    for i in range(512):
        got = dwords(data, (1024 + 8 * i) * 512, 1024)
        ht.check(got == tuple(0x77000000 + i + k for k in range(1024)),
                 f'block {i} written from ring 3 is not in the image')
    ht.check(dwords(data, 100 * 512, 1)[0] == 100, 'sector 100 changed')


def main():
    vmm, image, name = sys.argv[1:4]
    ht.need_kvm()
    out = ht.tmpdir('guests')
    disk = os.path.join(out, name + '.img')
    log = os.path.join(out, name + '.debugcon')
    make_image(disk)
    cmd = [vmm, '--firmware', image, '--debug-exit-port', '0xf4', '--memory', '64M',
           '--disk', disk, '--debugcon', log, '--no-display', '--exit-after', '60']
    if name == 'blk-hostile':
        status, so, se, secs = ht.run(cmd + ['--diagnose=json'], timeout=90)
        print(f'{name}: exit status {status} after {secs:.2f}s')
        ht.check(status == 33, f'{name} did not pass (status {status}): {se}')
        errors = [f for f in json.loads(so)['facts'] if f['kind'] == 'guest-error']
        for f in errors:
            print(f'  guest-error: {f["text"]}')
        ht.check(len(errors) == 2, f'{len(errors)} guest-error facts, expected 2')
        ht.check('longer than' in errors[0]['text'] and 'moved by' in errors[1]['text'],
                 'the facts do not say what was wrong')
    elif name == 'blk-irq':
        status, so, se, secs = ht.run(cmd, timeout=90)
        print(f'{name}: exit status {status} after {secs:.2f}s')
        ht.check(status == 33, f'{name} did not pass (status {status}; (0x20 + n) * 2 + 1 = '
                 f'failed check n, 0 = no interrupt came): {se}')
    elif name == 'blk-rw':
        status, so, se, secs = ht.run(cmd, timeout=90)
        print(f'{name}: exit status {status} after {secs:.2f}s')
        if se:
            print(se)
        ht.check(status == 33, f'{name} did not pass (status {status}; (0x20 + n) * 2 + 1 = '
                 'failed check n, 0 = timed out)')
        check_rw(disk)
    elif name == 'blk-kill':
        if os.path.exists(log):
            os.unlink(log)
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        t0 = time.monotonic()
        flushed = False
        while time.monotonic() - t0 < 60 and p.poll() is None:
            if os.path.exists(log) and b'FLUSHED' in open(log, 'rb').read():
                flushed = True
                break
            time.sleep(0.01)
        if p.poll() is None:
            p.send_signal(signal.SIGKILL)
        so, se = p.communicate()
        print(f'{name}: FLUSHED seen: {flushed}, exit status {p.returncode}')
        ht.check(flushed, f'the guest never flushed (status {p.returncode}, {se.decode()!r})')
        ht.check(p.returncode == -signal.SIGKILL, f'the engine was not killed ({p.returncode})')
        data = open(disk, 'rb').read()
        ht.check(dwords(data, 200 * 512, 1024) == tuple(0xDEAD0000 + i for i in range(1024)),
                 'the flushed sectors 200-207 are not in the image after SIGKILL')
    else:
        ht.fail(f'unknown program {name}')
    os.unlink(disk)
    print('PASS')


if __name__ == '__main__':
    main()
