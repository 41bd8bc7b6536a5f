#!/usr/bin/env python3
"""The new-VM wizard and the VM settings in the real app under Xvfb (the Session of test_app.py).

  en        `hako arch.iso` (an Arch-like disc made by make_test_isos.py) opens the wizard; it
            identifies Arch Linux and proposes >= 1 GiB; the wizard is walked with the keyboard
            only (name typed, Alt+M to the memory field, Return creates); the VM folder appears
            with vm.ini, a sparse 30 GiB disk and the disc attached CD first, the VM starts (an
            engine with --cdrom runs) and shows in the library. Then the VM's settings (opened
            through the app's D-Bus action): memory changed by typing -> vm.ini changes; a value
            above the host's memory is refused inline and vm.ini keeps the last valid one; the
            running VM's settings say changes apply at the next start.
  ja        the same in Japanese (LANGUAGE=ja): the wizard and the settings show Japanese and none
            of the English strings.
  refuse    a garbage file and a truncated ISO: the wizard shows the reason, Escape closes it,
            and nothing is left in the library folder; Escape on a good disc leaves nothing
            either.

Screenshots stay in <build>/test-output/wizard-MODE/ (wizard.png, vm-started.png, library.png,
settings-general.png, settings-system.png, refused.png)."""
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from hakotest import check, fail  # noqa: E402
from test_app import Session, japanese, read_ini  # noqa: E402


def isos():
    d = os.environ.get('HAKO_TEST_ISOS') or os.path.join(os.getcwd(), 'isos')
    subprocess.run([sys.executable, os.path.join(HERE, 'make_test_isos.py'), d], check=True,
                   timeout=300)
    return d


def shown(s):
    """(role, name, text, x, y, w, h) of the objects on screen."""
    out = []
    for n in s.atspi():
        if n['showing'] and n['w'] > 0 and n['h'] > 0:
            out.append(n)
    return out


def find(nodes, role=None, name=None, contains=None):
    for n in nodes:
        if role and n['role'] != role:
            continue
        if name is not None and n['name'] != name:
            continue
        if contains and contains not in n['name'] and contains not in n['text']:
            continue
        return n
    return None


def texts(nodes):
    return [t for n in nodes for t in (n['name'], n['text']) if t]


def focus(s, title):
    r = subprocess.run(['xdotool', 'search', '--pid', str(s.app.pid), '--name', title],
                       env=s.env, capture_output=True, timeout=10)
    wins = r.stdout.split()
    check(wins, f'no window named {title!r}')
    subprocess.run(['xdotool', 'windowfocus', '--sync', wins[-1]], env=s.env, capture_output=True,
                   timeout=10)
    return wins[-1]


def keys(s, *k):
    subprocess.run(['xdotool', 'key', '--delay', '60', *k], env=s.env, check=True, timeout=20)


def type_text(s, text):
    subprocess.run(['xdotool', 'type', '--delay', '60', text], env=s.env, check=True, timeout=20)


def click(s, node):
    x, y = node['x'] + node['w'] // 2, node['y'] + node['h'] // 2
    subprocess.run(['xdotool', 'mousemove', str(x), str(y), 'click', '1'], env=s.env,
                   check=True, timeout=10)


def activate(s, action, param):
    """An action of the running app over D-Bus (org.gtk.Actions)."""
    r = subprocess.run(['gdbus', 'call', '--session', '--dest', 'io.github.hakovm.Hako',
                        '--object-path', '/io/github/hakovm/Hako', '--method',
                        'org.gtk.Actions.Activate', action, param, '{}'],
                       env=s.env, capture_output=True, timeout=30)
    check(r.returncode == 0, f'gdbus {action}: {r.stderr.decode()}')


# English strings of the wizard and settings that must not remain in Japanese
ENGLISH = ['New Virtual Machine', 'Operating System', 'Resources', 'Memory', 'Processors',
           'Disk Size', 'Firmware', 'Create', 'Cancel', 'Starts with', 'This computer',
           'twice the minimum', 'Processors and Memory', 'Start-Up', 'Boot Order', 'Storage',
           'Advanced', 'Notes', 'Delete Virtual Machine', 'This computer can spare']

LABELS = {
    'en': {'memory': 'Memory', 'system': 'System', 'running': 'next starts',
           'at_most': 'at most'},
    'ja': {'memory': 'メモリー(M)', 'system': 'システム', 'running': '次の起動',
           'at_most': '割り当てられるのは最大'},
}


