#!/usr/bin/env python3
"""The library at scale: the real app (`hako`) under Xvfb with 0, 1,000 and 10,000 virtual
machines in its library, in one run. The empty library is the reference.

For each size: VM folders are generated (vm.ini as the wizard writes it, a 240x150 thumbnail.png
each); the app is started with HAKO_BENCH_TIMING=1, so it logs (monotonic clock) its window's
first painted frame and the first frame whose library grid shows cards, from the frame clock's
after-paint signal: time to first paint is that minus the moment of the spawn. Half a second
after the spawn a second `hako` is launched, as a user double-clicking again would: how long it
takes to return (it hands over to the running instance over D-Bus; a busy main thread makes it
fail with "Failed to register: Timeout was reached"). When the app is idle (no CPU time for a
second) its RSS is read; the grid is then scrolled to its end (End key) and the RSS read again,
idle: memory must follow what is on screen, not the library's size.

usage: library.py HAKO [COUNTS] [TIMEOUT]   COUNTS: comma-separated, default 0,1000,10000;
       TIMEOUT: seconds per run to wait for the first paint (default 120).
       HAKO_BENCH_DISPLAY=:N uses that (running) X display instead of starting an Xvfb.
Each size is started twice: cold (the app has never seen the library: it reads every vm.ini)
and warm (the library's index, which the first start left in the cache folder, is there). Mesa's
shader cache is shared by all runs (filled by one start before the measured ones), as it is on a
user's machine. The load average is printed: the machine may be shared.
Targets: first paint <= 1 s at 10,000 VMs (warm); memory follows the screen, not the library:
RSS with 10,000 VMs (idle, and after scrolling to the end) within 16 MiB of RSS with 1,000 (less
than 2 KiB for each further VM); the second launch succeeds.
"""
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tools'))
import hakotest as ht  # noqa: E402

FIRST_PAINT_TARGET_S = 1.0
RSS_GROWTH_TARGET_MIB = 16  # from 1,000 to 10,000 VMs


def png(width, height, seed):
    """An RGB PNG with a gradient (compresses like a real screen, not to nothing)."""
    rows = []
    for y in range(height):
        row = bytearray([0])
        for x in range(width):
            row += bytes(((x * 3 + seed) & 0xff, (y * 5) & 0xff, ((x ^ y) + seed) & 0xff))
        rows.append(bytes(row))

    def chunk(typ, body):
        return (struct.pack('>I', len(body)) + typ + body +
                struct.pack('>I', zlib.crc32(typ + body) & 0xffffffff))
    return (b'\x89PNG\r\n\x1a\n' +
            chunk(b'IHDR', struct.pack('>IIBBBBB', width, height, 8, 2, 0, 0, 0)) +
            chunk(b'IDAT', zlib.compress(b''.join(rows), 6)) + chunk(b'IEND', b''))


def make_library(home, count):
    vms = os.path.join(home, 'data', 'hako', 'vms')
    os.makedirs(vms)
    thumbs = [png(240, 150, s) for s in range(8)]
    for i in range(count):
        d = os.path.join(vms, f'vm-{i:05d}')
        os.mkdir(d)
        with open(os.path.join(d, 'vm.ini'), 'w') as f:
            f.write('# Hako virtual machine.\n[VM]\n'
                    f'Name=Virtual Machine {i:05d}\nOS=http://debian.org/debian/12\n'
                    'OSName=Debian 12\nCreated=2024-05-01T10:00:00Z\n\n[Engine]\n'
                    'memory=2048M\ncpus=2\n'
                    f'uuid=00000000-0000-4000-8000-{i:012d}\nfirmware=bios\ndisk=disk.img\n'
                    'cdrom=/srv/iso/debian-12.5.0-amd64-netinst.iso\nboot=disk\n')
        with open(os.path.join(d, 'thumbnail.png'), 'wb') as f:
            f.write(thumbs[i % len(thumbs)])
    return vms


def rss_kib(pid):
    with open(f'/proc/{pid}/status') as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    return 0


def cpu_ticks(pid):
    with open(f'/proc/{pid}/stat') as f:
        st = f.read()
    fields = st[st.rindex(')') + 2:].split()
    return int(fields[11]) + int(fields[12])


def wait_idle(pid, timeout):
    """Until the process used no CPU for a second (or timeout): seconds waited."""
    t0 = time.monotonic()
    last = cpu_ticks(pid)
    quiet_since = time.monotonic()
    while time.monotonic() - t0 < timeout:
        time.sleep(0.25)
        now = cpu_ticks(pid)
        if now != last:
            last, quiet_since = now, time.monotonic()
        elif time.monotonic() - quiet_since >= 1.0:
            break
    return time.monotonic() - t0


