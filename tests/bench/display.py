#!/usr/bin/env python3
"""The display path end to end: guest VRAM -> engine dirty log -> damage -> app texture upload ->
GL quad, in the real app under Xvfb (GL through Mesa llvmpipe).

usage: display.py HAKO HAKO_VMM GUEST_BIN STATIC_GUEST_BIN [SECONDS]

1. The app's display path alone: fake-engine.py speaks the control protocol and repaints a
   1280x800x32 memfd scanout every time the app acknowledges a frame.
2. A guest program repaints its whole 1280x800x32 framebuffer from ring 3 as fast as it can:
   reported are the frames the app displayed per second, the texture uploads and rows per second,
   and the CPU time `hako` used per displayed frame (utime + stime from /proc/PID/stat).
3. The same picture, painted once (the guest then halts): uploads per second (target 0) and
   `hako`'s CPU use while the screen is static (target < 1 %), measured once the picture is
   complete.

The app prints its display counters once a second with HAKO_DISPLAY_STATS=1."""
import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'app'))
sys.path.insert(0, os.path.join(HERE, '..', 'tools'))
import test_app  # noqa: E402
from hakotest import check  # noqa: E402

TICK = os.sysconf('SC_CLK_TCK')
STATS = re.compile(rb'hako-display: frames (\d+) uploads (\d+) rows (\d+)')


def cpu_seconds(pid):
    with open(f'/proc/{pid}/stat') as f:
        st = f.read()
    fields = st[st.rindex(')') + 2:].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


def stats_lines(s):
    with open(os.path.join(s.out, 'hako.log'), 'rb') as f:
        return [tuple(int(x) for x in m.groups()) for m in STATS.finditer(f.read())]


def run(name, guest, seconds, settle, engine=None, quiet_for=0):
    s = test_app.Session('bench-' + name)
    try:
        s.env['HAKO_DISPLAY_STATS'] = '1'
        if engine:
            s.env['HAKO_VMM'] = engine
        s.add_vm(name, name, firmware=guest, memory='64M')
        s.settings(scale_mode="'fit'", window_width=1400, window_height=900)
        s.start_app('--vm', name)
        s.wait('the first frame', lambda: any(f for f, _, _ in stats_lines(s)), timeout=60)
        time.sleep(settle)
        if quiet_for:
            # a static screen: wait until the guest finished painting (no uploads for a while)
            s.wait('the screen to stay still', lambda: len(stats_lines(s)) >= quiet_for and all(
                u == 0 for _, u, _ in stats_lines(s)[-quiet_for:]), timeout=180, interval=1)
        engines = list(s.engines())
        check(len(engines) == 1, 'no engine')
        n0 = len(stats_lines(s))
        c0, e0, t0 = cpu_seconds(s.app.pid), cpu_seconds(engines[0]), time.monotonic()
        time.sleep(seconds)
        c1, e1, t1 = cpu_seconds(s.app.pid), cpu_seconds(engines[0]), time.monotonic()
        lines = stats_lines(s)[n0:]
        s.grab(name)
        wall = t1 - t0
        frames = sum(f for f, _, _ in lines)
        uploads = sum(u for _, u, _ in lines)
        rows = sum(r for _, _, r in lines)
        secs = max(1, len(lines))
        return {
            'seconds': wall,
            'fps': frames / secs,
            'uploads_per_s': uploads / secs,
            'rows_per_s': rows / secs,
            'hako_cpu': (c1 - c0) / wall,
            'hako_ms_per_frame': 1000 * (c1 - c0) / frames if frames else None,
            'engine_cpu': (e1 - e0) / wall,
            'samples': lines,
        }
    finally:
        s.close()


def main():
    hako, vmm, guest, static = (os.path.abspath(a) for a in sys.argv[1:5])
    seconds = float(sys.argv[5]) if len(sys.argv) > 5 else 10.0
    os.environ['HAKO'], os.environ['HAKO_VMM'] = hako, vmm
    p = run('pipeline', guest, seconds, settle=2.0,
            engine=os.path.join(os.path.dirname(os.path.abspath(__file__)), 'fake-engine.py'))
    print(f'app display path alone (fake engine repainting 1280x800x32 on every ack), '
          f'{p["seconds"]:.1f} s:')
    print(f'  displayed frames per second     {p["fps"]:.1f}')
    print(f'  texture uploads per second      {p["uploads_per_s"]:.1f} '
          f'({p["rows_per_s"]:.0f} rows/s)')
    print(f'  hako CPU                        {100 * p["hako_cpu"]:.1f} % of one core, '
          f'{p["hako_ms_per_frame"]:.2f} ms per displayed frame'
          if p['hako_ms_per_frame'] is not None else '  hako CPU: no frames')
    a = run('animated', guest, seconds, settle=2.0)
    print(f'animated 1280x800x32, fit to a 1390x843 display area, {a["seconds"]:.1f} s:')
    print(f'  displayed frames per second     {a["fps"]:.1f}')
    print(f'  texture uploads per second      {a["uploads_per_s"]:.1f} '
          f'({a["rows_per_s"]:.0f} rows/s)')
    print(f'  hako CPU                        {100 * a["hako_cpu"]:.1f} % of one core, '
          f'{a["hako_ms_per_frame"]:.2f} ms per displayed frame'
          if a['hako_ms_per_frame'] is not None else '  hako CPU: no frames')
    print(f'  hako-vmm CPU                    {100 * a["engine_cpu"]:.1f} % (guest + engine)')
    b = run('static', static, seconds, settle=1.0, quiet_for=3)
    print(f'static screen, {b["seconds"]:.1f} s:')
    print(f'  texture uploads per second      {b["uploads_per_s"]:.2f} (target 0)')
    print(f'  frames drawn per second         {b["fps"]:.2f}')
    print(f'  hako CPU                        {100 * b["hako_cpu"]:.2f} % (target < 1 %)')
    check(p['fps'] > 0 and a['fps'] > 0, 'no frames displayed while the screen changes')
    check(b['uploads_per_s'] == 0, 'texture uploads while the screen is static')
    check(b['hako_cpu'] < 0.01, 'hako uses 1 % CPU or more with a static screen')


if __name__ == '__main__':
    main()
