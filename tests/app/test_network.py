#!/usr/bin/env python3
"""The network in the real app under Xvfb (the Session of test_app.py), in English and Japanese.

  page, page-ja  (no /dev/kvm needed) a VM with the network on and two port forwards in vm.ini
                 (tcp:8080:80 and udp:5353:53): the settings' Network page lists both forwards
                 and shows the MAC from vm.ini; the new-VM wizard (`hako arch.iso`) has the
                 Network line, switched on, saying so, and the line follows the switch (Alt+N: off
                 says there will be no card); the host check window's passt row says what `hako
                 --check` says for it and opens on where passt is.
  info, info-ja  (needs /dev/kvm) a SeaBIOS VM with the network on and no boot medium: SeaBIOS
                 never starts the virtio-net card, so after the grace period the VM window's
                 network info (its network button) says the guest has no driver for the card,
                 marks the step "Guest driver started the card" as never done and the passt step
                 as done.

With LANGUAGE=ja none of the English strings of these views may remain (sizes and frame counts
included). Screenshots stay in <build>/test-output/app-network-MODE/ (network-page.png,
network-page-forwards.png, wizard-network.png, wizard-network-off.png, host-check-passt.png,
host-check-passt-open.png; network-info-waiting.png, network-info.png)."""
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from hakotest import check, need_kvm  # noqa: E402
from test_app import Session  # noqa: E402
from test_wizard import activate, click, find, focus, isos, keys, shown, texts, type_text  # noqa: E402

MAC = '52:54:00:ab:cd:ef'

STRINGS = {
    'en': {
        'network': 'Network',
        'card': 'Network Card',
        'forwards': 'Port Forwarding',
        'conflict': 'port 8080 of this computer is already forwarded (to port 80)',
        'wizard_line': "On: shares this computer's connection, nothing to set up",
        'wizard_off': 'Off: no network card (it can be turned on later in the settings)',
        'new_vm': 'New Virtual Machine',
        'passt_row': 'Network (passt)',
        'no_driver': 'The Guest Has No Driver for the Network Card',
        'driver_step': 'Guest driver started the card',
        'passt_step': 'Network service (passt) running',
        'never': 'never',
    },
    'ja': {
        'network': 'ネットワーク',
        'card': 'ネットワークカード',
        'forwards': 'ポート転送',
        'conflict': 'ポート 8080 はすでに転送されています (ポート 80 へ)',
        'wizard_line': None,  # read from ja.po below
        'wizard_off': None,
        'new_vm': '新しい仮想マシン',
        'passt_row': 'ネットワーク (passt)',
        'no_driver': None,
        'driver_step': None,
        'passt_step': None,
        'never': None,
    },
}

# English of the network views that must not remain in Japanese
ENGLISH = ['Network Card', 'MAC Address', 'Largest Packet', 'Cable Connected', 'Port Forwarding',
           'New Forward', 'Connections to a port', 'Shares this computer', 'On: shares', 'Off: no',
           'Received', 'Sent', 'Network (passt)', 'starts and answers', 'Each running virtual',
           'The Guest Has No Driver', 'In ', 'Linux and the BSDs', 'Network service',
           'Guest driver', 'Guest sent', 'Guest asked', 'Guest got', "Guest's name",
           'Network Settings', 'never', 'Waiting for the Guest']


def po_strings(lang):
    """msgid -> msgstr of po/LANG.po (single-line and continued entries)."""
    path = os.path.join(os.path.dirname(os.path.dirname(HERE)), 'po', lang + '.po')
    out, cur, key = {}, None, None
    with open(path, encoding='utf-8') as f:
        for line in f:
            line = line.rstrip('\n')
            if line.startswith('msgid '):
                cur, key = 'id', line[6:]
                mid, mstr = eval(line[6:]), ''
            elif line.startswith('msgstr '):
                cur = 'str'
                mstr = eval(line[7:])
            elif line.startswith('"') and cur:
                if cur == 'id':
                    mid += eval(line)
                else:
                    mstr += eval(line)
            elif not line.strip() and cur == 'str':
                out[mid] = mstr
                cur = None
        if cur == 'str':
            out[mid] = mstr
    del key
    return out


def strings(lang):
    L = dict(STRINGS[lang])
    if lang == 'ja':
        po = po_strings('ja')
        en = STRINGS['en']
        for k, v in L.items():
            if v is None:
                tr = po.get(en[k], '')
                check(tr, f'no Japanese for {en[k]!r} in ja.po')
                L[k] = tr
    return L


def has(s, text):
    return any(text in t for t in texts(shown(s)))


