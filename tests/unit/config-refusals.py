#!/usr/bin/env python3
"""hako-vmm refuses a bad configuration before /dev/kvm: every problem once, nothing written.

usage: config-refusals.py HAKO_VMM HAKO_IMG

Runs the engine with bad inputs and checks, for each: exit status 1, each expected message
exactly once on stderr (no line twice), no output file truncated or created, no hang (FIFOs as
firmware, ROM, store, keys, disks; all within a few seconds, never killed by the timeout), the
same refusals as facts through the control socket (codes from hako/config.h), and, where this
test runs as root, the same messages with /dev/kvm hidden (config errors come before KVM). Needs
no /dev/kvm (it never starts a guest); under the ASan build LeakSanitizer also checks that every
refusal path frees what it made.
"""
import hashlib
import os
import shutil
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tools'))
import hakotest as ht  # noqa: E402

VMM, IMG = sys.argv[1], sys.argv[2]
OUT = ht.tmpdir('config-refusals')
failures = []

# hako/config.h (stable numbers)
P = {'unknown-option': 1, 'missing-value': 2, 'unexpected-value': 3, 'bad-number': 5,
     'bad-size': 6, 'bad-resolution': 8, 'empty-path': 11, 'not-found': 20, 'not-regular': 22,
     'in-use': 25, 'same-file': 26, 'output-is-input': 27, 'firmware': 28}
O = {'none': 0, 'firmware': 1, 'memory': 2, 'cpus': 3, 'resolution': 4, 'vgabios': 5,
     'boot-menu': 7, 'serial': 8, 'debugcon': 9, 'screenshot': 10, 'log': 11, 'exit-after': 13,
     'debug-exit-port': 14, 'disk': 17, 'cdrom': 18, 'control-fd': 20, 'keys': 21,
     'ovmf-code': 22, 'ovmf-vars': 23, 'ovmf-vars-template': 24}
EV_STATE, EV_FACT = 0x0201, 0x0206
FACT_CONFIG_REFUSED = 30


def path(name):
    return os.path.join(OUT, name)


