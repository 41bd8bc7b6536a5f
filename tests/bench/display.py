#!/usr/bin/env python3
"""The display path end to end, side by side with a reference program in the same run, under
Xvfb (GL through Mesa llvmpipe).

usage: display.py HAKO HAKO_VMM GUEST_BIN STATIC_GUEST_BIN [SECONDS] [--reference DISPLAY_REF]
                  [--repeat N] [--sizes 1280x800,1920x1080] [--modes full,band:16,static]
                  [--no-guest]

1. Hako's display path next to the reference (display-ref.c: a GtkGLArea that uploads one
   texture per frame with glTexSubImage2D from a buffer that changes every frame and draws it,
   nothing else), at each size, in three cases:
     full     every pixel changes in every frame. Hako: tests/tools/fake-engine.py repaints its
              memfd scanout every time the app acknowledges a frame; the reference changes its
              buffer for every frame of GTK's frame clock.
     band:16  one band of 16 rows (a terminal line) changes per frame.
     static   one picture, then nothing changes.
   Both draw into a GL area of the same size (the reference is given the size Hako's display
   area reports), "fit" scaling. Reported per program: frames per second, texture uploads and
   rows per second, time spent in glTexSubImage2D per frame, CPU per frame (utime + stime of the
   process, llvmpipe's threads included); then Hako's frames per second as a fraction of the
   reference's.
2. With /dev/kvm: the real engine. A guest program repaints its whole 1280x800x32 framebuffer
   from ring 3 as fast as it can (the same figures, and the engine's CPU), and the same picture
   painted once (the guest then halts): a static screen.

Targets: Hako >= 0.8x the reference's frames per second with a full-frame change at every size
(median over the repeats); with one band changing, Hako uploads only the band's rows; the time
Hako spends uploading stays within 2x the reference's; a static screen costs 0 uploads and
< 1 % CPU. The exit status is 1 when a target is missed.

Each program prints its counters once a second (`hako` with HAKO_DISPLAY_STATS=1). The machine
is shared, so absolute figures are noisy; the ratios, taken in the same run, are the result.
HAKO_TEST_DISPLAYS=N,M makes the Xvfb servers use those display numbers."""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'app'))
sys.path.insert(0, os.path.join(HERE, '..', 'tools'))
import test_app  # noqa: E402
from hakotest import check, fail  # noqa: E402

TICK = os.sysconf('SC_CLK_TCK')
STATS = re.compile(rb'(?:hako-display|display-ref): frames (\d+) uploads (\d+) rows (\d+)'
                   rb' upload-us (\d+) area (\d+)x(\d+)')
SCREEN = (2560, 1440)
CHROME = (10, 57)  # Hako's window minus its display area: the header bar and borders
FAKE_ENGINE = os.path.join(HERE, '..', 'tools', 'fake-engine.py')


def cpu_seconds(pid):
    with open(f'/proc/{pid}/stat') as f:
        st = f.read()
    fields = st[st.rindex(')') + 2:].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime (all threads)


def stats_lines(path):
    with open(path, 'rb') as f:
        return [tuple(int(x) for x in m.groups()) for m in STATS.finditer(f.read())]


def measure(s, pid, log, seconds, settle, quiet_for=0, other=None):
    """Counters and CPU of process `pid` (its stats in `log`) over `seconds`."""
    s.wait('the first frame', lambda: any(line[0] for line in stats_lines(log)), timeout=60)
    time.sleep(settle)
    if quiet_for:
        # a static screen: once the picture is complete (no uploads for a while)
        s.wait('the screen to stay still', lambda: len(stats_lines(log)) >= quiet_for and all(
            line[1] == 0 for line in stats_lines(log)[-quiet_for:]), timeout=180, interval=1)
    n0 = len(stats_lines(log))
    c0, t0 = cpu_seconds(pid), time.monotonic()
    e0 = cpu_seconds(other) if other else 0
    time.sleep(seconds)
    c1, t1 = cpu_seconds(pid), time.monotonic()
    e1 = cpu_seconds(other) if other else 0
    lines = stats_lines(log)[n0:]
    check(lines, 'no counters printed')
    wall = t1 - t0
    secs = len(lines)
    frames = sum(line[0] for line in lines)
    uploads = sum(line[1] for line in lines)
    rows = sum(line[2] for line in lines)
    upload_us = sum(line[3] for line in lines)
    return {
        'fps': frames / secs,
        'uploads_per_s': uploads / secs,
        'rows_per_s': rows / secs,
        'rows_per_upload': rows / uploads if uploads else 0,
        'upload_ms_per_frame': upload_us / 1000 / frames if frames else 0,
        'upload_us_per_row': upload_us / rows if rows else 0,
        'cpu': (c1 - c0) / wall,
        'ms_per_frame': 1000 * (c1 - c0) / frames if frames else None,
        'other_cpu': (e1 - e0) / wall,
        'area': lines[-1][4:6],
    }


