#!/usr/bin/env python3
"""The library, deleting, renaming and settings windows in the real app under Xvfb (the Session
of test_app.py). No guest runs: these run (not skip) where /dev/kvm is missing.

  settings-close  a VM's settings opened (the app's D-Bus action) and closed with Escape, twice:
                  the app prints no GLib critical or warning (Session.close checks its stderr).
  unreadable      a library with a vm.ini that is a FIFO, one that is garbage and a VM folder
                  reached through a symbolic link too: the window appears (a FIFO used to block
                  the app before its window), the broken VMs are cards that say why, the linked
                  folder is one card; activating a broken card tells why it cannot be opened.

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


def test_unreadable(language=None):
    s = library_session('unreadable' + ('-ja' if language else ''), language=language)
    ja = language == 'ja'
    try:
        vms = os.path.join(s.data, 'hako', 'vms')
        alpha = s.add_vm('alpha', 'Alpha', firmware='bios', memory='128M')
        os.symlink(alpha, os.path.join(vms, 'alias'))
        os.makedirs(os.path.join(vms, 'fifo'))
        os.mkfifo(os.path.join(vms, 'fifo', 'vm.ini'))
        os.makedirs(os.path.join(vms, 'garbage'))
        with open(os.path.join(vms, 'garbage', 'vm.ini'), 'wb') as f:
            f.write(b'\x00\x01 not settings\n[unterminated\n')
        s.start_app()
        unreadable = '読み込めません' if ja else 'Cannot Be Read'

        def cards():
            nodes = shown(s)
            return nodes if len([n for n in nodes if n['name'] == unreadable and
                                 n['role'] == 'label']) == 2 else None
        nodes = s.wait('two cards of VMs that cannot be read', cards, timeout=30)
        s.grab('unreadable')
        t = texts(nodes)
        fifo_reason = 'FIFO' if not ja else 'FIFO'
        check(any(fifo_reason in x for x in t), f'the FIFO card does not say why: {t}')
        check(any('vm.ini' in x and ('damaged' in x or '壊れて' in x) for x in t),
              'the damaged vm.ini card does not say why')
        names = [n['name'] for n in nodes if n['role'] == 'label' and
                 n['name'] in ('Alpha', 'alias', 'fifo', 'garbage')]
        check(names.count('Alpha') == 1 and 'alias' not in names,
              f'the linked folder is not one card: {names}')
        # a broken card cannot be opened: the reason comes as a toast
        card = find(nodes, role='label', name='fifo')
        subprocess.run(['xdotool', 'mousemove', str(card['x'] + card['w'] // 2),
                        str(card['y'] - 80), 'click', '1'], env=s.env, check=True, timeout=10)
        opened = '開けません' if ja else 'cannot be opened'
        s.wait('the reason it cannot be opened',
               lambda: find(shown(s), contains=opened), timeout=10)
        s.grab('unreadable-opened')
        print('unreadable VMs listed with their reasons; the linked folder is one card')
    finally:
        s.close()


MODES = {
    'settings-close': test_settings_close,
    'unreadable': test_unreadable,
    'unreadable-ja': lambda: test_unreadable('ja'),
}


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else 'settings-close'
    if mode not in MODES:
        fail(f'unknown mode {mode}')
    MODES[mode]()
    print('PASS')


if __name__ == '__main__':
    main()
