#!/usr/bin/env python3
"""The values in Preferences are not cut, in English and Japanese, at the window's narrowest
width (360 px) and at its default (640 px): prefs-fit under Xvfb.

usage: prefs_fit.py PREFS_FIT   (exits 77 without Xvfb)"""
import os
import subprocess
import sys

from diagnosis_shots import start_x
from hakotest import check


def main():
    tool = sys.argv[1]
    xvfb, display = start_x()
    failures = []
    try:
        for lang in ('en', 'ja'):
            for width in (360, 640):
                env = dict(os.environ, DISPLAY=display, GDK_BACKEND='x11',
                           GSETTINGS_BACKEND='memory', LANG='C.UTF-8', LIBGL_ALWAYS_SOFTWARE='1')
                env.pop('LC_ALL', None)
                env.pop('LANGUAGE', None)
                if lang == 'ja':
                    env['LANGUAGE'] = 'ja'
                r = subprocess.run([tool, str(width)], env=env, capture_output=True, text=True,
                                   timeout=60)
                print(f'--- {lang}, {width} px (exit {r.returncode})\n{r.stdout}{r.stderr}')
                if r.returncode != 0:
                    failures.append(f'{lang} at {width} px')
    finally:
        xvfb.kill()
    check(not failures, 'labels cut in Preferences: ' + ', '.join(failures))
    print('nothing cut')


if __name__ == '__main__':
    main()