def english_left(nodes):
    t = texts(nodes)
    return [x for x in t if any(x.startswith(e) for e in ENGLISH) or
            any(w in x for w in (' bytes', ' frames', ' byte)', ' frame '))]


def scroll_down(s, node, clicks=25):
    """Turns the mouse wheel over a node (its scrolled window moves to the end)."""
    x, y = node['x'] + node['w'] // 2, node['y'] + min(node['h'] // 2, 200)
    subprocess.run(['xdotool', 'mousemove', str(x), str(y), 'click', '--repeat', str(clicks),
                    '--delay', '30', '5'], env=s.env, check=True, timeout=30)
    time.sleep(1)


def page_tab(s, name):
    tabs = [n for n in shown(s) if n['role'] in ('page tab', 'toggle button') and
            n['name'] == name]
    return max(tabs, key=lambda n: n['h']) if tabs else None


def test_page(lang):
    L = strings(lang)
    s = Session('network-page' + ('-ja' if lang == 'ja' else ''),
                language='ja' if lang == 'ja' else None, kvm=False)
    try:
        s.settings(window_width=1100, window_height=760)
        s.add_vm('web', 'Web Server', firmware='bios', memory='256M', net='user', mac=MAC,
                 net_forward='tcp:8080:80;udp:5353:53;')
        s.env['HAKO_OSINFO_DIR'] = os.path.join(os.path.dirname(os.path.dirname(HERE)), 'data',
                                                'osinfo')
        s.start_app()
        s.wait('the library', lambda: find(shown(s), role='label', name='Web Server'), timeout=60)

        # (a) the settings' Network page with the two forwards
        activate(s, 'vm-settings', "[<'web'>]")
        tab = s.wait('the settings window', lambda: page_tab(s, L['network']), timeout=30)
        click(s, tab)

        def forwards():
            nodes = shown(s)
            t = texts(nodes)
            ok = any(L['forwards'] in x for x in t) and any('8080' in x for x in t) and \
                any('5353' in x for x in t)
            return nodes if ok else None
        nodes = s.wait('the Network page with two forwards', forwards, timeout=20)
        time.sleep(1)
        s.grab('network-page')
        scroll_down(s, find(nodes, contains=MAC))
        s.grab('network-page-forwards')
        t = texts(nodes)
        print('network page:', t)
        check(any(MAC in x for x in t), f'the MAC from vm.ini is not shown: {t}')
        check(any('TCP' in x and '8080' in x and '80' in x for x in t) or
              ('TCP' in t and '8080' in ' '.join(t)), f'the TCP forward is not listed: {t}')
        check(any('UDP' in x for x in t), f'the UDP forward is not listed: {t}')
        if lang == 'ja':
            left = english_left(nodes)
            check(not left, f'English left on the Network page: {left}')
        # a forward of a host port that is already forwarded is refused inline
        spins = [n for n in shown(s) if n['role'] == 'spin button' and n['text'] == '8081']
        check(spins, 'no host-port field with 8081 in the New Forward row')
        click(s, spins[0])
        keys(s, 'ctrl+a')
        type_text(s, '8080')
        keys(s, 'Tab')
        conflict = s.wait('the inline refusal of a second forward of port 8080',
                          lambda: [x for x in texts(shown(s)) if L['conflict'] in x],
                          timeout=10)
        print('refused inline:', conflict[0])
        s.grab('network-page-conflict')
        for attempt in range(3):
            keys(s, 'Escape')
            time.sleep(1.5)
            if not page_tab(s, L['network']):
                break
        check(not page_tab(s, L['network']), 'Escape does not close the settings window')

        # (b) the wizard's network line
        arch = os.path.join(isos(), 'arch.iso')
        s.hako(arch)

        def wizard_line():
            nodes = shown(s)
            row = [n for n in nodes if L['wizard_line'] in n['name'] or
                   L['wizard_line'] in n['text']]
            return nodes if row and find(nodes, role='label', name='Arch Linux') else None
        nodes = s.wait('the wizard’s network line', wizard_line, timeout=90)
        scroll_down(s, find(nodes, role='label', name='Arch Linux'))
        s.grab('wizard-network')
        if lang == 'ja':
            left = english_left(nodes)
            check(not left, f'English left in the wizard: {left}')
        # the line follows the switch (Alt+N, the row's mnemonic): off says there will be no
        # card, on again says it is on
        focus(s, L['new_vm'])
        keys(s, 'alt+n')
        s.wait('the wizard’s line for the network switched off', lambda: has(s, L['wizard_off']),
               timeout=10)
        check(not has(s, L['wizard_line']), 'the wizard still says the network is on')
        s.grab('wizard-network-off')
        keys(s, 'alt+n')
        s.wait('the wizard’s line for the network switched on again',
               lambda: has(s, L['wizard_line']), timeout=10)
        keys(s, 'Escape')
        s.wait('the wizard to close', lambda: not wizard_line(), timeout=20)

        # (c) the host check's passt row
        r = subprocess.run([s.hako_path, '--check'], env=s.env, capture_output=True, text=True,
                           timeout=120)
        line = [x for x in r.stdout.splitlines() if L['passt_row'] in x]
        check(line, f'hako --check has no passt line:\n{r.stdout}')
        print('hako --check:', line[0])
        activate(s, 'check-host', '[]')
        s.wait('the host check’s passt row', lambda: has(s, L['passt_row']), timeout=60)
        time.sleep(2)
        nodes = shown(s)
        scroll_down(s, find(nodes, role='label', name='/dev/kvm'))
        s.grab('host-check-passt')
        row = [x for x in texts(nodes) if L['passt_row'] in x]
        print('host check:', row)
        verdict = line[0].split(':', 1)[1].strip()
        check(any(verdict in x for x in texts(nodes)),
              f'the window does not say what hako --check says ({verdict!r})')
        # the row opens on the details: where passt is
        row = [n for n in shown(s) if n['role'] == 'label' and n['name'] == L['passt_row']]
        check(row, 'the passt row has no title label')
        click(s, row[-1])
        where = shutil.which('passt') or 'sudo apt install passt'
        nodes = s.wait('the passt row’s details',
                       lambda: [n for n in shown(s) if where in n['name']] and shown(s),
                       timeout=10)
        time.sleep(1)
        scroll_down(s, find(nodes, role='label', name='/dev/kvm'))
        s.grab('host-check-passt-open')
        if lang == 'ja':
            left = english_left(nodes)
            check(not left, f'English left in the host check: {left}')
        print(f'{lang}: Network page with two forwards, wizard line, host check passt row: ok')
    finally:
        s.close()


