#!/usr/bin/env python3
"""Runs one assembled guest program under hako-vmm and checks how it ended.

usage: run_guest.py HAKO_VMM IMAGE NAME [extra engine args...]
The program passes by writing 0x10 to the debug exit port (status 33).
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tools'))
import hakotest as ht  # noqa: E402


def check_fb_user(shot):
    img = ht.read_png(shot)
    ht.check((img.width, img.height) == (640, 480), f'scanout is {img.width}x{img.height}')
    for x, y in ((0, 0), (17, 3), (300, 200), (639, 479), (255, 255)):
        want = (x & 0xFF, y & 0xFF, 0x5A)
        got = img.pixel(x, y)
        ht.check(got == want, f'pixel ({x},{y}) is {got}, the guest wrote {want}')


CHECKS = {'fb-user': check_fb_user}

# kbd-irq: hako-vmm --keys types a, up, pause, print and yen in each of the program's four phases
# (when it says "kbd-irq ready N" on COM1); its IRQ 1 handler prints what port 0x60 gave. Set 1
# (translated set 2 and raw set 1), raw set 2 and raw set 3, byte for byte as the scan code
# specification has them.
KBD_KEYS = 'a,up,pause,print,yen'
KBD_SET1 = ('1e 9e  e0 48 e0 c8  e1 1d 45 e1 9d c5  e0 2a e0 37 e0 b7 e0 aa  7d fd')
KBD_SET2 = ('1c f0 1c  e0 75 e0 f0 75  e1 14 77 e1 f0 14 f0 77  '
            'e0 12 e0 7c e0 f0 7c e0 f0 12  6a f0 6a')
KBD_SET3 = '1c f0 1c  63 f0 63  62 f0 62  57 f0 57  5d f0 5d'
KBD_PHASES = {'1': KBD_SET1, '2': KBD_SET2, '3': KBD_SET1, '4': KBD_SET3}


def check_kbd_irq(log):
    with open(log, encoding='latin-1') as f:
        text = f.read()
    seen = {}
    for line in text.splitlines():
        if line.startswith('[') and line[2:3] == ']':
            seen[line[1]] = line[3:].split()
    for phase, want in KBD_PHASES.items():
        got = seen.get(phase)
        ht.check(got is not None, f'phase {phase} missing from the guest output:\n{text}')
        ht.check(got == want.split(), f'phase {phase}: port 0x60 gave {" ".join(got)}, '
                 f'expected {" ".join(want.split())}')
        print(f'phase {phase}: {" ".join(got)}')


def print_log(log):
    """Shows what the guest printed on the debug console (the values it read)."""
    with open(log, encoding='latin-1') as f:
        print(f.read(), end='')


LOG_CHECKS = {'kbd-irq': check_kbd_irq, 'cpu-topology': print_log, 'pv-reset': print_log,
              'nmi-reset': print_log}


def check_vmmouse(stdout):
    """The engine noticed that the guest switched the absolute pointer on."""
    lines = [line for line in stdout.splitlines() if 'pointer-mode' in line]
    ht.check(any('absolute pointer on' in line for line in lines),
             f'no pointer-mode fact saying the absolute pointer is on: {lines}')


STDOUT_CHECKS = {'vmmouse': check_vmmouse}
EXTRA_ARGS = {
    'kbd-irq': ['--keys', ' '.join(f'@"kbd-irq ready {n}":{KBD_KEYS}' for n in '1234')],
    'vmmouse': ['--diagnose'],
}


def main():
    vmm, image, name = sys.argv[1:4]
    extra = sys.argv[4:]
    ht.need_kvm()
    out = ht.tmpdir('guests')
    shot = os.path.join(out, name + '.png')
    log = os.path.join(out, name + '.debugcon')
    cmd = [vmm, '--firmware', image, '--debug-exit-port', '0xf4', '--exit-after', '60',
           '--memory', '64M', '--screenshot', shot, '--debugcon', log]
    cmd += EXTRA_ARGS.get(name, []) + extra
    status, so, se, secs = ht.run(cmd, timeout=90)
    print(f'{name}: exit status {status} after {secs:.2f}s')
    if so:
        print(so)
    if se:
        print(se)
    if status != 33 and name in LOG_CHECKS:
        LOG_CHECKS[name](log)
    ht.check(status == 33, f'{name} did not pass (status {status}; 33 = pass, '
             f'(0x20 + n) * 2 + 1 = failed check n, 0 = timed out)')
    if name in CHECKS:
        CHECKS[name](shot)
    if name in LOG_CHECKS:
        LOG_CHECKS[name](log)
    if name in STDOUT_CHECKS:
        STDOUT_CHECKS[name](so)
    print('PASS')


if __name__ == '__main__':
    main()
