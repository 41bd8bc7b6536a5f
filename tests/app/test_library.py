#!/usr/bin/env python3
"""The library, deleting, renaming and settings windows in the real app under Xvfb (the Session
of test_app.py). No guest runs: these run (not skip) where /dev/kvm is missing.

  settings-close  a VM's settings opened (the app's D-Bus action) and closed with Escape, twice:
                  the app prints no GLib critical or warning (Session.close checks its stderr).
  unreadable      a library with a vm.ini that is a FIFO, one that is garbage and a VM folder
                  reached through a symbolic link too: the window appears (a FIFO used to block
                  the app before its window), the broken VMs are cards that say why, the linked
                  folder is one card; activating a broken card tells why it cannot be opened.

  delete          deleting from the card menu: the VM leaves the library at once and the toast
                  offers Undo, which brings it back untouched; a VM named "Tom & Jerry <3"
                  (markup characters: the toast shows the name, GTK does not warn) deleted with
                  "keep the disk images" where there is no Documents folder: a folder chooser
                  asks where; when the toast goes, the image is there (still sparse) and the
                  VM's folder is in the Trash under the VM's name (with its .trashinfo).
  delete-ja       the delete toast in Japanese (screenshot), Undo.
  show-log        a VM whose engine.log is a FIFO: Settings > Advanced > Engine Log > Show opens
                  the log window saying there is no log yet (the log was read whole on the main
                  thread: a FIFO froze the app).
  keep-across     "keep the disk images" into a Documents folder on another file system (tmpfs):
                  the app keeps answering while the image moves, and the kept image is as sparse
                  as it was (g_file_move's copy fallback wrote every zero, on the main thread).
  one-window      `hako arch.iso` (a wizard, the active window), then `hako both.iso`: still one
                  library window; Ctrl+Q in a wizard quits the app (all its windows).
  duplicate       `hako arch.iso` twice: two wizards propose "Arch Linux"; Create in both, one
                  right after the other: one VM is made, the other wizard says why, in the window
                  (not only in a tooltip). duplicate-ja: the same in Japanese.
  disk-image      `hako gpt-efi.img` (a raw image with a GPT and an EFI system partition): the
                  wizard offers a VM around it (copy, move or use in place; copy chosen): the
                  VM's folder gets a sparse copy, vm.ini boots from it, the original stays;
                  `hako disk.qcow2`: refused, with the qemu-img command that makes a raw copy;
                  `hako memtest86+x64.iso`: no disk proposed, and the VM is made without one.
                  disk-image-ja: the same pages in Japanese.
  many            10,000 VMs (folders as tests/bench/library.py makes them): the window shows
                  cards, and only about a screenful of cards exists (the accessibility tree holds
                  a few dozen, not 10,000); the last VM is reached with End. many-ja: Japanese.
                  (How fast: tests/bench/library.py, not this test.)

Screenshots stay in <build>/test-output/library-MODE/."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from hakotest import check, fail  # noqa: E402
from test_app import Session, read_ini  # noqa: E402
from test_wizard import activate, click, find, focus, keys, shown, texts  # noqa: E402


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


def card_menu(s, name, key):
    """Opens the card's menu (right click) and picks the item with mnemonic key."""
    n = s.wait(f'“{name}” in the library', lambda: find(shown(s), role='label', name=name),
               timeout=30)
    subprocess.run(['xdotool', 'mousemove', str(n['x'] + n['w'] // 2), str(n['y'] - 60),
                    'click', '3'], env=s.env, check=True, timeout=10)
    time.sleep(0.8)
    keys(s, key)


def push(s, suffix, timeout=10):
    """Clicks the push button whose accessible name ends with suffix (GTK 4.8 names a button
    with a mnemonic "_Label Label")."""
    pattern = re.compile(r'(^| )' + re.escape(suffix) + r'(\(.\))?$')
    b = s.wait(f'the {suffix} button', lambda: next(
        (n for n in shown(s) if n['role'] == 'push button' and pattern.search(n['name'])),
        None), timeout=timeout)
    click(s, b)
    return b


def test_delete(language=None):
    ja = language == 'ja'
    s = library_session('delete' + ('-ja' if ja else ''), language=language)
    L = {'delete': '削除' if ja else 'Delete', 'undo': '元に戻す' if ja else 'Undo',
         'deleted': '削除しました' if ja else 'deleted'}
    try:
        vms = os.path.join(s.data, 'hako', 'vms')
        s.add_vm('undo', 'Undo Me', firmware='bios', memory='128M')
        tom = s.add_vm('tom', 'Tom & Jerry <3', firmware='bios', memory='128M',
                       disk='disk.img')
        image = os.path.join(tom, 'disk.img')
        with open(image, 'wb') as f:
            f.truncate(4 << 30)
            f.seek(1 << 20)
            f.write(b'DATA' * 4096)
        s.start_app()

        # Undo: back in the library, nothing touched
        card_menu(s, 'Undo Me', 'd')
        s.wait('the question', lambda: find(shown(s), role='label', contains='Undo Me') and
               find(shown(s), contains=L['delete']), timeout=10)
        push(s, L['delete'])
        s.wait('the card to go', lambda: not find(shown(s), role='label', name='Undo Me'),
               timeout=10)
        s.wait('the toast', lambda: find(shown(s), contains=L['deleted']), timeout=10)
        s.grab('undo-toast')
        check(os.path.exists(os.path.join(vms, 'undo', 'vm.ini')),
              'the folder went before the toast did')
        push(s, L['undo'])
        s.wait('the card back', lambda: find(shown(s), role='label', name='Undo Me'),
               timeout=10)
        check(os.path.exists(os.path.join(vms, 'undo', 'vm.ini')), 'Undo lost the folder')
        if ja:
            print('delete toast in Japanese, Undo brought the VM back')
            return

        # keep the disk images, no Documents folder: the user chooses where
        keep_dir = os.path.join(s.home, 'kept images')
        os.makedirs(keep_dir)
        card_menu(s, 'Tom & Jerry <3', 'd')
        box = s.wait('the keep check box', lambda: find(shown(s), contains='you choose where'),
                     timeout=10)
        click(s, box)
        push(s, L['delete'])
        s.wait('the folder chooser', lambda: find(shown(s), contains='Keep Here'), timeout=10)
        keys(s, 'ctrl+l')
        subprocess.run(['xdotool', 'type', '--delay', '30', keep_dir + '/'], env=s.env,
                       check=True, timeout=30)
        time.sleep(0.5)
        s.grab('keep-chooser')
        keys(s, 'Return')  # opens the typed folder, or takes it
        time.sleep(1.0)
        if find(shown(s), contains='Keep Here'):
            push(s, 'Keep Here')
        toast = s.wait('the toast with the name as it is',
                       lambda: find(shown(s), name='“Tom & Jerry <3” deleted'), timeout=10)
        s.grab('delete-toast')
        check(toast, 'no toast')
        check(os.path.exists(image), 'the image moved before the toast went')
        kept = os.path.join(keep_dir, 'Tom & Jerry <3.img')
        s.wait('the image kept', lambda: os.path.exists(kept), timeout=30)
        trash = os.path.join(s.data, 'Trash')
        s.wait('the folder in the Trash under the VM’s name',
               lambda: os.path.exists(os.path.join(trash, 'files', 'Tom & Jerry <3', 'vm.ini')),
               timeout=30)
        check(os.path.exists(os.path.join(trash, 'info', 'Tom & Jerry <3.trashinfo')),
              'no .trashinfo')
        check(not os.path.exists(tom), 'the VM folder is still in the library')
        st = os.stat(kept)
        check(st.st_size == 4 << 30 and st.st_blocks * 512 < (64 << 20),
              f'the kept image is not the same sparse image: {st.st_size} bytes, '
              f'{st.st_blocks * 512} allocated')
        with open(kept, 'rb') as f:
            f.seek(1 << 20)
            check(f.read(16) == b'DATA' * 4, 'the kept image lost its data')
        s.wait('the toast saying where it is',
               lambda: find(shown(s), contains='kept in “kept images”'), timeout=15)
        s.grab('kept-toast')
        check(find(shown(s), role='label', name='Undo Me'), 'the other VM went too')
        print('Undo brings a VM back; deleting keeps the image where the user said and puts the '
              'folder in the Trash under the VM’s name')
    finally:
        s.close()


def test_show_log():
    s = library_session('show-log')
    try:
        d = s.add_vm('alpha', 'Alpha', firmware='bios', memory='128M')
        os.mkfifo(os.path.join(d, 'engine.log'))
        s.start_app()
        wait_library(s, 'Alpha')
        activate(s, 'vm-settings', "[<'alpha'>]")

        def tab():
            tabs = [n for n in shown(s) if n['role'] in ('page tab', 'toggle button') and
                    n['name'] == 'Advanced']
            return max(tabs, key=lambda n: n['h']) if tabs else None
        click(s, s.wait('the Advanced page', tab, timeout=30))
        click(s, s.wait('the Show button', lambda: find(shown(s), role='label', name='Show'),
                        timeout=10))
        s.wait('the log window', lambda: find(shown(s), contains='has not written a log yet'),
               timeout=15)
        s.grab('log-window')
        check(s.app_alive(), 'hako exited')
        print('a FIFO engine.log is not waited on: the log window opens')
    finally:
        s.close()


def test_keep_across():
    shm = '/dev/shm'
    if (not os.path.isdir(shm) or not os.access(shm, os.W_OK) or
            os.stat(shm).st_dev == os.stat(HERE).st_dev):
        print('SKIP: no /dev/shm on another file system')
        sys.exit(77)
    s = library_session('keep-across')
    docs = tempfile.mkdtemp(prefix='hako-test-docs-', dir=shm)
    try:
        with open(os.path.join(s.config, 'user-dirs.dirs'), 'w') as f:
            f.write(f'XDG_DOCUMENTS_DIR="{docs}"\n')
        d = s.add_vm('big', 'Big', firmware='bios', memory='128M', disk='disk.img')
        image = os.path.join(d, 'disk.img')
        with open(image, 'wb') as f:
            f.truncate(2 << 30)
            for off in (0, 1 << 30, (2 << 30) - 4096):
                f.seek(off)
                f.write(b'HAKO' * 1024)
        s.start_app()
        card_menu(s, 'Big', 'd')
        box = s.wait('the keep check box', lambda: find(shown(s), contains='Documents folder'),
                     timeout=10)
        click(s, box)
        push(s, 'Delete')
        s.wait('the toast', lambda: find(shown(s), contains='deleted'), timeout=10)
        keys(s, 'Escape')
        kept = os.path.join(docs, 'Big.img')
        # the window answers (its accessibility tree) while the image moves
        t0 = time.monotonic()
        while not os.path.exists(kept) or os.path.exists(image):
            check(time.monotonic() - t0 < 60, 'the image was not moved within a minute')
            check(find(shown(s), role='label', contains='Virtual Machines') is not None or
                  find(shown(s), role='label', contains='No Virtual Machines') is not None,
                  'the window stopped answering while the image moved')
            time.sleep(0.5)
        st = os.stat(kept)
        print(f'kept: {st.st_size} bytes, {st.st_blocks * 512} allocated')
        check(st.st_size == 2 << 30, 'the kept image has another size')
        check(st.st_blocks * 512 < (16 << 20), 'the kept image is not sparse any more')
        with open(kept, 'rb') as f:
            for off in (0, 1 << 30, (2 << 30) - 4096):
                f.seek(off)
                check(f.read(8) == b'HAKOHAKO', f'the kept image lost its data at {off}')
        s.grab('kept')
        print('the image moved to another file system in the background, still sparse')
    finally:
        s.close()
        shutil.rmtree(docs, ignore_errors=True)


def test_isos():
    d = os.environ.get('HAKO_TEST_ISOS') or os.path.join(os.getcwd(), 'isos')
    subprocess.run([sys.executable, os.path.join(HERE, 'make_test_isos.py'), d], check=True,
                   timeout=300)
    return d


def windows_named(s, title):
    r = subprocess.run(['xdotool', 'search', '--all', '--onlyvisible', '--pid', str(s.app.pid),
                        '--name', f'^{title}$'], env=s.env, capture_output=True, timeout=10)
    return r.stdout.split()


def test_one_window():
    isos = test_isos()
    s = library_session('one-window')
    try:
        s.add_vm('alpha', 'Alpha', firmware='bios', memory='128M')
        s.start_app(os.path.join(isos, 'arch.iso'))
        s.wait('the wizard', lambda: windows_named(s, 'New Virtual Machine'), timeout=60)
        s.wait('the library window', lambda: windows_named(s, 'Hako'), timeout=30)
        focus(s, 'New Virtual Machine')
        s.hako(os.path.join(isos, 'both.iso'))
        s.wait('a second wizard', lambda: len(windows_named(s, 'New Virtual Machine')) == 2,
               timeout=60)
        time.sleep(1.0)
        s.grab('two-wizards')
        libraries = windows_named(s, 'Hako')
        check(len(libraries) == 1, f'{len(libraries)} library windows')
        # Ctrl+Q from a wizard quits: every window, and the app
        focus(s, 'New Virtual Machine')
        keys(s, 'ctrl+q')
        t0 = time.monotonic()
        while s.app_alive() and time.monotonic() - t0 < 15:
            time.sleep(0.2)
        check(not s.app_alive(), 'Ctrl+Q did not quit the app')
        print('one library window with two wizards open; Ctrl+Q quit the app')
    finally:
        s.close()


def test_duplicate(language=None):
    ja = language == 'ja'
    isos = test_isos()
    s = library_session('duplicate' + ('-ja' if ja else ''), language=language)
    title = '新しい仮想マシン' if ja else 'New Virtual Machine'
    try:
        s.env['HAKO_OSINFO_DIR'] = os.path.join(os.path.dirname(os.path.dirname(HERE)), 'data',
                                                'osinfo')
        s.start_app(os.path.join(isos, 'arch.iso'))
        s.wait('the first wizard', lambda: windows_named(s, title), timeout=60)
        s.hako(os.path.join(isos, 'arch.iso'))
        wizards = s.wait('two wizards', lambda: (lambda w: w if len(w) == 2 else None)(
            windows_named(s, title)), timeout=60)
        s.wait('both proposals', lambda: len([n for n in shown(s) if n['role'] == 'label' and
                                              n['name'] == 'Arch Linux']) >= 2, timeout=90)
        # Create in one; when its VM is there, Create in the other: the name it proposed when
        # it opened is taken now. (Both at the same moment: tests/unit/test-vm-creator.c
        # unique-names, eight creators in threads, one VM.)
        vms = os.path.join(s.data, 'hako', 'vms')
        subprocess.run(['xdotool', 'windowfocus', '--sync', wizards[0]], env=s.env,
                       capture_output=True, timeout=10)
        keys(s, 'Return')
        s.wait('the first VM', lambda: [d for d in os.listdir(vms) if not d.startswith('.')],
               timeout=60)
        s.wait('one wizard left', lambda: len(windows_named(s, title)) == 1, timeout=30)
        focus(s, title)
        keys(s, 'Return')
        taken = ('すでにあります' if ja else 'Another virtual machine')

        def refused():
            return find(shown(s), role='label', contains=taken)
        n = s.wait('the reason in the other wizard', refused, timeout=60)
        for w in windows_named(s, title):  # over the VM's window (no window manager here)
            subprocess.run(['xdotool', 'windowraise', w], env=s.env, capture_output=True,
                           timeout=10)
        time.sleep(0.5)
        s.grab('duplicate')
        print('refused with:', n['name'])
        check(windows_named(s, title), 'the wizard closed instead of saying why')
        time.sleep(2.0)
        made = [d for d in os.listdir(vms) if not d.startswith('.')]
        names = []
        for d in made:
            with open(os.path.join(vms, d, 'vm.ini')) as f:
                names += [ln.strip() for ln in f if ln.startswith('Name=')]
        check(len(made) == 1, f'{len(made)} VMs made: {made} {names}')
        print('two wizards, one VM called Arch Linux; the other wizard says why')
    finally:
        s.close()


def raise_windows(s, title):
    for w in windows_named(s, title):  # over the others (no window manager here)
        subprocess.run(['xdotool', 'windowraise', w], env=s.env, capture_output=True,
                       timeout=10)
    time.sleep(0.5)


def test_disk_image(language=None):
    ja = language == 'ja'
    isos = test_isos()
    s = library_session('disk-image' + ('-ja' if ja else ''), language=language)
    title = '新しい仮想マシン' if ja else 'New Virtual Machine'
    L = {'existing': '既存のディスクイメージ' if ja else 'Existing Disk Image',
         'copy': 'コピー' if ja else 'Copy Into the Virtual Machine',
         'unsupported': 'まだ対応していません' if ja else 'Not Supported Yet',
         'no_disk': 'ディスクなし' if ja else 'No disk'}
    try:
        vms = os.path.join(s.data, 'hako', 'vms')
        image = os.path.join(isos, 'gpt-efi.img')
        before = os.stat(image)
        s.start_app(image)
        s.wait('the disk image page', lambda: find(shown(s), contains=L['existing']) and
               find(shown(s), contains=L['copy']), timeout=90)
        raise_windows(s, title)
        s.grab('disk-image')
        t = texts(shown(s))
        check(any('GPT' in x for x in t), f'the page does not say what the image holds: {t}')
        if not ja:
            focus(s, title)
            keys(s, 'Return')
            s.wait('the VM', lambda: [d for d in os.listdir(vms) if not d.startswith('.')],
                   timeout=60)
            vm = [d for d in os.listdir(vms) if not d.startswith('.')][0]
            ini = read_ini(os.path.join(vms, vm, 'vm.ini'))
            e = ini.get('Engine', {})
            print('vm.ini:', ini)
            check(e.get('disk') == 'disk.img' and e.get('boot') == 'disk' and 'cdrom' not in e,
                  f'vm.ini does not boot from the copied image: {e}')
            st = os.stat(os.path.join(vms, vm, 'disk.img'))
            check(st.st_size == before.st_size and st.st_blocks * 512 < (16 << 20),
                  'the copy is not a sparse copy of the image')
            check(os.path.exists(image), 'the original went')

        s.hako(os.path.join(isos, 'disk.qcow2'))
        n = s.wait('the QCOW2 refusal', lambda: find(shown(s), contains=L['unsupported']),
                   timeout=60)
        cmd = s.wait('the conversion command',
                     lambda: find(shown(s), contains='qemu-img convert -f qcow2 -O raw'),
                     timeout=10)
        raise_windows(s, title)
        s.grab('qcow2')
        check('disk.qcow2' in (cmd['name'] or cmd['text']), f'the command: {cmd}')
        print('refused:', n['name'], '|', cmd['name'] or cmd['text'])
        if ja:
            print('disk image pages in Japanese')
            return
        focus(s, title)
        keys(s, 'Escape')

        memtest = '/usr/lib/memtest86+/memtest86+x64.iso'
        if not os.path.exists(memtest):
            print('(no memtest86+ package: the no-disk part is skipped)')
            return
        s.wait('one wizard left', lambda: len(windows_named(s, title)) == 0, timeout=30)
        s.hako(memtest)
        s.wait('no disk proposed', lambda: find(shown(s), contains=L['no_disk']), timeout=60)
        raise_windows(s, title)
        s.grab('memtest')
        focus(s, title)
        keys(s, 'Return')

        def memtest_vm():
            for d in os.listdir(vms):
                p = os.path.join(vms, d, 'vm.ini')
                if os.path.exists(p) and 'memtest86+x64.iso' in open(p).read():
                    return d
            return None
        d = s.wait('the memtest VM', memtest_vm, timeout=60)
        e = read_ini(os.path.join(vms, d, 'vm.ini')).get('Engine', {})
        check('disk' not in e, f'the memtest VM has a disk: {e}')
        check(not os.path.exists(os.path.join(vms, d, 'disk.img')), 'a disk image was made')
        print('a VM around a raw image (copied), QCOW2 refused with the command, memtest '
              'without a disk')
    finally:
        s.close()


def test_many(language=None):
    ja = language == 'ja'
    sys.path.insert(0, os.path.join(HERE, '..', 'bench'))
    import library as bench  # noqa: E402  (tests/bench/library.py: the same folders)
    s = library_session('many' + ('-ja' if ja else ''), language=language)
    try:
        shutil.rmtree(os.path.join(s.data, 'hako', 'vms'))
        bench.make_library(os.path.join(s.home), 10000)
        # make_library writes <home>/data/hako/vms
        s.start_app()

        def cards():
            n = [x for x in shown(s) if x['role'] == 'label' and
                 x['name'].startswith('Virtual Machine ')]
            return n if n else None
        first = s.wait('cards', cards, timeout=120)
        names = sorted(x['name'] for x in first)
        check(names[0] == 'Virtual Machine 00000', f'the first card: {names[0]}')
        every = [x for x in s.atspi() if x['role'] == 'label' and
                 x['name'].startswith('Virtual Machine ')]
        print(f'{len(every)} card name labels exist for 10,000 VMs')
        check(len(every) < 600, f'{len(every)} cards exist: they are not recycled')
        s.grab('many')
        # the end of the library: End on the grid
        title = '仮想マシン' if ja else 'Virtual Machines'
        r = subprocess.run(['xdotool', 'search', '--all', '--onlyvisible', '--pid',
                            str(s.app.pid), '--name', 'Hako'], env=s.env, capture_output=True,
                           timeout=10)
        if r.stdout.split():
            subprocess.run(['xdotool', 'windowfocus', '--sync', r.stdout.split()[0]],
                           env=s.env, capture_output=True, timeout=10)
        # Tab until the grid has the focus (the header's buttons come first, and the banner's
        # Details button too where VMs cannot run here); End on a button does nothing
        def last_vm():
            return find(shown(s), role='label', name='Virtual Machine 09999')
        for _ in range(6):
            keys(s, 'Tab', 'End')
            t0 = time.monotonic()
            while time.monotonic() - t0 < 3 and not last_vm():
                time.sleep(0.5)
            if last_vm():
                break
        s.wait('the last VM', last_vm, timeout=60)
        s.grab('many-end')
        every = [x for x in s.atspi() if x['role'] == 'label' and
                 x['name'].startswith('Virtual Machine ')]
        check(len(every) < 600, f'{len(every)} cards exist after scrolling')
        print(f'scrolled to the end; {len(every)} card name labels exist ({title})')
    finally:
        s.close()


MODES = {
    'many': test_many,
    'many-ja': lambda: test_many('ja'),
    'disk-image': test_disk_image,
    'disk-image-ja': lambda: test_disk_image('ja'),
    'duplicate': test_duplicate,
    'duplicate-ja': lambda: test_duplicate('ja'),
    'one-window': test_one_window,
    'show-log': test_show_log,
    'keep-across': test_keep_across,
    'delete': test_delete,
    'delete-ja': lambda: test_delete('ja'),
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