def run_wizard(lang):
    L = LABELS[lang]
    iso_dir = isos()
    arch = os.path.join(iso_dir, 'arch.iso')
    # creating a VM and editing its settings need no KVM: only the parts that run a guest are
    # left out where /dev/kvm is missing (then the new, stopped VM's settings are edited)
    have_kvm = os.path.exists('/dev/kvm') and os.access('/dev/kvm', os.R_OK | os.W_OK)
    s = Session('wizard-' + lang, language='ja' if lang == 'ja' else None, kvm=False)
    try:
        s.settings(window_width=1100, window_height=760)
        # a VM that stays up at SeaBIOS's "no bootable device" (the Arch-like disc's isolinux
        # may stop on hosts whose KVM emulates real-mode code): its settings are edited running
        s.add_vm('idle', 'Idle', firmware='bios', memory='256M')
        edited, edited_mem = ('idle', '256') if have_kvm else ('arch-test', '1536')
        s.env['HAKO_OSINFO_DIR'] = os.path.join(os.path.dirname(os.path.dirname(HERE)), 'data',
                                                'osinfo')
        s.start_app(arch)

        # the wizard reads the disc and proposes
        def proposal():
            nodes = shown(s)
            mem = find(nodes, role='spin button', name=L['memory'])
            title = find(nodes, role='label', name='Arch Linux')
            return nodes if mem and title and mem['text'] else None
        nodes = s.wait('the wizard’s proposal for Arch Linux', proposal, timeout=90)
        mem = find(nodes, role='spin button', name=L['memory'])
        check(int(mem['text']) >= 1024, f'memory proposed {mem["text"]} MiB, below 1 GiB')
        s.grab('wizard')
        if lang == 'ja':
            t = texts(nodes)
            check(any('メモリー' in x for x in t) and any('ファームウェア' in x for x in t),
                  f'the wizard is not in Japanese: {t[:20]}')
            left = [x for x in t if any(e == x or x.startswith(e) for e in ENGLISH)]
            check(not left, f'English left in the wizard: {left}')

        # keyboard only: the name field has the focus; Alt+M goes to memory; Return creates
        focus(s, 'New Virtual Machine' if lang == 'en' else '新しい仮想マシン')
        keys(s, 'ctrl+a')
        type_text(s, 'Arch Test')
        keys(s, 'alt+m', 'ctrl+a')
        type_text(s, '1536')
        keys(s, 'Tab')
        time.sleep(0.5)
        keys(s, 'Return')

        vmdir = os.path.join(s.data, 'hako', 'vms', 'arch-test')
        ini = os.path.join(vmdir, 'vm.ini')
        s.wait('the VM folder', lambda: os.path.exists(ini), timeout=60)
        cfg = read_ini(ini)
        e = cfg.get('Engine', {})
        print('vm.ini:', json.dumps(cfg, ensure_ascii=False))
        check(cfg.get('VM', {}).get('Name') == 'Arch Test', f'name in vm.ini: {cfg.get("VM")}')
        check(cfg.get('VM', {}).get('OS') == 'http://archlinux.org/archlinux/rolling',
              'the OS is not recorded')
        check(e.get('memory') == '1536M', f'memory in vm.ini: {e.get("memory")}')
        check(e.get('cdrom') == arch, f'cdrom in vm.ini: {e.get("cdrom")}')
        check(e.get('boot') == 'cdrom', f'boot order in vm.ini: {e.get("boot")}')
        check(e.get('firmware') in ('bios', 'uefi'), f'firmware in vm.ini: {e.get("firmware")}')
        check(re.fullmatch(r'[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}',
                           e.get('uuid', '')), f'no random machine UUID in vm.ini: {e.get("uuid")}')
        if e.get('firmware') == 'uefi':
            check(os.path.exists(os.path.join(vmdir, 'OVMF_VARS.fd')), 'no UEFI variable store')
        st = os.stat(os.path.join(vmdir, 'disk.img'))
        check(st.st_size == 30 << 30, f'disk size {st.st_size}')
        check(st.st_blocks * 512 < (64 << 20), 'the disk image is not sparse')
        leftovers = [n for n in os.listdir(os.path.dirname(vmdir)) if n.startswith('.new-')]
        check(not leftovers, f'staging folders left: {leftovers}')

        if have_kvm:
            # the VM starts with the disc attached
            def engine_with_cd():
                return [c for c in s.engines().values() if '--cdrom=' + arch in c]
            s.wait('an engine running the disc', engine_with_cd, timeout=60)
            check(any('--uuid=' + e['uuid'] in c for c in engine_with_cd()),
                  'the engine was not given the VM\'s UUID')
            time.sleep(3)
            s.grab('vm-started')

            # settings of a running VM: change memory, see vm.ini change
            activate(s, 'open-vm', "[<'idle'>]")
            s.wait('the idle VM’s engine',
                   lambda: [c for c in s.engines().values() if '/vms/idle' in c], timeout=60)
            ini = os.path.join(s.data, 'hako', 'vms', 'idle', 'vm.ini')
            # a hand-written VM without a UUID gets one on its first start, kept in vm.ini
            idle_uuid = read_ini(ini)['Engine'].get('uuid', '')
            check(re.fullmatch(r'[0-9a-f-]{36}', idle_uuid),
                  f'no UUID recorded on start: {idle_uuid}')
            check(any('--uuid=' + idle_uuid in c for c in s.engines().values()
                      if '/vms/idle' in c), 'the idle VM’s engine did not get its UUID')
        else:
            print('no /dev/kvm: starting the VM and a running VM\'s settings are not checked; '
                  'the new VM\'s settings are')
            time.sleep(3)
            s.grab('vm-created-no-kvm')
            check(s.app_alive(), 'hako exited')
            ini = os.path.join(s.data, 'hako', 'vms', 'arch-test', 'vm.ini')
        activate(s, 'vm-settings', f"[<'{edited}'>]")

        def system_tab():
            # the view switcher's tab (a squeezer holds a wide and a narrow switcher; the one
            # on screen is the taller)
            tabs = [n for n in shown(s) if n['role'] in ('page tab', 'toggle button') and
                    n['name'] == L['system']]
            return max(tabs, key=lambda n: n['h']) if tabs else None
        tab = s.wait('the settings window', system_tab, timeout=30)
        s.grab('settings-general')
        click(s, tab)

        def memory_spin():
            nodes = shown(s)
            spin = find(nodes, role='spin button', name=L['memory'])
            return (spin, nodes) if spin and spin['text'] else None
        spin, nodes = s.wait('the memory field in the settings', memory_spin, timeout=20)
        check(spin['text'] == edited_mem, f'settings show memory {spin["text"]}')
        t = texts(nodes)
        check(not have_kvm or any(L['running'] in x for x in t),
              'the running VM’s settings do not say when changes apply')
        click(s, spin)
        keys(s, 'ctrl+a')
        type_text(s, '2048')
        keys(s, 'Tab')
        s.wait('memory=2048M in vm.ini',
               lambda: read_ini(ini)['Engine'].get('memory') == '2048M', timeout=10)
        # refused inline: more than the host has
        spin, nodes = memory_spin()
        click(s, spin)
        keys(s, 'ctrl+a')
        type_text(s, '99999999')
        keys(s, 'Tab')
        time.sleep(1.0)
        check(read_ini(ini)['Engine'].get('memory') == '2048M',
              'an impossible memory size reached vm.ini')
        nodes = shown(s)
        reason = [x for x in texts(nodes) if L['at_most'] in x]
        check(reason, 'no reason shown for the refused memory size')
        print('refused with:', reason[0])
        s.grab('settings-system')
        if lang == 'ja':
            t = texts(nodes)
            left = [x for x in t if any(e == x or x.startswith(e) for e in ENGLISH)]
            check(not left, f'English left in the settings: {left}')
        # put it back to a valid value before closing
        spin, nodes = memory_spin()
        click(s, spin)
        keys(s, 'ctrl+a')
        type_text(s, '2048')
        keys(s, 'Tab', 'Escape')

        # the new VM is in the library (the back button: while the guest's screen has the
        # focus, keyboard shortcuts go to the guest, so Alt+Left would not do it)
        back_label = 'Back to the Library' if lang == 'en' else '一覧に戻る'
        back = s.wait('the back button',
                      lambda: find(shown(s), role='push button', name=back_label), timeout=20)
        click(s, back)

        new_vm = 'New Virtual Machine' if lang == 'en' else '新しい仮想マシン'

        def in_library():
            nodes = shown(s)
            return (find(nodes, role='label', name='Arch Test') and
                    find(nodes, role='label', name='Idle') and
                    find(nodes, role='push button', name=new_vm))
        s.wait('the VM in the library', in_library, timeout=20)
        s.grab('library')
        print(f'{lang}: wizard walked by keyboard, VM created' +
              (' and started' if have_kvm else '') + ', settings saved')
    finally:
        s.close()