def run_hako(name, size, mode, seconds, guest, engine=None):
    """The app with one VM, its window sized for a display area a little larger than `size`."""
    s = test_app.Session('bench-display-' + name, screen=SCREEN, kvm=engine is None)
    try:
        s.env['HAKO_DISPLAY_STATS'] = '1'
        if engine:
            s.use_fake_engine(engine)
        s.env['HAKO_FAKE_SIZE'] = f'{size[0]}x{size[1]}'
        s.env['HAKO_FAKE_MODE'] = mode
        s.add_vm(name, name, firmware=guest, memory='64M')
        s.settings(scale_mode="'fit'", window_width=size[0] + 110 + CHROME[0],
                   window_height=size[1] + 43 + CHROME[1])
        s.start_app('--vm', name)
        log = os.path.join(s.out, 'hako.log')
        s.wait('the first frame', lambda: any(line[0] for line in stats_lines(log)), timeout=60)
        engines = list(s.engines())
        check(len(engines) == 1, 'no engine')
        r = measure(s, s.app.pid, log, seconds, settle=2.0,
                    quiet_for=3 if mode == 'static' else 0, other=engines[0])
        s.grab(name)
        return r
    finally:
        s.close()


def run_ref(ref, name, size, mode, area, seconds):
    s = test_app.Session('bench-display-' + name, screen=SCREEN, kvm=False)
    try:
        log = os.path.join(s.out, 'display-ref.log')
        # the session watches it as its app (and checks its output for GLib warnings)
        s.app_log = open(log, 'wb')
        s.app = s._spawn([ref, str(size[0]), str(size[1]), str(area[0]), str(area[1]), mode],
                         env=s.env, stdout=s.app_log, stderr=subprocess.STDOUT)
        p = s.app
        r = measure(s, p.pid, log, seconds, settle=2.0, quiet_for=3 if mode == 'static' else 0)
        s.grab(name)
        return r
    finally:
        s.close()


HEADER = (f'{"size":<10} {"change":<8} {"program":<10} {"fps":>6} {"uploads/s":>9} '
          f'{"rows/s":>8} {"upload ms/frame":>15} {"CPU %":>6} {"CPU ms/frame":>12}')


