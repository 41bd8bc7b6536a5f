#!/usr/bin/env python3
"""The library, deleting, renaming and settings windows in the real app under Xvfb (the Session
of test_app.py). No guest runs: these run (not skip) where /dev/kvm is missing.

  settings-close  a VM's settings opened (the app's D-Bus action) and closed with Escape, twice:
                  the app prints no GLib critical or warning (Session.close checks its stderr).

Screenshots stay in <build>/test-output/library-MODE/."""
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from hakotest import check, fail  # noqa: E402
from test_app import Session  # noqa: E402
from test_wizard import activate, find, focus, keys, shown, texts  # noqa: E402


def library_session(mode, language=None):
    s = Session('library-' + mode, language=language, kvm=False)
    s.settings(window_width=1100, window_height=760)
    return s


def wait_library(s, name):
    return s.wait(f'“{name}” in the library', lambda: find(shown(s), role='label', name=name),
                  timeout=30)


def test_settings_close():
    s = library_session('settings-close')
    try:
        s.add_vm('alpha', 'Alpha', firmware='bios', memory='128M')
        s.start_app()
        wait_library(s, 'Alpha')
        for i in range(2):
            activate(s, 'vm-settings', "[<'alpha'>]")
            s.wait('the settings window',
                   lambda: find(shown(s), role='frame', name='Alpha'), timeout=30)
            if i == 0:
                s.grab('settings')
            focus(s, 'Alpha')
            keys(s, 'Escape')
            s.wait('the settings window to close',
                   lambda: not find(shown(s), role='frame', name='Alpha'), timeout=20)
        time.sleep(1.0)  # finalization runs after the window is gone
        s.check_stderr()
        print('settings opened and closed twice without a GLib critical or warning')
    finally:
        s.close()


MODES = {
    'settings-close': test_settings_close,
}


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else 'settings-close'
    if mode not in MODES:
        fail(f'unknown mode {mode}')
    MODES[mode]()
    print('PASS')


if __name__ == '__main__':
    main()
