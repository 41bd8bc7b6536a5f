"""Shared helpers for Hako's Python test drivers (no third-party modules)."""
import os
import struct
import subprocess
import sys
import time
import zlib

SKIP = 77


# The control protocol (vmm/include/hako/protocol.h): its version, and a fact's payload.
PROTO_VERSION = 3


def decode_fact(payload):
    """An HK_EV_FACT payload: (t_ns, kind, seq, a, b, c, flags, text, (path0, path1), insn), insn
    the instruction bytes (bytes, empty for most kinds)."""
    t, kind, seq, a, b, c, flags, tn, p0, p1, n = struct.unpack_from('<QIIqqqIHHHH', payload)
    o = 52
    text = payload[o:o + tn].decode(errors='replace')
    o += tn
    path0 = payload[o:o + p0].decode(errors='replace')
    o += p0
    path1 = payload[o:o + p1].decode(errors='replace')
    o += p1
    return t, kind, seq, a, b, c, flags, text, (path0, path1), bytes(payload[o:o + n])


def need_kvm():
    """Exit with the 'skipped' status when /dev/kvm cannot be used."""
    if not os.path.exists('/dev/kvm') or not os.access('/dev/kvm', os.R_OK | os.W_OK):
        print('SKIP: /dev/kvm is not available')
        sys.exit(SKIP)


def need_file(path, why):
    if not os.path.exists(path):
        print(f'SKIP: {path} missing ({why})')
        sys.exit(SKIP)


def run(cmd, timeout=120, **kw):
    """Runs a command; returns (status, stdout, stderr, seconds)."""
    t0 = time.monotonic()
    p = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=timeout, **kw)
    return p.returncode, p.stdout, p.stderr, time.monotonic() - t0


def fail(msg):
    print('FAIL:', msg)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def tmpdir(name):
    base = os.environ.get('MESON_BUILD_ROOT') or os.environ.get('TMPDIR') or '/tmp'
    d = os.path.join(base, 'test-output', name)
    os.makedirs(d, exist_ok=True)
    return d


class Image:
    """An RGB image: width, height, rows of bytes (3 per pixel)."""

    def __init__(self, width, height, rgb):
        self.width, self.height, self.rgb = width, height, rgb

    def pixel(self, x, y):
        o = (y * self.width + x) * 3
        return tuple(self.rgb[o:o + 3])

    def region_stats(self, x0, y0, x1, y1, light=160):
        """Counts pixels brighter than `light` (max channel) and the average brightness."""
        n = bright = total = 0
        for y in range(y0, min(y1, self.height)):
            row = self.rgb[(y * self.width + x0) * 3:(y * self.width + min(x1, self.width)) * 3]
            for i in range(0, len(row), 3):
                m = max(row[i], row[i + 1], row[i + 2])
                total += m
                bright += m >= light
                n += 1
        return bright, (total / n if n else 0), n

    def row_signature(self, y0, y1, light=160):
        """Per text row band: how many bright pixels (to compare screenshots)."""
        return [self.region_stats(0, y, self.width, y + 1, light)[0] for y in range(y0, y1)]


def read_png(path):
    """Decodes an 8-bit RGB or RGBA PNG (all filter types)."""
    with open(path, 'rb') as f:
        data = f.read()
    if data[:8] != b'\x89PNG\r\n\x1a\n':
        raise ValueError(f'{path}: not a PNG')
    pos, idat, w = 8, b'', None
    while pos < len(data):
        ln, typ = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + ln]
        pos += 12 + ln
        if typ == b'IHDR':
            w, h, depth, ctype = struct.unpack('>IIBB', body[:10])
            if depth != 8 or ctype not in (2, 6):
                raise ValueError(f'{path}: unsupported PNG type {ctype}/{depth}')
            bpp = 3 if ctype == 2 else 4
        elif typ == b'IDAT':
            idat += body
        elif typ == b'IEND':
            break
    raw = zlib.decompress(idat)
    stride = w * bpp
    out = bytearray(w * h * 3)
    prev = bytearray(stride)
    for y in range(h):
        ft = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if ft == 1:
                line[i] = (line[i] + a) & 0xFF
            elif ft == 2:
                line[i] = (line[i] + b) & 0xFF
            elif ft == 3:
                line[i] = (line[i] + ((a + b) >> 1)) & 0xFF
            elif ft == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pr = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pr) & 0xFF
        prev = line
        for x in range(w):
            out[(y * w + x) * 3:(y * w + x) * 3 + 3] = line[x * bpp:x * bpp + 3]
    return Image(w, h, bytes(out))


