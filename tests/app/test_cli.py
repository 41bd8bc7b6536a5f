#!/usr/bin/env python3
"""`hako --version` prints the version and exits at once, without a display or a D-Bus session
(and `hako --help` lists it).

usage: test_cli.py HAKO VERSION"""
import os
import subprocess
import sys

from hakotest import check


def main():
    hako, version = sys.argv[1:3]
    env = {k: v for k, v in os.environ.items()
           if k not in ('DISPLAY', 'WAYLAND_DISPLAY', 'DBUS_SESSION_BUS_ADDRESS')}
    env['LANG'] = 'C.UTF-8'
    r = subprocess.run([hako, '--version'], env=env, capture_output=True, text=True, timeout=20)
    check(r.returncode == 0, f'hako --version: status {r.returncode}: {r.stderr}')
    check(r.stdout == f'Hako {version}\n', f'hako --version printed {r.stdout!r}')
    r = subprocess.run([hako, '--help'], env=env, capture_output=True, text=True, timeout=20)
    check('--version' in r.stdout, 'hako --help does not list --version')
    print('PASS: hako --version:', version)


if __name__ == '__main__':
    main()
