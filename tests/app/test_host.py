#!/usr/bin/env python3
"""Virtual machines that cannot run here, in the real app under Xvfb (the Session of test_app.py),
against a fake host (HAKO_HOST_ROOT: /proc, /sys, /dev made here). No guest runs: these tests need
no /dev/kvm.

  en, ja   The host is the issue's: kvm is loaded, VT-x is switched off in the firmware, kvm_intel
           registered no device (no "kvm" in /proc/misc) and the kernel log says so.
           - the library shows the banner "Virtual machines cannot run on this computer." with the
             finding; Details opens the host check, which names the cause and its fix;
           - opening a VM does not start an engine: the view says it cannot start, with the host
             check's explanation and fix (in Japanese with LANGUAGE=ja, no English left);
           - once the host is fixed (device registered, /dev/kvm there), Try Again spawns the
             engine (a fake that exits with status 1: the failure page with Restart);
           - the host breaks again: Restart goes through the check too, and no engine is spawned;
           - back in the library the banner is there; it goes when /dev/kvm appears, without
             anything else happening in the window.

Screenshots stay in <build>/test-output/host-MODE/ (banner.png, host-check.png, cannot-start.png,
failed.png, restart-refused.png, banner-gone.png)."""
import os
import shutil
import stat
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from hakotest import check  # noqa: E402
from test_app import Session  # noqa: E402
from test_wizard import activate, click, find, keys, shown, texts  # noqa: E402

STRINGS = {
    'en': {
        'banner': 'Virtual machines cannot run on this computer.',
        'finding': 'Intel VT-x is supported by the processor but disabled in the firmware setup',
        'check_title': 'Virtual Machines Cannot Run Yet',
        'cannot': 'The Virtual Machine Cannot Start',
        'fix': 'Intel Virtualization Technology',
        'try_again': 'Try Again',
        'failed': 'The Virtual Machine Stopped Unexpectedly',
        'restart': 'Restart',
    },
    'ja': {
        'banner': 'このコンピューターでは仮想マシンを動かせません。',
        'finding': 'プロセッサーは Intel VT-x に対応していますが、ファームウェア設定で無効になっています',
        'check_title': 'まだ仮想マシンを動かせません',
        'cannot': '仮想マシンを起動できません',
        'fix': 'Intel Virtualization Technology',
        'try_again': '再試行',
        'failed': '仮想マシンが予期せず停止しました',
        'restart': 'もう一度起動',
    },
}

# English of the cannot-start page that must not remain in Japanese
ENGLISH = ['The Virtual Machine Cannot Start', 'This computer cannot run it now', 'How to fix it',
           'Try Again', 'Check This Computer', 'The processor can run virtual machines',
           'Restart the computer', 'The kernel log', 'Cannot Start']


def write(root, rel, text):
    p = os.path.join(root, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, 'w') as f:
        f.write(text)


def broken_host(root):
    """kvm loaded, kvm_intel built in and refused (VT-x off in the firmware), no device."""
    if os.path.exists(root):
        shutil.rmtree(root)
    write(root, 'proc/cpuinfo', 'processor\t: 0\nvendor_id\t: GenuineIntel\n'
          'model name\t: Intel(R) Core(TM) i5-8250U CPU @ 1.60GHz\nflags\t\t: fpu sse sse2\n\n')
    write(root, 'proc/sys/kernel/osrelease', '6.1.0-18-amd64\n')
    write(root, 'proc/meminfo', 'MemTotal:       16384000 kB\nMemAvailable:   12000000 kB\n')
    os.makedirs(os.path.join(root, 'sys/module/kvm/parameters'))
    os.makedirs(os.path.join(root, 'sys/module/kvm_intel/parameters'))
    os.makedirs(os.path.join(root, 'sys/class/misc/fuse'))
    write(root, 'proc/misc', '229 fuse\n237 loop-control\n')
    write(root, 'dev/kmsg', '3,612,2345678,-;kvm_intel: VMX not enabled (by BIOS) in '
          'MSR_IA32_FEAT_CTL on CPU 0\n')
    os.makedirs(os.path.join(root, 'usr/share'))
    for fw in ('seabios', 'OVMF'):
        if os.path.isdir('/usr/share/' + fw):
            os.symlink('/usr/share/' + fw, os.path.join(root, 'usr/share', fw))


def fix_host(root):
    """The user switched VT-x on: the device is registered and udev made the node."""
    flags = 'flags\t\t: fpu sse sse2 vmx\n'
    with open(os.path.join(root, 'proc/cpuinfo')) as f:
        cpu = f.read()
    write(root, 'proc/cpuinfo', cpu.replace('flags\t\t: fpu sse sse2\n', flags))
    write(root, 'proc/misc', '229 fuse\n232 kvm\n237 loop-control\n')
    write(root, 'sys/class/misc/kvm/dev', '10:232\n')
    os.unlink(os.path.join(root, 'dev/kmsg'))
    write(root, 'dev/kvm', '')


