#!/usr/bin/env python3
"""Toasts fit their window, in English and Japanese: every toast message written literally in
src/*.c (toast(..., _("..."))) is shown by toast-fit (the app's own hako_toast_new in a window of
the narrowest width that shows toasts: the VM settings' 640 px) under Xvfb; a title that GTK
ellipsizes (ends in "…", its end lost) fails the test.

usage: toast_fit.py TOAST_FIT SRC_DIR"""
import os
import re
import shutil
import subprocess
import sys
import time

from hakotest import SKIP, check, fail, start_xvfb

WIDTH = 640
CALL = re.compile(r'(?:toast\([^;]*?|hako_toast_new\(|hako_window_add_toast\([^;]*?)_\(\s*((?:"(?:[^"\\]|\\.)*"\s*)+)\)',
                  re.S)


def messages(src):
    found = []
    for name in sorted(os.listdir(src)):
        if not name.endswith('.c'):
            continue
        with open(os.path.join(src, name)) as f:
            text = f.read()
        for m in CALL.finditer(text):
            parts = re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(1))
            msg = ''.join(parts).encode().decode('unicode_escape').encode('latin-1').decode()
            found.append((name, msg))
    return found


def start_x():
    return start_xvfb(range(120, 240))


def main():
    tool, src = sys.argv[1:3]
    if not shutil.which('Xvfb'):
        print('SKIP: Xvfb is not installed')
        sys.exit(SKIP)
    msgs = messages(src)
    check(len(msgs) >= 5, f'found only {len(msgs)} toast messages in {src}')
    xvfb, display = start_x()
    cut = []
    try:
        for lang in ('en', 'ja'):
            env = dict(os.environ, DISPLAY=display, GDK_BACKEND='x11', LANG='C.UTF-8',
                       LIBGL_ALWAYS_SOFTWARE='1', GSK_RENDERER='cairo', NO_AT_BRIDGE='1')
            env.pop('LC_ALL', None)
            if lang == 'ja':
                env['LANGUAGE'] = 'ja'
            else:
                env.pop('LANGUAGE', None)
            r = subprocess.run([tool, str(WIDTH)] + [m for _, m in msgs], env=env,
                               capture_output=True, text=True, timeout=120)
            print(f'-- {lang}')
            print(r.stdout, end='')
            cut += [f'{lang}: {line[4:]}' for line in r.stdout.splitlines()
                    if line.startswith(('CUT', 'NOT SHOWN'))]
            check(r.returncode in (0, 1), f'toast-fit failed: {r.stderr}')
    finally:
        xvfb.kill()
        xvfb.wait()
    check(not cut, 'toasts that do not fit a 640 px window:\n  ' + '\n  '.join(cut))
    print(f'{len(msgs)} toast messages fit in English and Japanese')


if __name__ == '__main__':
    main()