def digest(p):
    with open(p, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def expect(cond, msg):
    if not cond:
        print('FAIL:', msg)
        failures.append(msg)


def run(args, timeout=20, wrap=None):
    cmd = (wrap or []) + [VMM] + [str(a) for a in args]
    t0 = time.monotonic()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                           stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return None, '', '', timeout
    return p.returncode, p.stdout, p.stderr, time.monotonic() - t0


def refused(args, wanted, name=None, wrap=None, limit=5.0):
    """Runs and checks: status 1 within limit seconds; every wanted text in exactly one line, and
    that line only once; no line printed twice."""
    status, so, se, secs = run(args, wrap=wrap)
    label = name or ' '.join(str(a) for a in args)
    lines = [line for line in se.splitlines() if line.strip()]
    print(f'{label}: status {status} in {secs:.2f} s')
    for line in lines:
        print('   ', line)
    if status is None:
        expect(False, f'{label}: hung (killed after the timeout)')
        return lines
    expect(status == 1, f'{label}: status {status}, expected 1')
    expect(secs < limit, f'{label}: took {secs:.1f} s')
    expect(len(lines) == len(set(lines)), f'{label}: a line was printed twice')
    expect(not any('/dev/kvm' in line or 'KVM' in line for line in lines),
           f'{label}: a KVM message for a configuration error')
    for w in wanted:
        hits = [line for line in lines if w in line]
        expect(len(hits) == 1, f'{label}: "{w}" in {len(hits)} lines, expected 1')
    return lines


def fresh(name, data):
    p = path(name)
    if os.path.lexists(p):
        os.unlink(p)
    with open(p, 'wb') as f:
        f.write(data)
    return p


def setup():
    for name in os.listdir(OUT):
        p = path(name)
        if os.path.isdir(p) and not os.path.islink(p):
            shutil.rmtree(p)
        else:
            os.unlink(p)
    fw = bytearray(65536)
    fw[-16] = 0xEA
    fresh('fw.bin', bytes(fw))
    subprocess.run([IMG, 'create', path('v.img'), '4M'], check=True, capture_output=True)
    with open(path('v.img'), 'r+b') as f:
        f.write(b'HAKO-DISK' * 1000)  # contents to compare
    os.mkfifo(path('fifo'))


def test_numbers():
    base = ['--firmware', path('fw.bin'), '--no-display']
    refused(base + ['--memory', 'x', '--cpus', '0', '--exit-after', 'nan', '--boot-menu=nan',
                    '--resolution', '4294968576x800', '--debug-exit-port', '0x10000',
                    '--control-fd', 'x'],
            ["--memory: 'x'", "--cpus: '0'", "--exit-after: 'nan'", "--boot-menu: 'nan'",
             "--resolution: '4294968576x800'", "--debug-exit-port: '0x10000'",
             "--control-fd: 'x'"], name='all bad numbers at once')
    for v in ['1e-300', 'inf', '-5', '0']:
        refused(base + ['--exit-after', v], [f"--exit-after: '{v}'"])
    for v in ['1073741824', '15', '2 G', '1.5G']:
        refused(base + ['--memory', v], [f"--memory: '{v}'"])


def test_exact_names():
    base = ['--firmware', path('fw.bin'), '--no-display']
    # what the app's vm.ini filter used to let through: --co=0 (control-fd), --he (help: status 0)
    refused(base + ['--he'], ["'--he'"])
    refused(base + ['--co=0', '--se=stdio', '--hel'], ["'--co'", "'--se'", "'--hel'"])
    refused(base + ['--no-display=1'], ['--no-display takes no value'])


def test_files():
    img = path('v.img')
    before = digest(img)
    refused(['--firmware', ''], ['--firmware: no file name given'])
    refused(['--firmware', path('fw.bin'), '--no-display', '--disk', img, '--serial', img],
            ['--serial: ' + img + ' is also given as --disk'], name='--disk v.img --serial v.img')
    refused(['--firmware', path('fw.bin'), '--no-display', '--disk', img, '--log', img,
             '--debugcon', img, '--screenshot', img],
            ['--log: ', '--debugcon: ', '--screenshot: '], name='every output onto the disk')
    refused(['--firmware', path('fw.bin'), '--no-display', '--disk', img, '--disk', img],
            ['is given twice'], name='the same disk twice')
    expect(digest(img) == before, 'the disk image changed')
    # an output refused for another reason is not created or truncated either
    log = fresh('keep.log', b'keep me\n')
    refused(['--firmware', path('fw.bin'), '--no-display', '--log', log, '--serial',
             path('new.txt'), '--disk', path('missing.img')],
            ['missing.img'], name='outputs untouched when something else is refused')
    expect(open(log, 'rb').read() == b'keep me\n', 'the log was truncated before the checks')
    expect(not os.path.exists(path('new.txt')), 'an output was created before the checks')


def test_fifos():
    fifo = path('fifo')
    for opt in ['--firmware', '--vgabios', '--keys', '--disk', '--cdrom']:
        args = ['--firmware', path('fw.bin')] if opt != '--firmware' else []
        refused(args + [opt, fifo], [fifo])
    if os.path.exists('/usr/share/OVMF/OVMF_CODE.fd'):
        for opt in ['--ovmf-code', '--ovmf-vars-template', '--ovmf-vars']:
            lines = refused(['--firmware', 'uefi', '--no-display', opt, fifo], [fifo])
            expect(not any('changed while' in line for line in lines),
                   f'{opt} FIFO: "changed while it was checked"')
    else:
        print('(no /usr/share/OVMF: the UEFI FIFO cases are not run)')


def test_lock_of_another_vm():
    """--log onto an image another VM holds (an OFD write lock, as hako-vmm takes)."""
    img = path('v.img')
    before = digest(img)
    fd = os.open(img, os.O_RDWR)
    F_OFD_SETLK = 37
    import fcntl
    fcntl.fcntl(fd, F_OFD_SETLK, struct.pack('hh4xqqi4x', fcntl.F_WRLCK, 0, 0, 0, 0))
    refused(['--firmware', path('fw.bin'), '--no-display', '--log', img],
            ['is in use by another running VM'], name='--log onto a locked image')
    refused(['--firmware', path('fw.bin'), '--no-display', '--disk', img],
            ['is in use by another running VM'], name='--disk of a locked image')
    os.close(fd)
    expect(digest(img) == before, 'the locked image changed')


def test_block_device_exclusive():
    """A block device held exclusively (mounted, or O_EXCL by another program) is refused for
    writing: hako-vmm opens it with O_EXCL (root only: a loop device)."""
    if os.geteuid() != 0 or not shutil.which('losetup'):
        print('(not root: the block device case is not run)')
        return
    backing = fresh('blk.img', b'')
    os.truncate(backing, 4 << 20)
    p = subprocess.run(['losetup', '-f', '--show', backing], capture_output=True, text=True)
    if p.returncode != 0:
        print('(no loop device here: not run)', p.stderr.strip())
        return
    dev = p.stdout.strip()
    try:
        fd = os.open(dev, os.O_RDWR | os.O_EXCL)
        refused(['--firmware', path('fw.bin'), '--no-display', '--disk', dev, '--memory', '64',
                 '--exit-after', '1'], ['is a block device in use'], name='--disk of a held device')
        os.close(fd)
    finally:
        subprocess.run(['losetup', '-d', dev])


def test_control_socket():
    """The refusals reach the app as facts (problem, option, value), then STOPPED with status 1."""
    mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    fd = theirs.fileno()
    img = path('v.img')
    p = subprocess.Popen([VMM, '--firmware', path('fw.bin'), '--no-display', '--memory', '7',
                          '--disk', img, '--serial', img, '--control-fd', str(fd)],
                         pass_fds=[fd], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    theirs.close()
    facts, state = [], None
    mine.settimeout(10)
    while True:
        try:
            data = mine.recv(8192)
        except (socket.timeout, OSError):
            break
        if not data:
            break
        typ, _, n = struct.unpack_from('<HHI', data)
        if typ == EV_FACT:
            _, kind, _, a, b, c, _, text, paths, _ = ht.decode_fact(data[8:8 + n])
            facts.append((kind, a, b, c, text))
            if kind == FACT_CONFIG_REFUSED:
                expect(paths[0] == text, f'the value {text!r} is not in the fact\'s path field')
        elif typ == EV_STATE:
            st, code = struct.unpack_from('<Ii', data, 8)
            state = (st, code, data[16:8 + n].decode(errors='replace'))
    status = p.wait(timeout=10)
    mine.close()
    refusals = [f for f in facts if f[0] == FACT_CONFIG_REFUSED]
    print('control socket: status', status, 'state', state)
    for f in refusals:
        print('    refused:', f)
    expect(status == 1, f'status {status}')
    expect(state is not None and state[0] == 3 and state[1] == 1, f'final state {state}')
    expect((FACT_CONFIG_REFUSED, P['bad-size'], O['memory'], 0, '7') in refusals,
           'no bad-size fact for --memory 7')
    expect((FACT_CONFIG_REFUSED, P['output-is-input'], O['serial'], O['disk'], img) in refusals,
           'no output-is-input fact for --serial (with --disk as the other option)')
    expect(len(refusals) == 2, f'{len(refusals)} refusal facts, expected 2')


def test_without_kvm():
    """Config errors come before KVM: the same messages with /dev/kvm hidden (root only)."""
    if os.geteuid() != 0 or not shutil.which('unshare'):
        print('(not root: the hidden-/dev/kvm case is not run)')
        return
    wrap = ['unshare', '-m', 'sh', '-c', 'mount --bind /dev/null /dev/kvm && exec "$@"', 'sh']
    probe = subprocess.run(wrap + ['true'], capture_output=True)
    if probe.returncode != 0:
        print('(cannot hide /dev/kvm here: not run)', probe.stderr.decode().strip())
        return
    img = path('v.img')
    refused(['--firmware', path('fw.bin'), '--no-display', '--memory', 'x', '--disk',
             path('missing.img'), '--disk', img, '--serial', img],
            ["--memory: 'x'", 'missing.img', '--serial: '], name='/dev/kvm hidden', wrap=wrap)
    # a good configuration gets as far as KVM, and says so once
    status, so, se, secs = run(['--firmware', path('fw.bin'), '--no-display', '--memory', '64',
                                '--exit-after', '1'], wrap=wrap)
    lines = [line for line in se.splitlines() if line.strip()]
    print('/dev/kvm hidden, good configuration:', status, lines)
    expect(status == 1 and len(lines) == 1 and 'KVM' in lines[0],
           f'a good configuration without KVM: {status} {lines}')


def main():
    setup()
    test_numbers()
    test_exact_names()
    test_files()
    test_fifos()
    test_lock_of_another_vm()
    test_block_device_exclusive()
    test_control_socket()
    test_without_kvm()
    if failures:
        print(f'{len(failures)} failures')
        sys.exit(1)
    print('all refusals as expected')


main()