def break_host(root):
    os.unlink(os.path.join(root, 'dev/kvm'))
    write(root, 'proc/misc', '229 fuse\n237 loop-control\n')
    shutil.rmtree(os.path.join(root, 'sys/class/misc/kvm'))
    with open(os.path.join(root, 'proc/cpuinfo')) as f:
        cpu = f.read()
    write(root, 'proc/cpuinfo', cpu.replace(' vmx\n', '\n'))
    write(root, 'dev/kmsg', '3,612,2345678,-;kvm_intel: VMX not enabled (by BIOS) in '
          'MSR_IA32_FEAT_CTL on CPU 0\n')


def has(s, text):
    return any(text in t for t in texts(shown(s)))


def button(s, label):
    for n in shown(s):
        if n['role'] == 'push button' and n['name'].replace('_', '').startswith(label):
            return n
    return None


def run(lang):
    L = STRINGS[lang]
    s = Session('host-' + lang, language=lang if lang == 'ja' else None, kvm=False)
    try:
        root = os.path.join(s.out, 'host-root')
        broken_host(root)
        s.env['HAKO_HOST_ROOT'] = root
        # the engine: a stand-in that records each start and fails at once
        starts = os.path.join(s.out, 'engine-starts')
        fake = os.path.join(s.out, 'fake-hako-vmm')
        with open(fake, 'w') as f:
            f.write(f'#!/bin/sh\necho "$@" >> {starts}\nexit 1\n')
        os.chmod(fake, os.stat(fake).st_mode | stat.S_IEXEC)
        s.env['HAKO_VMM'] = fake

        def n_starts():
            if not os.path.exists(starts):
                return 0
            with open(starts) as f:
                return len(f.read().splitlines())

        s.settings(window_width=1000, window_height=720)
        s.add_vm('debian', 'Debian', firmware='bios', memory='1G')
        s.start_app()

        # the library's banner, with the finding
        s.wait('the banner', lambda: has(s, L['banner']) and has(s, L['finding']), timeout=60)
        s.grab('banner')

        # Details: the host check names the cause and the fix
        activate(s, 'check-host', '[]')
        s.wait('the host check', lambda: has(s, L['check_title']) and has(s, 'VMX not enabled'),
               timeout=60)
        s.grab('host-check')
        keys(s, 'Escape')
        s.wait('the host check to close', lambda: not has(s, L['check_title']), timeout=20)

        # opening the VM does not start an engine: it says why, translated
        activate(s, 'open-vm', "[<'debian'>]")
        s.wait('the cannot-start page',
               lambda: has(s, L['cannot']) and has(s, L['fix']), timeout=60)
        time.sleep(1)
        check(n_starts() == 0, 'an engine was started although the host check failed')
        s.grab('cannot-start')
        t = texts(shown(s))
        check(not any(L['failed'] in x for x in t), 'the view says the VM stopped unexpectedly')
        if lang == 'ja':
            left = [x for x in t if any(e in x for e in ENGLISH)]
            check(not left, f'English left on the cannot-start page: {left}')

        # fixed host: Try Again starts the engine (a fake that fails)
        fix_host(root)
        b = s.wait('the Try Again button', lambda: button(s, L['try_again']), timeout=20)
        click(s, b)
        s.wait('the engine to be started', lambda: n_starts() == 1, timeout=60)
        s.wait('the failure page', lambda: has(s, L['failed']), timeout=60)
        s.grab('failed')

        # broken again: Restart goes through the check, no engine starts
        break_host(root)
        b = s.wait('the Restart button', lambda: button(s, L['restart']), timeout=20)
        click(s, b)
        s.wait('the cannot-start page after Restart', lambda: has(s, L['cannot']), timeout=60)
        time.sleep(1)
        check(n_starts() == 1, f'Restart started the engine ({n_starts()} starts)')
        s.grab('restart-refused')

        # the library: the banner is there for as long as it is true
        keys(s, 'alt+Left')
        s.wait('the banner in the library', lambda: has(s, L['banner']), timeout=60)
        fix_host(root)
        s.wait('the banner to go once /dev/kvm appears', lambda: not has(s, L['banner']),
               timeout=60)
        s.grab('banner-gone')
        print('banner, host check, cannot-start, Restart through the check: ok')
    finally:
        s.close()


if __name__ == '__main__':
    run(sys.argv[1])