def run_app(hako, home, count, timeout, display, shader_cache):
    """One start of the app on the library in home: a dict of what was measured."""
    procs = []
    try:
        env = dict(os.environ)
        for k in ('WAYLAND_DISPLAY', 'GDK_SCALE', 'GDK_DPI_SCALE', 'LANGUAGE', 'LC_ALL',
                  'DBUS_SESSION_BUS_ADDRESS'):
            env.pop(k, None)
        env.update({'DISPLAY': display, 'GDK_BACKEND': 'x11', 'LIBGL_ALWAYS_SOFTWARE': '1',
                    'GSETTINGS_BACKEND': 'keyfile', 'XDG_DATA_HOME': os.path.join(home, 'data'),
                    'XDG_CONFIG_HOME': os.path.join(home, 'config'),
                    'XDG_CACHE_HOME': os.path.join(home, 'cache'), 'LANG': 'C.UTF-8',
                    'NO_AT_BRIDGE': '1', 'GTK_A11Y': 'none', 'HAKO_BENCH_TIMING': '1',
                    # Mesa's compiled shaders persist across runs, as on a user's machine
                    'MESA_SHADER_CACHE_DIR': shader_cache})
        bus = subprocess.Popen(['dbus-daemon', '--session', '--nofork', '--print-address=1'],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               start_new_session=True)
        procs.append(bus)
        env['DBUS_SESSION_BUS_ADDRESS'] = bus.stdout.readline().decode().strip()

        t0 = time.monotonic()
        app = subprocess.Popen([hako], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, start_new_session=True)
        procs.append(app)
        lines = []
        marks = {}
        cpus = {}  # the main thread's CPU time at each mark
        done = threading.Event()

        def reader():
            for raw in app.stderr:
                line = raw.decode(errors='replace').rstrip()
                lines.append(line)
                if line.startswith('hako-bench: '):
                    parts = line.split()
                    marks.setdefault(parts[1], int(parts[2]) / 1e6)
                    cpu = [p for p in parts[3:] if p.startswith('cpu=')]
                    if cpu:
                        cpus.setdefault(parts[1], int(cpu[0][4:]) / 1e6)
                    if parts[1] == 'first-cards' or (count == 0 and parts[1] == 'first-frame'):
                        done.set()
            done.set()
        threading.Thread(target=reader, daemon=True).start()

        # a second launch while the first one loads
        second = {}

        def second_launch():
            time.sleep(0.5)
            s0 = time.monotonic()
            try:
                r = subprocess.run([hako], env=env, capture_output=True, timeout=timeout)
                second['s'] = time.monotonic() - s0
                second['ok'] = r.returncode == 0
                second['err'] = r.stderr.decode(errors='replace').strip().splitlines()[-1:] \
                    if r.returncode else []
            except subprocess.TimeoutExpired:
                second['s'] = time.monotonic() - s0
                second['ok'] = False
                second['err'] = ['no answer']
        t2 = threading.Thread(target=second_launch, daemon=True)
        t2.start()

        done.wait(timeout)
        key = 'first-frame' if count == 0 else 'first-cards'
        if key not in marks:
            app.kill()
            return {'count': count, 'timeout': True, 'second': second, 'log': lines[-5:]}
        paint = marks[key] - t0
        frame = marks.get('first-frame', marks[key]) - t0
        t2.join(timeout)
        wait_idle(app.pid, 600)
        rss_idle = rss_kib(app.pid)
        # scroll to the end of the grid: the focus goes to the first card, End to the last
        wins = subprocess.run(['xdotool', 'search', '--onlyvisible', '--pid', str(app.pid)],
                              env=env, capture_output=True, timeout=30).stdout.split()
        scrolled = None
        if wins and count:
            subprocess.run(['xdotool', 'windowfocus', wins[-1]], env=env, capture_output=True,
                           timeout=30)
            subprocess.run(['xdotool', 'key', '--delay', '200', 'Tab', 'Tab', 'End'], env=env,
                           capture_output=True, timeout=30)
            time.sleep(1.0)
            wait_idle(app.pid, 600)
            scrolled = rss_kib(app.pid)
        problems = [ln for ln in lines if 'CRITICAL' in ln or 'WARNING' in ln]
        return {'count': count, 'frame': frame, 'paint': paint, 'cpu': cpus.get(key),
                'rss': rss_idle,
                'rss_scrolled': scrolled, 'second': second, 'problems': problems}
    finally:
        for p in reversed(procs):
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.wait()


def run_one(hako, count, timeout, display, shader_cache):
    """The library of count VMs, started twice: cold (the app has never seen it: every vm.ini
    is read) and warm (its index from the first start is in the cache folder)."""
    home = tempfile.mkdtemp(prefix='hako-bench-library-')
    try:
        t_gen = time.monotonic()
        make_library(home, count)
        gen_s = time.monotonic() - t_gen
        cfg = os.path.join(home, 'config', 'glib-2.0', 'settings')
        os.makedirs(cfg)
        with open(os.path.join(cfg, 'keyfile'), 'w') as f:
            f.write('[io/github/hakovm/Hako]\nhost-checked=true\nwindow-width=1280\n'
                    'window-height=800\n')
        out = []
        for kind in ('cold', 'warm'):
            r = run_app(hako, home, count, timeout, display, shader_cache)
            r['kind'], r['gen'] = kind, gen_s
            out.append(r)
            if r.get('timeout'):
                break
        return out
    finally:
        shutil.rmtree(home, ignore_errors=True)