def run_refuse():
    iso_dir = isos()
    s = Session('wizard-refuse', kvm=False)  # no guest runs
    try:
        vms = os.path.join(s.data, 'hako', 'vms')
        s.start_app(os.path.join(iso_dir, 'garbage.iso'))

        def error_shown():
            nodes = shown(s)
            return find(nodes, contains='not a CD or DVD image')
        s.wait('the reason for the garbage file', error_shown, timeout=60)
        s.grab('refused')
        focus(s, 'New Virtual Machine')
        keys(s, 'Escape')
        s.wait('the wizard to close', lambda: not find(shown(s), role='frame',
                                                         name='New Virtual Machine'), timeout=20)
        s.hako(os.path.join(iso_dir, 'truncated.iso'))
        s.wait('the reason for the truncated disc',
               lambda: find(shown(s), contains='incomplete'), timeout=60)
        focus(s, 'New Virtual Machine')
        keys(s, 'Escape')
        # a good disc, cancelled at the proposal
        s.hako(os.path.join(iso_dir, 'both.iso'))
        s.wait('the proposal', lambda: find(shown(s), role='spin button', name='Memory'),
               timeout=90)
        focus(s, 'New Virtual Machine')
        keys(s, 'Escape')
        time.sleep(1.0)
        left = os.listdir(vms)
        check(not left, f'cancelled wizards left {left} in the library folder')
        check(s.app_alive(), 'hako exited')
        print('refused files explained; cancelling left nothing behind')
    finally:
        s.close()


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else 'en'
    if mode == 'refuse':
        run_refuse()
    elif mode in LABELS:
        run_wizard(mode)
    else:
        fail(f'unknown mode {mode}')
    print('PASS')


if __name__ == '__main__':
    main()
