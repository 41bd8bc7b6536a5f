#!/usr/bin/env python3
"""The real app (`hako`) under Xvfb, GL through Mesa llvmpipe.

  seabios   a VM with stock SeaBIOS: the banner appears inside the display area (found pixel for
            pixel in a screenshot of the X screen, at 1:1 scale, against the engine's own
            screenshot of the guest), then Esc typed with xdotool opens SeaBIOS's boot menu.
  kill      two VMs run; the engine of one is killed: its view shows the failure with the last
            lines of the engine's log, the app stays up, the other VM keeps running and its
            screen comes back.
  japanese  LANGUAGE=ja: the library and the VM view show Japanese (read through AT-SPI), and no
            English string of the UI is left on screen.
  modes     a guest program switches from 640x480x32 to 800x600x16 when 'm' is typed into the
            app's serial console: the red 800x600 screen appears at exactly that size.
  formats   a fake engine (tests/tools/fake-engine.py, no /dev/kvm needed) shows red, green, blue
            and white quadrants in each scanout format: each in its place and colour at 1:1, also
            with GDK_SCALE=2, and with its aspect kept when fitted to the window.

Screenshots are kept in the test output folder (<build>/test-output/app-MODE/). Needs /dev/kvm,
Xvfb, xdotool, ImageMagick, dbus-daemon and the AT-SPI typelib for /usr/bin/python3 (all from
.ci/install-deps); exits 77 when something is missing."""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

from hakotest import SKIP, check, fail, need_kvm, start_xvfb, tmpdir

HERE = os.path.dirname(os.path.abspath(__file__))
SCREEN_W, SCREEN_H = 1600, 1000
SYSTEM_PYTHON = '/usr/bin/python3'


def skip(why):
    print('SKIP:', why)
    sys.exit(SKIP)


def have_atspi():
    if not os.path.exists(SYSTEM_PYTHON):
        return False
    r = subprocess.run([SYSTEM_PYTHON, '-c',
                        'import gi; gi.require_version("Atspi", "2.0"); '
                        'from gi.repository import Atspi'],
                       capture_output=True)
    return r.returncode == 0


# GLib's own format for criticals and warnings: "(hako:123): Gtk-WARNING **: ...",
# "(hako:123): GLib-GObject-CRITICAL **: ...", "** (hako:123): WARNING **: ..."
GLIB_PROBLEM = re.compile(r'^(?:\*\* )?\((?:hako|hako-vmm):\d+\): (?:[\w.-]+-)?(CRITICAL|WARNING) \*\*: .*$',
                          re.M)
# GTK 4.8 says this whenever an AT-SPI client (this test's own atspi_dump.py) asks an X11 window
# for screen coordinates: it is about the probe, not about the app.
GLIB_PROBLEM_IGNORED = ['Screen coordinates not supported']


def glib_problems(log):
    """The GLib criticals and warnings in an app log (except those the test's probing causes)."""
    return [m.group(0) for m in GLIB_PROBLEM.finditer(log)
            if not any(i in m.group(0) for i in GLIB_PROBLEM_IGNORED)]