def main():
    hako = sys.argv[1]
    counts = [int(c) for c in (sys.argv[2] if len(sys.argv) > 2 else '0,1000,10000').split(',')]
    timeout = float(sys.argv[3]) if len(sys.argv) > 3 else 120.0
    for tool in ('Xvfb', 'xdotool', 'dbus-daemon'):
        if not shutil.which(tool):
            print(f'SKIP: {tool} is not installed')
            sys.exit(ht.SKIP)
    display = os.environ.get('HAKO_BENCH_DISPLAY')
    xvfb = None
    if not display:
        xvfb, display = ht.start_xvfb()
    results = []
    shader_cache = tempfile.mkdtemp(prefix='hako-bench-shaders-')
    try:
        # one start to fill Mesa's shader cache
        run_app_warmup = run_one(hako, 0, timeout, display, shader_cache)
        del run_app_warmup
        print(f'load average before: {os.getloadavg()[0]:.2f} ({os.cpu_count()} CPUs)',
              flush=True)
        for c in counts:
          for r in run_one(hako, c, timeout, display, shader_cache):
            results.append(r)
            sec = r['second']
            sec_txt = (f'{sec["s"]:.2f} s' + ('' if sec.get('ok') else
                                              f' FAILED: {" ".join(sec.get("err", []))}')
                       if sec else 'not run')
            if r.get('timeout'):
                print(f'{c:6d} VMs {r["kind"]}: no first paint within {timeout:.0f} s; second '
                      f'launch {sec_txt} ({r["gen"]:.1f} s to generate the folders)', flush=True)
                continue
            scrolled = f'{r["rss_scrolled"] / 1024:.1f} MiB' if r['rss_scrolled'] else '-'
            cpu = f' (main thread CPU {r["cpu"]:.3f} s)' if r.get('cpu') is not None else ''
            print(f'{c:6d} VMs {r["kind"]}: first frame {r["frame"]:.3f} s, first paint with '
                  f'cards {r["paint"]:.3f} s{cpu}, second launch {sec_txt}, RSS idle '
                  f'{r["rss"] / 1024:.1f} MiB, after scrolling to the end {scrolled}',
                  flush=True)
            for p in r['problems'][:3]:
                print('    app:', p)
        print(f'load average after: {os.getloadavg()[0]:.2f}', flush=True)
    finally:
        shutil.rmtree(shader_cache, ignore_errors=True)
        if xvfb:
            os.killpg(xvfb.pid, signal.SIGKILL)
            xvfb.wait()

    ok = True
    for r in results:
        if r['count'] == 0:
            continue
        if r.get('timeout'):
            ok = False
            continue
        ref = next((x for x in results if x['count'] == 0 and x['kind'] == r['kind'] and
                    not x.get('timeout')), None)
        line = f'ratio {r["count"]:6d}/0 VMs {r["kind"]}:'
        if ref:
            line += (f' first paint {r["paint"] / ref["paint"]:.2f}x, RSS '
                     f'+{(max(r["rss"], r["rss_scrolled"] or 0) - ref["rss"]) / 1024:.1f} MiB')
        print(line)
        if r['count'] >= 10000 and r['kind'] == 'warm':
            ok &= r['paint'] <= FIRST_PAINT_TARGET_S
        ok &= bool(r['second'].get('ok'))
    # memory: 10,000 VMs against 1,000, same kind of start
    for kind in ('cold', 'warm'):
        small = next((x for x in results if x['count'] == 1000 and x['kind'] == kind and
                      not x.get('timeout')), None)
        big = next((x for x in results if x['count'] == 10000 and x['kind'] == kind and
                    not x.get('timeout')), None)
        if small and big:
            grow = (max(big['rss'], big['rss_scrolled'] or 0) -
                    max(small['rss'], small['rss_scrolled'] or 0)) / 1024
            print(f'RSS {kind}: 10,000 VMs {grow:+.1f} MiB against 1,000 '
                  f'({grow * 1024 / 9000:.2f} KiB for each further VM)')
            ok &= grow <= RSS_GROWTH_TARGET_MIB
    print(f'targets: first paint <= {FIRST_PAINT_TARGET_S:.1f} s at 10,000 VMs (warm), RSS '
          f'from 1,000 to 10,000 VMs <= +{RSS_GROWTH_TARGET_MIB} MiB, second launch succeeds: '
          + ('met' if ok else 'NOT MET'))
    sys.exit(0 if ok else 1)


if __name__ == '__main__':
    main()