def test_info(lang):
    need_kvm()
    L = strings(lang)
    s = Session('network-info' + ('-ja' if lang == 'ja' else ''),
                language='ja' if lang == 'ja' else None)
    try:
        s.settings(window_width=1100, window_height=760)
        s.add_vm('nodriver', 'No Driver', firmware='bios', memory='128M', net='user', mac=MAC)
        s.start_app()
        s.wait('the library', lambda: find(shown(s), role='label', name='No Driver'), timeout=60)
        activate(s, 'open-vm', "[<'nodriver'>]")
        s.wait('the engine', lambda: [c for c in s.engines().values() if '--net=user' in c or
                                      '--net user' in c], timeout=60)
        t0 = time.monotonic()

        def button():
            for n in shown(s):
                if n['role'] in ('toggle button', 'push button') and n['name'] == L['network']:
                    return n
            return None
        # the network button opens the info; its verdict follows the guest while it is open
        b = s.wait('the network button', button, timeout=60)
        time.sleep(2)
        click(s, b)
        s.wait('the network info', lambda: has(s, L['passt_step']), timeout=20)
        s.grab('network-info-waiting')
        s.wait('the verdict that the guest has no driver', lambda: has(s, L['no_driver']),
               timeout=120)
        print(f'no-driver verdict after {time.monotonic() - t0:.0f} s')

        def popover():
            nodes = shown(s)
            t = texts(nodes)
            return nodes if any(L['driver_step'] in x for x in t) and \
                any(L['never'] == x for x in t) else None
        nodes = s.wait('the network info', popover, timeout=20)
        # the pointer leaves the button (its tooltip would cover the info's title)
        subprocess.run(['xdotool', 'mousemove', '200', '500'], env=s.env, check=True, timeout=10)
        time.sleep(1.5)
        s.grab('network-info')
        t = texts(nodes)
        print('network info:', t)
        check(any(L['no_driver'] == x for x in t), 'the info does not name the missing driver')
        check(any(L['passt_step'] in x for x in t), 'the passt step is not shown')
        if lang == 'ja':
            left = english_left(nodes)
            check(not left, f'English left in the network info: {left}')
        print(f'{lang}: network info of a guest that never started its card: ok')
    finally:
        s.close()


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else 'page'
    lang = 'ja' if mode.endswith('-ja') else 'en'
    {'page': test_page, 'info': test_info}[mode.split('-')[0]](lang)
    print('PASS')


if __name__ == '__main__':
    main()