def read_ppm(path):
    with open(path, 'rb') as f:
        data = f.read()
    parts = data.split(maxsplit=4)
    if parts[0] != b'P6':
        raise ValueError('not a binary PPM')
    w, h = int(parts[1]), int(parts[2])
    return Image(w, h, parts[4][:w * h * 3])


def text_rows(img, light=160, row_height=16):
    """Indices of character rows (row_height pixels) that contain light pixels."""
    rows = []
    for r in range(img.height // row_height):
        bright, _, _ = img.region_stats(0, r * row_height, img.width, (r + 1) * row_height, light)
        if bright > 20:
            rows.append(r)
    return rows


def run_until(cmd, logfile, pattern, timeout=60, linger=0.0, sig=None):
    """Starts cmd, polls logfile until it contains pattern (bytes or str), waits `linger` more
    seconds, then stops the process with `sig` (default SIGTERM) unless it already ended.
    Returns (seconds until the pattern appeared or None, exit status, stdout, stderr)."""
    import signal as _signal
    if isinstance(pattern, str):
        pattern = pattern.encode()
    if os.path.exists(logfile):
        os.unlink(logfile)
    t0 = time.monotonic()
    p = subprocess.Popen([str(c) for c in cmd], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    found = None
    while time.monotonic() - t0 < timeout and p.poll() is None:
        try:
            with open(logfile, 'rb') as f:
                if pattern in f.read():
                    found = time.monotonic() - t0
                    break
        except FileNotFoundError:
            pass
        time.sleep(0.01)
    if found is not None and linger:
        end = time.monotonic() + linger
        while time.monotonic() < end and p.poll() is None:
            time.sleep(0.02)
    if p.poll() is None:
        p.send_signal(sig or _signal.SIGTERM)
    try:
        so, se = p.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        so, se = p.communicate()
    return found, p.returncode, so.decode(errors='replace'), se.decode(errors='replace')


def race_to_line(cmds, logfile, pattern, label, runs, timeout=60):
    """Benchmarks: runs each command of {name: argv or None} RUNS times, interleaved, until its
    debug log shows `pattern`; prints each one's median and the hako/qemu ratio (label names the
    moment in the output). Returns {name: [seconds, ...]}."""
    times = {name: [] for name, cmd in cmds.items() if cmd}
    for _ in range(runs):
        for name in times:
            t, status, so, se = run_until(cmds[name], logfile, pattern, timeout=timeout)
            check(t is not None, f'{name}: no "{pattern}" ({se.strip()[-300:]})')
            times[name].append(t)
    for name, who in (('hako', 'hako-vmm:'), ('qemu', 'qemu:    ')):
        if times.get(name):
            print(f'{who} start -> "{label}" {median(times[name]):.2f} s (median of {runs}: '
                  + ', '.join(f'{x:.2f}' for x in times[name]) + ')')
    if times.get('hako') and times.get('qemu'):
        print(f'ratio:    {median(times["hako"]) / median(times["qemu"]):.2f}x')
    return times


def median(xs):
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


def start_xvfb(numbers=None, size='1280x1024'):
    """Starts an Xvfb on the first free display number (HAKO_TEST_DISPLAYS="305,315": only those;
    otherwise 90-239) and returns (process, ':N'). Two tests may pick the same free number at once:
    the server that loses the lock exits, and the socket the winner made must not pass for ours, so
    our own server says when it is ready (-displayfd); one that exits without saying so lost the
    number, and the next is tried. Skips (77) when Xvfb is not installed."""
    import select
    import shutil
    if not shutil.which('Xvfb'):
        print('SKIP: Xvfb is not installed')
        sys.exit(SKIP)
    mine = os.environ.get('HAKO_TEST_DISPLAYS')
    if mine:
        numbers = [int(x) for x in mine.split(',') if x.strip()]
    elif numbers is None:
        numbers = range(90, 240)
    for n in numbers:
        if os.path.exists(f'/tmp/.X11-unix/X{n}') or os.path.exists(f'/tmp/.X{n}-lock'):
            continue
        r, w = os.pipe()
        try:
            xvfb = subprocess.Popen(['Xvfb', f':{n}', '-screen', '0', f'{size}x24', '-nolisten',
                                     'tcp', '-displayfd', str(w)], stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL, pass_fds=(w,),
                                    start_new_session=True)
        finally:
            os.close(w)
        with os.fdopen(r, 'rb') as f:
            ready = select.select([f], [], [], 20)[0] and f.readline().strip()
        if ready:
            return xvfb, f':{n}'
        try:
            xvfb.wait(timeout=2)  # it lost the number to another server: try the next one
        except subprocess.TimeoutExpired:
            xvfb.kill()
            fail('Xvfb did not start')
    print('SKIP: no free X display number')
    sys.exit(SKIP)