def row(size, mode, prog, r):
    ms = f'{r["ms_per_frame"]:.1f}' if r['ms_per_frame'] is not None else '-'
    return (f'{size[0]}x{size[1]:<5} {mode:<8} {prog:<10} {r["fps"]:6.1f} '
            f'{r["uploads_per_s"]:9.1f} {r["rows_per_s"]:8.0f} {r["upload_ms_per_frame"]:15.3f} '
            f'{100 * r["cpu"]:6.1f} {ms:>12}')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('hako')
    ap.add_argument('vmm')
    ap.add_argument('guest')
    ap.add_argument('static_guest')
    ap.add_argument('seconds', nargs='?', type=float, default=8.0)
    ap.add_argument('--reference')
    ap.add_argument('--repeat', type=int, default=3)
    ap.add_argument('--sizes', default='1280x800,1920x1080')
    ap.add_argument('--modes', default='full,band:16,static')
    ap.add_argument('--no-guest', action='store_true')
    a = ap.parse_args()
    os.environ['HAKO'], os.environ['HAKO_VMM'] = os.path.abspath(a.hako), os.path.abspath(a.vmm)
    sizes = [tuple(int(v) for v in sz.split('x')) for sz in a.sizes.split(',')]
    modes = a.modes.split(',')
    missed = []

    results = {}  # (size, mode) -> [(hako, ref)]
    if a.reference:
        ref = os.path.abspath(a.reference)
        for rep in range(a.repeat):
            print(f'run {rep + 1} of {a.repeat}, {a.seconds:.0f} s per measurement:')
            print(HEADER)
            for size in sizes:
                for mode in modes:
                    tag = f'{size[0]}x{size[1]}-{mode.replace(":", "")}'
                    h = run_hako('hako-' + tag, size, mode, a.seconds, engine=FAKE_ENGINE,
                                 guest=os.path.abspath(a.guest))
                    r = run_ref(ref, 'ref-' + tag, size, mode, h['area'], a.seconds)
                    results.setdefault((size, mode), []).append((h, r))
                    print(row(size, mode, 'reference', r))
                    print(row(size, mode, 'hako', h))
                    if r['fps']:
                        print(f'{"":<20}hako/reference: {h["fps"] / r["fps"]:.2f}x the frames '
                              f'per second, area {h["area"][0]}x{h["area"][1]}, '
                              f'fake engine CPU {100 * h["other_cpu"]:.1f} %')
                    sys.stdout.flush()
        print('summary (all runs; the median decides):')
        for (size, mode), runs in results.items():
            label = f'{size[0]}x{size[1]} {mode}'
            if mode == 'static':
                ups = [h['uploads_per_s'] for h, _ in runs]
                cpus = [100 * h['cpu'] for h, _ in runs]
                rcpus = [100 * r['cpu'] for _, r in runs]
                print(f'  {label}: hako uploads/s {ups}, CPU % {[round(c, 2) for c in cpus]} '
                      f'(reference CPU % {[round(c, 2) for c in rcpus]})')
                if any(u != 0 for u in ups):
                    missed.append(f'{label}: texture uploads while the screen is static')
                if statistics.median(cpus) >= 1.0:
                    missed.append(f'{label}: hako uses 1 % CPU or more with a static screen')
                continue
            ratios = [h['fps'] / r['fps'] if r['fps'] else 0 for h, r in runs]
            cpu_ratios = [h['ms_per_frame'] / r['ms_per_frame'] if h['ms_per_frame'] and
                          r['ms_per_frame'] else 0 for h, r in runs]
            print(f'  {label}: hako/reference fps {[round(x, 2) for x in ratios]}, '
                  f'median {statistics.median(ratios):.2f}; CPU per frame '
                  f'{[round(x, 2) for x in cpu_ratios]}x the reference\'s')
            if mode == 'full' and statistics.median(ratios) < 0.8:
                missed.append(f'{label}: hako draws {statistics.median(ratios):.2f}x the '
                              f'reference\'s frames per second (target 0.8x)')
            up = statistics.median(h['upload_ms_per_frame'] for h, _ in runs)
            ref_up = statistics.median(r['upload_ms_per_frame'] for _, r in runs)
            if up > 2 * ref_up + 0.05:
                missed.append(f'{label}: {up:.3f} ms uploading per frame, the reference '
                              f'{ref_up:.3f} ms')
            if mode.startswith('band:'):
                band = int(mode.split(':')[1])
                full = results.get((size, 'full'))
                per_upload = [h['rows_per_upload'] for h, _ in runs]
                line = (f'    rows per upload {[round(x, 1) for x in per_upload]} (band {band}); '
                        f'upload ms per frame {up:.3f} (reference {ref_up:.3f})')
                if full:
                    up_full = statistics.median(h['upload_ms_per_frame'] for h, _ in full)
                    line += (f'; full frames {up_full:.3f}: {up / up_full:.3f}x the upload time '
                             f'for {band / size[1]:.3f}x the rows')
                print(line)
                if statistics.median(per_upload) > band + 2:
                    missed.append(f'{label}: {statistics.median(per_upload):.0f} rows uploaded '
                                  f'for a band of {band}')

    if not a.no_guest and os.access('/dev/kvm', os.R_OK | os.W_OK):
        guest, static = os.path.abspath(a.guest), os.path.abspath(a.static_guest)
        g = run_hako('animated', (1280, 800), 'full', a.seconds, guest=guest)
        print(f'real engine: a ring-3 guest repainting 1280x800x32, display area '
              f'{g["area"][0]}x{g["area"][1]}, {a.seconds:.0f} s:')
        print(f'  displayed frames per second     {g["fps"]:.1f}')
        print(f'  texture uploads per second      {g["uploads_per_s"]:.1f} '
              f'({g["rows_per_s"]:.0f} rows/s)')
        if g['ms_per_frame'] is not None:
            print(f'  hako CPU                        {100 * g["cpu"]:.1f} % of one core, '
                  f'{g["ms_per_frame"]:.2f} ms per displayed frame')
        print(f'  hako-vmm CPU                    {100 * g["other_cpu"]:.1f} % (guest + engine)')
        b = run_hako('static', (1280, 800), 'static', a.seconds, guest=static)
        print(f'real engine, static screen, {a.seconds:.0f} s:')
        print(f'  texture uploads per second      {b["uploads_per_s"]:.2f} (target 0)')
        print(f'  frames drawn per second         {b["fps"]:.2f}')
        print(f'  hako CPU                        {100 * b["cpu"]:.2f} % (target < 1 %)')
        if g['fps'] <= 0:
            missed.append('no frames displayed while the guest repaints')
        if b['uploads_per_s'] != 0:
            missed.append('real engine: texture uploads while the screen is static')
        if b['cpu'] >= 0.01:
            missed.append('real engine: hako uses 1 % CPU or more with a static screen')
    elif not a.no_guest:
        print('real engine: skipped (no usable /dev/kvm)')

    if missed:
        fail('targets missed:\n  ' + '\n  '.join(missed))
    print('all targets met')


if __name__ == '__main__':
    main()