class Session:
    """One Xvfb display, one D-Bus session, one XDG home, and the app running in them.

    close() fails the test when the app printed a GLib critical or warning on its stderr (kept in
    hako.log)."""

    def __init__(self, name, language=None, screen=None, kvm=True):
        """kvm: whether the test runs guests (then it is skipped where /dev/kvm is missing);
        creating and configuring VMs needs no KVM. screen: the X screen's (width, height)."""
        if kvm:
            need_kvm()
        self.screen_w, self.screen_h = screen or (SCREEN_W, SCREEN_H)
        for tool in ('Xvfb', 'xdotool', 'import', 'convert', 'dbus-daemon'):
            if not shutil.which(tool):
                skip(f'{tool} is not installed')
        if not have_atspi():
            skip('the AT-SPI typelib for the system Python is not installed')
        self.hako_path = os.environ['HAKO']
        self.vmm = os.environ['HAKO_VMM']
        self.out = tmpdir('app-' + name)
        for f in os.listdir(self.out):
            p = os.path.join(self.out, f)
            if os.path.isdir(p):
                shutil.rmtree(p)
            else:
                os.unlink(p)
        self.home = os.path.join(self.out, 'home')
        self.data = os.path.join(self.home, 'data')
        self.config = os.path.join(self.home, 'config')
        os.makedirs(os.path.join(self.data, 'hako', 'vms'))
        os.makedirs(os.path.join(self.config, 'glib-2.0', 'settings'))
        self.procs = []
        self.app = None
        self._start_x()
        self.env = dict(os.environ)
        for k in ('WAYLAND_DISPLAY', 'GDK_SCALE', 'GDK_DPI_SCALE', 'HAKO_DISPLAY_STATS'):
            self.env.pop(k, None)
        self.env.update({
            'DISPLAY': self.display,
            'GDK_BACKEND': 'x11',
            'LIBGL_ALWAYS_SOFTWARE': '1',
            'GSETTINGS_BACKEND': 'keyfile',
            'XDG_DATA_HOME': self.data,
            'XDG_CONFIG_HOME': self.config,
            'XDG_CACHE_HOME': os.path.join(self.home, 'cache'),
            'HAKO_VMM': self.vmm,
            'LANG': 'C.UTF-8',
            'GTK_A11Y': 'atspi',
        })
        for k in ('LC_ALL', 'LC_MESSAGES', 'NO_AT_BRIDGE'):
            self.env.pop(k, None)
        if language:
            self.env['LANGUAGE'] = language
        else:
            self.env.pop('LANGUAGE', None)
        # the bus and the helpers it starts (AT-SPI) live in this session's folders and display
        self._start_dbus()
        self.env['DBUS_SESSION_BUS_ADDRESS'] = self.bus

    # -- processes --

    def _spawn(self, cmd, **kw):
        p = subprocess.Popen(cmd, start_new_session=True, **kw)
        self.procs.append(p)
        return p

    def _start_x(self):
        self.xvfb, self.display = start_xvfb(size=f'{self.screen_w}x{self.screen_h}')
        self.procs.append(self.xvfb)

    def _start_dbus(self):
        env = dict(self.env)
        env.pop('DBUS_SESSION_BUS_ADDRESS', None)
        p = self._spawn(['dbus-daemon', '--session', '--nofork', '--print-address=1'], env=env,
                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.bus = p.stdout.readline().decode().strip()
        check(self.bus.startswith('unix:'), 'dbus-daemon gave no address')

    def close(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + 5
        for p in self.procs:
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        # the D-Bus session's activated helpers (AT-SPI) share its process group
        for p in self.procs:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self.check_stderr()

    def check_stderr(self):
        """Fails on any GLib critical or warning the app printed (see glib_problems)."""
        if self.app is None or getattr(self, 'stderr_checked', False):
            return
        self.stderr_checked = True
        self.app_log.flush()
        with open(self.app_log.name, errors='replace') as f:
            problems = glib_problems(f.read())
        check(not problems, 'the app printed GLib criticals or warnings:\n  ' +
              '\n  '.join(problems[:10]))

    # -- setup --

    def settings(self, **kv):
        path = os.path.join(self.config, 'glib-2.0', 'settings', 'keyfile')
        with open(path, 'w') as f:
            f.write('[io/github/hakovm/Hako]\n')
            f.write('host-checked=true\n')  # no first-start readiness window over ours
            for k, v in kv.items():
                f.write(f'{k.replace("_", "-")}={v}\n')

    def add_vm(self, vm_id, name, **engine):
        d = os.path.join(self.data, 'hako', 'vms', vm_id)
        os.makedirs(d)
        with open(os.path.join(d, 'vm.ini'), 'w') as f:
            f.write(f'[VM]\nName={name}\nOSName=SeaBIOS\n\n[Engine]\n')
            for k, v in engine.items():
                f.write(f'{k.replace("_", "-")}={v}\n')
        return d

    def start_app(self, *args):
        self.app_log = open(os.path.join(self.out, 'hako.log'), 'wb')
        self.app = self._spawn([self.hako_path, *args], env=self.env, stdout=self.app_log,
                               stderr=subprocess.STDOUT)
        return self.app

    def hako(self, *args):
        """A second `hako` invocation: hands its arguments to the running instance."""
        r = subprocess.run([self.hako_path, *args], env=self.env, capture_output=True, timeout=30)
        check(r.returncode == 0, f'hako {" ".join(args)} failed: {r.stderr.decode()}')

    def app_alive(self):
        return self.app is not None and self.app.poll() is None

    def engines(self):
        """{pid: cmdline} of the hako-vmm processes the app started."""
        out = {}
        for pid in os.listdir('/proc'):
            if not pid.isdigit():
                continue
            try:
                with open(f'/proc/{pid}/stat') as f:
                    st = f.read()
                ppid = int(st[st.rindex(')') + 2:].split()[1])
                state = st[st.rindex(')') + 2:].split()[0]
                if ppid != self.app.pid or state == 'Z':
                    continue
                with open(f'/proc/{pid}/cmdline', 'rb') as f:
                    cmd = f.read().replace(b'\0', b' ').decode(errors='replace')
                if 'hako-vmm' in cmd or 'fake-engine' in cmd:
                    out[int(pid)] = cmd
            except (OSError, ValueError):
                pass
        return out

    # -- looking at the screen --

    def grab(self, name=None):
        """The X screen as raw RGB bytes; also saved as name.png when given."""
        raw = os.path.join(self.out, 'screen.rgb')
        subprocess.run(['import', '-display', self.display, '-window', 'root', '-depth', '8',
                        f'RGB:{raw}'], check=True, timeout=30)
        with open(raw, 'rb') as f:
            data = f.read()
        check(len(data) == self.screen_w * self.screen_h * 3, 'unexpected screenshot size')
        if name:
            subprocess.run(['convert', '-size', f'{self.screen_w}x{self.screen_h}', '-depth', '8',
                            f'RGB:{raw}', os.path.join(self.out, name + '.png')], check=True,
                           timeout=30)
        return data

    def atspi(self):
        r = subprocess.run([SYSTEM_PYTHON, os.path.join(HERE, 'atspi_dump.py'), 'hako'],
                           env=self.env, capture_output=True, timeout=60)
        nodes = []
        for line in r.stdout.decode(errors='replace').splitlines():
            try:
                nodes.append(json.loads(line))
            except ValueError:
                pass
        return nodes

    def shown_texts(self):
        texts = []
        for n in self.atspi():
            if n['showing']:
                for k in ('name', 'text'):
                    if n[k]:
                        texts.append(n[k])
        return texts

    def wait(self, what, pred, timeout=30.0, interval=0.5):
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            if not self.app_alive():
                fail(f'hako exited (status {self.app.returncode}) while waiting for {what}')
            v = pred()
            if v:
                return v
            time.sleep(interval)
        try:
            self.grab('timeout')
        except Exception:
            pass
        fail(f'timed out after {timeout:.0f} s waiting for {what} (see timeout.png in {self.out})')

    def click(self, x, y):
        subprocess.run(['xdotool', 'mousemove', str(x), str(y), 'click', '1'], env=self.env,
                       check=True, timeout=10)

    def type(self, text):
        subprocess.run(['xdotool', 'type', '--delay', '50', text], env=self.env, check=True,
                       timeout=30)

    def key(self, *keys):
        """Types keys into the app's window (focused the way a window manager would)."""
        env = dict(self.env)
        # the visible window: GTK also maps nothing for its 1x1 client leader window
        r = subprocess.run(['xdotool', 'search', '--onlyvisible', '--pid', str(self.app.pid)],
                           env=env, capture_output=True, timeout=10)
        wins = r.stdout.split()
        if wins:
            subprocess.run(['xdotool', 'windowfocus', wins[-1]], env=env, capture_output=True,
                           timeout=10)
        subprocess.run(['xdotool', 'key', *keys], env=env, check=True, timeout=10)


def reference_band(vmm, out):
    """The first line of text on SeaBIOS's screen, as the engine itself captures it: (width, rows
    of RGB bytes)."""
    png = os.path.join(out, 'reference.png')
    r = subprocess.run([vmm, '--firmware', 'bios', '--memory', '256M', '--exit-after', '8',
                        '--screenshot', png], capture_output=True, timeout=120)
    check(r.returncode == 0 and os.path.exists(png), f'headless hako-vmm failed: {r.stderr}')
    size = subprocess.run(['identify', '-format', '%w %h', png], capture_output=True,
                          timeout=30).stdout.split()
    w, h = int(size[0]), int(size[1])
    raw = subprocess.run(['convert', png, '-depth', '8', 'RGB:-'], capture_output=True,
                         timeout=30).stdout
    check(len(raw) == w * h * 3, 'cannot convert the reference screenshot')
    rows = [raw[y * w * 3:(y + 1) * w * 3] for y in range(h)]
    first = next((y for y, row in enumerate(rows) if max(row) > 128), None)
    check(first is not None, 'the reference screenshot is blank: SeaBIOS printed nothing')
    band = rows[first:first + 16]
    return w, first, band


def find_band(screen, band):
    """Where the band (full-width guest rows) is on the X screen, pixel for pixel: (x, y) of the
    guest screen's top-left corner relative to the band's first row, or None."""
    stride = SCREEN_W * 3
    key = max(range(len(band)), key=lambda i: sum(1 for b in band[i][::3] if b > 128))
    pattern = band[key]
    for y in range(SCREEN_H):
        row = screen[y * stride:(y + 1) * stride]
        pos = row.find(pattern)
        while pos >= 0 and pos % 3:
            pos = row.find(pattern, pos + 1)
        if pos < 0:
            continue
        y0 = y - key
        if y0 < 0 or y0 + len(band) > SCREEN_H:
            continue
        if all(screen[(y0 + i) * stride + pos:(y0 + i) * stride + pos + len(band[i])] == band[i]
               for i in range(len(band))):
            return pos // 3, y0
    return None


def read_ini(path):
    groups, cur = {}, None
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith('[') and line.endswith(']'):
                cur = groups.setdefault(line[1:-1], {})
            elif '=' in line and cur is not None and not line.startswith('#'):
                k, v = line.split('=', 1)
                cur[k] = v
    return groups


def inside(nodes, x, y):
    """The showing objects whose extents contain (x, y)."""
    return [n for n in nodes if n['showing'] and n['x'] <= x < n['x'] + n['w'] and
            n['y'] <= y < n['y'] + n['h']]


def test_seabios():
    s = Session('seabios')
    try:
        guest_w, band_y, band = reference_band(s.vmm, s.out)
        debugcon = os.path.join(s.out, 'debugcon.log')
        s.add_vm('seabios', 'SeaBIOS', firmware='bios', memory='256M', boot_menu='30',
                 debugcon=debugcon)
        s.settings(scale_mode="'original'", window_width=1400, window_height=900)
        s.start_app('--vm', 'seabios')
        where = s.wait('the SeaBIOS banner in the window', lambda: find_band(s.grab(), band),
                       timeout=150)
        s.grab('banner')
        gx, gy = where
        print(f'banner found at screen ({gx}, {gy}), guest row {band_y}')

        # keys: Esc opens the boot menu (SeaBIOS prints it on screen and on the debug console).
        # SeaBIOS drops keys typed before its prompt and waits 5 s of guest time after it (less
        # in real time on a busy host), so Esc goes as soon as the prompt is there.
        def debug_text():
            with open(debugcon, 'rb') as f:
                return f.read()
        s.wait('the boot menu prompt', lambda: b'Press ESC' in debug_text(), timeout=60,
               interval=0.1)

        def menu_open():
            if b'Select boot device' in debug_text():
                return True
            s.key('Escape')
            return False
        s.wait('SeaBIOS to open its boot menu after Esc', menu_open, timeout=20, interval=0.2)
        time.sleep(1.0)
        screen = s.grab('boot-menu')
        check(find_band(screen, band) is not None, 'the banner disappeared')
        # the app gave the VM a UUID on its first start, and the firmware read it from SMBIOS
        ini = read_ini(os.path.join(s.data, 'hako', 'vms', 'seabios', 'vm.ini'))
        uuid = ini.get('Engine', {}).get('uuid')
        check(uuid and f'Machine UUID {uuid}'.encode() in debug_text(),
              f'SeaBIOS did not print the VM’s UUID {uuid}')
        # and the menu is on the screen in the window: 16-pixel text rows 0 banner, 1 "Machine
        # UUID", 3 "Press ESC for boot menu.", 5 "Select boot device:"
        top = gy - band_y

        def lit(row):
            return sum(1 for y in range(top + 16 * row, top + 16 * row + 16)
                       for x in range(gx, gx + 200) if screen[(y * SCREEN_W + x) * 3] > 128)
        check(lit(1) > 50, 'the Machine UUID line is not in the window')
        check(lit(5) > 50, 'the boot menu text is not in the window')

        # the banner was inside the display area: the display widget's extents contain it
        displays = s.wait('the display widget in the accessibility tree', lambda: [
            n for n in s.atspi() if n['showing'] and n['name'] == 'Virtual machine screen'],
                          timeout=30)
        d = displays[0]
        check(d['x'] <= gx and gx + guest_w <= d['x'] + d['w'] and d['y'] <= gy and
              gy + 16 <= d['y'] + d['h'],
              f'the banner at ({gx}, {gy}) is outside the display area {d}')
        print('boot menu opened by Esc typed through the app')
    finally:
        s.close()


def test_kill():
    s = Session('kill')
    try:
        guest_w, band_y, band = reference_band(s.vmm, s.out)
        s.add_vm('alpha', 'Alpha', firmware='bios', memory='128M')
        s.add_vm('beta', 'Beta', firmware='bios', memory='128M')
        s.settings(scale_mode="'original'", window_width=1400, window_height=900)
        s.start_app('--vm', 'alpha')
        s.wait('Alpha’s screen', lambda: find_band(s.grab(), band), timeout=150)
        s.hako('--vm', 'beta')
        s.wait('both engines', lambda: len(s.engines()) == 2, timeout=30)
        s.wait('Beta’s screen', lambda: find_band(s.grab(), band), timeout=150)
        engines = s.engines()
        beta = [pid for pid, cmd in engines.items() if '/vms/beta/' in cmd]
        alpha = [pid for pid, cmd in engines.items() if '/vms/alpha/' in cmd]
        check(len(beta) == 1 and len(alpha) == 1, f'cannot tell the engines apart: {engines}')
        os.kill(beta[0], signal.SIGKILL)

        def failure_shown():
            texts = s.shown_texts()
            return texts if any('Stopped Unexpectedly' in t for t in texts) else None
        texts = s.wait('the failure page', failure_shown, timeout=20)
        s.grab('engine-killed')
        joined = '\n'.join(texts)
        check('signal 9' in joined, 'the failure does not say the engine was killed')
        check('starting the guest' in joined, 'the last lines of the engine log are not shown')
        check(find_band(s.grab(), band) is None, 'the dead VM’s screen is still shown')
        check(s.app_alive(), 'hako died with its engine')
        check(os.path.exists(f'/proc/{alpha[0]}'), 'the other VM’s engine died too')
        # the other VM kept running: its screen comes back
        s.hako('--vm', 'alpha')
        s.wait('Alpha’s screen again', lambda: find_band(s.grab(), band), timeout=30)
        s.grab('other-vm')
        check(alpha[0] in s.engines(), 'Alpha’s engine was replaced')
        print('engine killed: failure shown with its log, app and the other VM unaffected')
    finally:
        s.close()


ENGLISH_UI = ['Virtual Machines', 'New Virtual Machine', 'Main Menu', 'Running', 'Powered Off',
              'Stopped Unexpectedly', 'Click the screen to capture the pointer', 'Back to the Library',
              'Send Key', 'Serial Console', 'Restart', 'Last lines']


def japanese(texts):
    return [t for t in texts if any('\u3040' <= c <= '\u30ff' or '\u4e00' <= c <= '\u9fff'
                                    for c in t)]


def test_japanese():
    s = Session('japanese', language='ja')
    try:
        guest_w, band_y, band = reference_band(s.vmm, s.out)
        s.add_vm('nihongo', 'テスト', firmware='bios', memory='128M')
        s.settings(scale_mode="'fit'", window_width=1200, window_height=800)
        s.start_app()
        texts = s.wait('the library', lambda: (lambda t: t if japanese(t) else None)(
            s.shown_texts()), timeout=30)
        s.grab('library-ja')
        print('library:', sorted(set(japanese(texts)))[:12])
        check(any('仮想マシン' in t for t in texts), 'no 仮想マシン in the library')
        left = [t for t in texts if any(e in t for e in ENGLISH_UI)]
        check(not left, f'English left in the library: {left}')

        s.hako('--vm', 'nihongo')
        s.wait('the guest screen', lambda: s.engines() and (lambda t: any(
            'ポインター' in x or '実行中' in x for x in t))(s.shown_texts()), timeout=60)
        time.sleep(3)
        texts = s.shown_texts()
        s.grab('vm-ja')
        print('vm view:', sorted(set(japanese(texts)))[:12])
        left = [t for t in texts if any(e in t for e in ENGLISH_UI)]
        check(not left, f'English left in the VM view: {left}')

        for pid in s.engines():
            os.kill(pid, signal.SIGKILL)
        texts = s.wait('the failure page', lambda: (lambda t: t if any(
            '仮想マシンが予期せず停止しました' in x for x in t) else None)(s.shown_texts()),
                       timeout=20)
        s.grab('failed-ja')
        check(any('エンジンのログの最後の数行' in t for t in texts), 'no log heading in Japanese')
        check(any('シグナル 9' in t for t in texts), 'the cause is not given in Japanese')
        print('failure:', sorted(set(japanese(texts)))[:12])
        left = [t for t in texts if any(e in t for e in ENGLISH_UI)]
        check(not left, f'English left on the failure page: {left}')
    finally:
        s.close()


def find_rect(screen, rgb, w, h, screen_w=SCREEN_W, screen_h=SCREEN_H):
    """The top-left corner of a w x h rectangle of exactly that colour with other colours right
    around it (so it is not part of something bigger), or None."""
    stride = screen_w * 3
    run = bytes(rgb) * w
    for y in range(screen_h - h + 1):
        row = screen[y * stride:(y + 1) * stride]
        x = row.find(run)
        while x >= 0 and x % 3:
            x = row.find(run, x + 1)
        if x < 0:
            continue
        x //= 3
        if all(screen[(y + i) * stride + x * 3:(y + i) * stride + (x + w) * 3] == run
               for i in range(h)):
            def px(xx, yy):
                if not (0 <= xx < screen_w and 0 <= yy < screen_h):
                    return None
                o = yy * stride + xx * 3
                return tuple(screen[o:o + 3])
            around = [px(x - 1, y), px(x + w, y), px(x, y - 1), px(x, y + h)]
            if all(p != tuple(rgb) for p in around):
                return x, y
    return None


def test_modes():
    """A guest switching from 32 to 16 bpp when it reads 'm' on its serial port, typed into the
    serial console (VTE) of the app: the 800x600 red screen appears pixel for pixel at 1:1."""
    s = Session('modes')
    try:
        image = os.environ['HAKO_CONTROL_BIN']
        s.add_vm('modes', 'Modes', firmware=image, memory='64M')
        s.settings(scale_mode="'original'", window_width=1400, window_height=900,
                   console_visible='false')
        s.start_app('--vm', 'modes')

        def shown(name):
            return [n for n in s.atspi() if n['showing'] and n['name'] == name and n['w']]
        s.wait('the guest screen', lambda: shown('Virtual machine screen'), timeout=60)
        time.sleep(2)
        s.grab('32bpp')
        button = s.wait('the serial console button', lambda: shown('Serial Console'))[0]
        s.click(button['x'] + button['w'] // 2, button['y'] + button['h'] // 2)
        term = s.wait('the console', lambda: [n for n in shown('Serial console') if n['h'] > 50])[0]
        s.click(term['x'] + term['w'] // 2, term['y'] + term['h'] // 2)
        s.type('m')
        where = s.wait('the 800x600 red screen', lambda: find_rect(s.grab(), (255, 0, 0), 800,
                                                                        600), timeout=60)
        s.grab('16bpp')
        print(f'800x600x16 red screen at {where}, exact size, after typing into the console')
    finally:
        s.close()


FAKE_ENGINE = os.path.join(HERE, '..', 'tools', 'fake-engine.py')
QUADRANTS = ((255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255))


def show_quadrants(name, fmt, scale_mode='original', gdk_scale=None):
    """The app showing the fake engine's 640x480 quadrants in format `fmt`: (session, screen)."""
    s = Session(name, kvm=False)
    s.env.update({'HAKO_VMM': FAKE_ENGINE, 'HAKO_FAKE_SIZE': '640x480',
                  'HAKO_FAKE_MODE': 'quadrants', 'HAKO_FAKE_FORMAT': fmt})
    if gdk_scale:
        s.env['GDK_SCALE'] = str(gdk_scale)
    s.add_vm('fmt', 'Formats', firmware=os.environ['HAKO_CONTROL_BIN'], memory='64M')
    size = 1400 // (gdk_scale or 1), 900 // (gdk_scale or 1)
    s.settings(scale_mode=f"'{scale_mode}'", window_width=size[0], window_height=size[1],
               console_visible='false')
    s.start_app('--vm', 'fmt')
    return s


def test_formats():
    """Every scanout format the engine sends, uploaded as it is or converted (hako-display.c),
    shows the same picture: each quadrant in its colour and place, 320x240 at 1:1; the same in
    device pixels with GDK_SCALE=2; fitted, the picture keeps its 4:3 aspect."""
    for fmt, gdk_scale in (('xrgb8888', None), ('bgrx8888', None), ('rgb565', None),
                           ('rgb565be', None), ('xrgb8888', 2)):
        name = f'formats-{fmt}' + (f'-scale{gdk_scale}' if gdk_scale else '')
        s = show_quadrants(name, fmt, gdk_scale=gdk_scale)
        try:
            red = s.wait(f'the red quadrant ({name})',
                         lambda: find_rect(s.grab(), QUADRANTS[0], 320, 240), timeout=60)
            screen = s.grab(name)
            x, y = red
            for i, rgb in enumerate(QUADRANTS[1:], 1):
                at = find_rect(screen, rgb, 320, 240)
                want = (x + 320 * (i % 2), y + 240 * (i // 2))
                check(at == want, f'{name}: quadrant {rgb} at {at}, not {want} (red at {red})')
            print(f'{name}: quadrants in place at 1:1, red at {red}')
        finally:
            s.close()
    s = show_quadrants('formats-fit', 'xrgb8888', scale_mode='fit')
    try:
        def has(line, rgb):
            x = line.find(rgb)
            while x >= 0 and x % 3:
                x = line.find(rgb, x + 1)
            return x >= 0

        def bbox():
            """Left, top, right, bottom of the picture: red's top-left and white's bottom-right."""
            screen = s.grab()
            stride = SCREEN_W * 3
            lines = [screen[y * stride:(y + 1) * stride] for y in range(SCREEN_H)]
            red, white = bytes(QUADRANTS[0]), bytes(QUADRANTS[3])
            rows = [y for y in range(SCREEN_H) if has(lines[y], red)]
            rows_w = [y for y in range(SCREEN_H) if has(lines[y], white)]
            if not rows or not rows_w:
                return None
            xs = [x for x in range(SCREEN_W) if lines[rows[len(rows) // 2]][x * 3:x * 3 + 3] == red]
            xw = [x for x in range(SCREEN_W)
                  if lines[rows_w[len(rows_w) // 2]][x * 3:x * 3 + 3] == white]
            return xs[0], rows[0], xw[-1] + 1, rows_w[-1] + 1

        box = s.wait('the fitted picture', bbox, timeout=60)
        time.sleep(1)
        box = bbox()
        s.grab('formats-fit')
        w, h = box[2] - box[0], box[3] - box[1]
        check(w > 700 and abs(w / h - 4 / 3) < 0.01,
              f'fitted picture {w}x{h} (box {box}), not larger than 640x480 at 4:3')
        print(f'fitted: about {w}x{h}, aspect {w / h:.3f}')
    finally:
        s.close()


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else 'seabios'
    {'seabios': test_seabios, 'kill': test_kill, 'japanese': test_japanese,
     'modes': test_modes, 'formats': test_formats}[mode]()
    print('PASS')


if __name__ == '__main__':
    main()
