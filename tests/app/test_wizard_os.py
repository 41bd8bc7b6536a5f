#!/usr/bin/env python3
"""The new-VM wizard identifies current operating systems from their discs, in the real app under
Xvfb (the Session of test_app.py). Nothing runs: no /dev/kvm needed.

  en, ja   `hako debian12-netinst.iso` (make_test_isos.py writes it the way debian-cd does:
           volume ID "Debian 12.5.0 amd64 n", .disk/info, isolinux + EFI, isohybrid): the wizard
           says Debian 12 (not "Unknown Operating System"), names the VM "Debian 12", proposes
           Debian 12's recommended 2 GiB of memory and 20 GiB of disk, and its OS list has
           Debian 12 selected, with the Debian releases in natural order (6.0, 7, ... 12, 13).

  unknown  `hako future-netinst.iso` (a netinst of a release no database knows): the VM is named
           from the disc's .disk/info ("Debian 99.1.0", a name the wizard accepts), and the
           proposal is a network installer's (2 GiB, 20 GiB), guessed from the disc.

Screenshots stay in <build>/test-output/app-wizard-os-MODE/ (wizard.png, os-list.png)."""
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from hakotest import check  # noqa: E402
from test_app import Session  # noqa: E402
from test_wizard import click, find, focus, isos, keys, shown, texts, type_text  # noqa: E402

LABELS = {
    'en': {'memory': 'Memory', 'disk': 'Disk Size', 'title': 'New Virtual Machine',
           },
    'ja': {'memory': 'メモリー(M)', 'disk': 'ディスクサイズ(D)', 'title': '新しい仮想マシン',
           },
}


def run(lang):
    L = LABELS[lang]
    iso = os.path.join(isos(), 'debian12-netinst.iso')
    s = Session('wizard-os-' + lang, language=lang if lang == 'ja' else None, kvm=False)
    try:
        s.settings(window_width=1000, window_height=720)
        s.env['HAKO_OSINFO_DIR'] = os.path.join(os.path.dirname(os.path.dirname(HERE)), 'data',
                                                'osinfo')
        s.start_app(iso)

        def proposal():
            nodes = shown(s)
            mem = find(nodes, role='spin button', name=L['memory'])
            title = find(nodes, role='label', name='Debian 12')
            return nodes if mem and title and mem['text'] else None
        nodes = s.wait('the wizard’s proposal for Debian 12', proposal, timeout=90)
        t = texts(nodes)
        check(not any('Unknown' in x or '不明' in x for x in t), f'an unknown OS is shown: {t}')
        mem = find(nodes, role='spin button', name=L['memory'])
        check(mem['text'] == '2048', f'memory proposed {mem["text"]} MiB, not Debian 12’s 2048')
        disk = find(nodes, role='spin button', name=L['disk'])
        check(disk and disk['text'] == '20', f'disk proposed {disk and disk["text"]} GiB, not 20')
        name = [n for n in nodes if n['role'] == 'text' and n['text'] == 'Debian 12']
        check(name, 'the VM is not named “Debian 12”')
        s.grab('wizard')

        # the OS list: Debian 12 selected, Debian releases in natural order
        dropdown = [n for n in nodes if n['role'] in ('combo box', 'push button', 'toggle button')
                    and 'Debian 12' in (n['name'], n['text'])] or \
            [n for n in nodes if n['role'] == 'combo box']
        check(dropdown, 'no OS drop-down: ' + str([(n['role'], n['name']) for n in nodes
                                                   if 'Debian' in n['name'] + n['text']]))
        click(s, dropdown[-1])
        # GTK puts the focus on the list: Shift+Tab goes to its search entry
        time.sleep(1.0)
        keys(s, 'shift+Tab')
        type_text(s, 'Debian')
        want = ['Debian 6.0', 'Debian 7', 'Debian 8', 'Debian 9', 'Debian 10', 'Debian 11',
                'Debian 12', 'Debian 13']

        def debian_rows():
            rows = [n['name'] or n['text'] for n in shown(s) if n['role'] == 'label']
            return rows if 'Debian 6.0' in rows and 'Debian 13' in rows else None
        rows = s.wait('the Debian releases in the list', debian_rows, timeout=20)
        at = rows.index('Debian 6.0')
        print('OS list:', rows[at:at + 10])
        check(rows[at:at + len(want)] == want, f'Debian releases out of order: {rows[at:]}')
        s.grab('os-list')
        subprocess.run(['xdotool', 'key', 'Escape', 'Escape'], env=s.env, timeout=10)
        focus(s, L['title'])
        print('Debian 12 identified, proposed and listed in order')
    finally:
        s.close()


def run_unknown():
    iso = os.path.join(isos(), 'future-netinst.iso')
    s = Session('wizard-os-unknown', kvm=False)
    try:
        s.settings(window_width=1000, window_height=720)
        s.start_app(iso)

        def proposal():
            nodes = shown(s)
            mem = find(nodes, role='spin button', name='Memory')
            return nodes if mem and mem['text'] else None
        nodes = s.wait('the wizard’s proposal', proposal, timeout=90)
        s.grab('wizard')
        t = texts(nodes)
        name = [n for n in nodes if n['role'] == 'text' and n['text'] == 'Debian 99.1.0']
        check(name, f'the VM is not named from .disk/info: {t}')
        check(not any('cannot contain' in x for x in t), f'the proposed name is refused: {t}')
        mem = find(nodes, role='spin button', name='Memory')
        check(mem['text'] == '2048', f'memory proposed {mem["text"]} MiB, not a netinst’s 2048')
        check(any('network installer' in x for x in t), f'no reason from the disc: {t}')
        disk = find(nodes, role='spin button', name='Disk Size')
        check(disk and disk['text'] == '20', f'disk proposed {disk and disk["text"]} GiB')
        print('an unknown netinst: named and sized from what the disc says')
    finally:
        s.close()


if __name__ == '__main__':
    if sys.argv[1] == 'unknown':
        run_unknown()
    else:
        run(sys.argv[1])
