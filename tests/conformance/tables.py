#!/usr/bin/env python3
"""The firmware tables as real parsers see them (no KVM needed):

    tables.py HAKO_VMM [QEMU_TABLES_DIR]

`hako-vmm --dump-tables` writes the ACPI tables (loader script applied) and the SMBIOS tables a
SeaBIOS guest of a 512 MiB, one-CPU VM gets. Checks:
  - every ACPI table disassembles with `iasl -d` without an error or warning, and the DSDT's
    disassembly compiles again with 0 errors and 0 warnings;
  - `acpiexec` evaluates _PRT (every entry), PCI0._CRS, _STA and _CRS of every device, the link
    devices' _PRS, and _S5, without an AML error;
  - `dmidecode --from-dump` reads the SMBIOS tables without complaint and finds the structures;
  - against the tables QEMU gives the same Linux guest (recorded by the `linux` conformance
    scenario from /sys/firmware/acpi/tables and /sys/firmware/dmi/tables): the devices (by _HID),
    the IRQ routing (_PRT and the link devices' IRQs), the resources (PCI0 windows, the ISA devices'
    ports and IRQs), the FADT's PM registers and the MADT are compared; every difference must be
    in EXPLAINED below (with its reason), anything else fails.
Without QEMU_TABLES_DIR the `linux` scenario is recorded (or taken from the cache) first.
"""
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', 'tools'))
import hakotest  # noqa: E402
import record  # noqa: E402

# Devices QEMU's DSDT has and Hako's does not, by _HID (or name when there is none): why
EXPLAINED_DEVICES = {
    'PNP0700': 'the floppy controller (FDC0): QEMU\'s pc has one, Hako has no floppy',
    'QEMU0002': 'QEMU\'s fw_cfg device (FWCF): Linux binds its sysfs fw_cfg driver to it; '
                'Hako\'s guests do not need fw_cfg after boot',
    'PNP0A06': 'generic containers for QEMU\'s CPU/PCI/memory hot-plug registers (PRES, GPE0, '
               'PHPR): Hako has no hot-plug',
    'ACPI0006': 'the GPE block device QEMU\'s PCI hot-plug uses: Hako has no hot-plug',
    'ACPI0010': 'the processor container (CPUS) with QEMU\'s CPU hot-plug methods: Hako has no '
                'CPU hot-plug (its processor objects are helper "cpu"\'s work, issue 15)',
    'ACPI0007': 'processor devices under QEMU\'s CPUS container (see ACPI0010)',
    'slots': 'one Device (Sxx) per PCI slot carrying QEMU\'s hot-plug _EJ0/_SUN methods: Hako '
             'has no hot-plug, so its PCI functions need no ACPI objects',
}
EXPLAINED_RESOURCES = {
    ('PNP0B00', '_CRS'): 'Hako\'s RTC decodes ports 0x70-0x71 only (no second CMOS bank at '
                         '0x72-0x73) and says so; QEMU reserves 0x70-0x77',
}
EXPLAINED_FADT = {
    'IAPC_BOOT_ARCH': 'Hako\'s FADT (revision 5) sets LEGACY_DEVICES and 8042; QEMU\'s pc FADT '
                      '(revision 1) has no such field, and Linux assumes both',
    'FLAGS': 'bit 10 RESET_REG_SUP: Hako offers the ACPI reset register (0xCF9, value 6); QEMU\'s '
             'revision 1 FADT has none',
    'RESET_REG': 'see FLAGS', 'RESET_VALUE': 'see FLAGS',
}
EXPLAINED_WINDOWS = ('the 64-bit PCI window: QEMU sizes it from the 64-bit BARs the firmware '
                     'placed (here none, so 2 GiB above RAM); Hako gives a fixed 32 GiB window at '
                     '32 GiB, where OVMF puts 64-bit BARs')
EXPLAINED_ROUTING = {
    'LNKS': 'QEMU routes 00:01 INTA (the PIIX4 PM function) through a fixed SCI link LNKS (IRQ '
            '9); Hako routes it through LNKA-D like every slot and gives the SCI as IRQ 9 in the '
            'FADT (the PM function raises no PCI INTx)',
}


def run(cmd, cwd=None):
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd)
    return p.returncode, p.stdout + p.stderr


# ---- ASL (iasl -d output) ----

def devices(dsl, objs=None):
    """{absolute path: _HID or None} from a disassembled DSDT; objs (a dict) gets the set of
    object names (_STA, _CRS ...) each device defines."""
    out, stack, pending = {}, [], None
    objs = {} if objs is None else objs
    depth = 0
    for line in open(dsl, encoding='latin-1'):
        s = line.split('//')[0]
        m = re.search(r'\b(Device|Scope)\s*\(([\\\w.^]+)\)', s)
        if m:
            pending = (m.group(1), m.group(2))
        for ch in s:
            if ch == '{':
                depth += 1
                if pending:
                    kind, name = pending
                    if name.startswith('\\'):
                        path = name
                    else:
                        base = stack[-1][1] if stack else '\\'
                        path = base.rstrip('.') + ('' if base.endswith('\\') else '.') + name
                    path = path.replace('\\_SB_', '\\_SB').replace('PCI0_', 'PCI0')
                    stack.append((depth, path))
                    if kind == 'Device':
                        out[path] = None
                    pending = None
            elif ch == '}':
                if stack and stack[-1][0] == depth:
                    stack.pop()
                depth -= 1
        o = re.search(r'\b(?:Name|Method)\s*\((_\w\w\w)\b', s)
        if o and stack and stack[-1][1] in out:
            objs.setdefault(stack[-1][1], set()).add(o.group(1))
        h = re.search(r'Name \(_HID, (?:EisaId \()?"([\w]+)"', s)
        if h and stack and stack[-1][1] in out and out[stack[-1][1]] is None:
            out[stack[-1][1]] = h.group(1)
    return out


# ---- acpiexec ----

def acpiexec(tables, commands):
    code, out = run(['acpiexec', '-b', '; '.join(commands)] + tables)
    return code, out


def results(out):
    """Splits acpiexec -b output into {path: text of the result}."""
    res, cur = {}, None
    for line in out.splitlines():
        m = re.match(r'Evaluating (\S+)', line)
        if m:
            cur = m.group(1)
            res.setdefault(cur, [])
            res[cur].append('')
            continue
        if cur:
            res[cur][-1] += line + '\n'
    return res


def buffer_bytes(text):
    """The bytes of a [Buffer] acpiexec printed."""
    data = bytearray()
    m = re.search(r'\[Buffer\] Length [0-9A-F]+ =\s*(.*)', text, re.S)
    if not m:
        return None
    for line in m.group(1).splitlines():
        line = line.split('//')[0]
        mm = re.match(r'\s*(?:[0-9A-F]{4}:)?\s*((?:[0-9A-F]{2} ?)+)$', line.strip() + ' ')
        if not mm:
            if data:
                break
            continue
        data += bytes(int(x, 16) for x in mm.group(1).split())
    return bytes(data)


def resources(buf):
    """Decodes a resource template into readable descriptors (ACPI 6.4 §6.4)."""
    out, i = [], 0
    while buf and i < len(buf):
        tag = buf[i]
        if tag & 0x80:
            ln = buf[i + 1] | buf[i + 2] << 8
            body = buf[i + 3:i + 3 + ln]
            kind = tag & 0x7F
            if kind in (0x07, 0x08, 0x0A):  # DWord, Word, QWord address space
                w = {0x07: 4, 0x08: 2, 0x0A: 8}[kind]
                rtype = ['Memory', 'IO', 'BusNumber'][body[0]] if body[0] < 3 else str(body[0])
                f = [int.from_bytes(body[3 + w * k:3 + w * (k + 1)], 'little') for k in range(5)]
                out.append(f'{rtype} {f[1]:#x}-{f[2]:#x} (length {f[4]:#x}, translation '
                           f'{f[3]:#x})')
            elif kind == 0x09:  # extended interrupt
                n = body[1]
                irqs = [int.from_bytes(body[2 + 4 * k:6 + 4 * k], 'little') for k in range(n)]
                out.append(f'Interrupt {irqs} flags {body[0]:#x}')
            elif kind == 0x06:  # 32-bit fixed memory
                base = int.from_bytes(body[1:5], 'little')
                size = int.from_bytes(body[5:9], 'little')
                out.append(f'Memory32Fixed {base:#x} length {size:#x}')
            else:
                out.append(f'large {kind:#x} {body.hex()}')
            i += 3 + ln
        else:
            kind, ln = (tag >> 3) & 0xF, tag & 7
            body = buf[i + 1:i + 1 + ln]
            if kind == 0x0F:
                break
            if kind == 0x08:  # IO
                lo = body[1] | body[2] << 8
                out.append(f'IO {lo:#x} length {body[6]}')
            elif kind == 0x09:  # fixed IO
                out.append(f'FixedIO {body[0] | body[1] << 8:#x} length {body[2]}')
            elif kind == 0x04:  # IRQ
                mask = body[0] | body[1] << 8
                out.append(f'IRQ {[b for b in range(16) if mask >> b & 1]}')
            elif kind == 0x05:
                out.append('DMA')
            else:
                out.append(f'small {kind:#x} {body.hex()}')
            i += 1 + ln
    return out


class Acpi:
    """One machine's ACPI tables: the DSDT's devices and what acpiexec evaluates on them."""

    def __init__(self, name, d, work):
        self.name, self.dir = name, d
        self.work = os.path.join(work, name)
        shutil.rmtree(self.work, ignore_errors=True)
        shutil.copytree(d, self.work)
        code, out = run(['iasl', '-d', 'DSDT'], cwd=self.work)
        self.iasl_out = out
        self.objs = {}
        self.devs = devices(os.path.join(self.work, 'DSDT.dsl'), self.objs)
        with open(os.path.join(self.work, 'prt.asl'), 'w') as f:
            f.write('DefinitionBlock ("", "SSDT", 2, "HAKO", "PRTTEST", 1)\n{\n'
                    '    External (\\_SB.PCI0._PRT, MethodObj)\n'
                    '    Method (PRTN, 0, NotSerialized) { Local0 = \\_SB.PCI0._PRT ()\n'
                    '        Return (SizeOf (Local0)) }\n'
                    '    Method (PRTE, 1, NotSerialized) { Local0 = \\_SB.PCI0._PRT ()\n'
                    '        Return (DerefOf (Local0 [Arg0])) }\n}\n')
        code, out = run(['iasl', '-p', 'prt', 'prt.asl'], cwd=self.work)
        if code != 0:
            hakotest.fail(f'{name}: the _PRT helper does not compile: {out}')
        self.aml = [os.path.join(self.work, 'DSDT')] + [
            os.path.join(self.work, t) for t in sorted(os.listdir(self.work))
            if re.fullmatch(r'SSDT\d*', t)] + [os.path.join(self.work, 'prt.aml')]

    def has(self, path):
        dev, _, obj = path.rpartition('.')
        return obj in self.objs.get(dev, ()) or dev == ''

    def evaluate(self, paths, args=None):
        """acpiexec's evaluations of the paths that exist (a batch stops at the first object that
        does not), in runs whose command line fits acpiexec's 1023 characters."""
        cmds = [f'evaluate {p}' + (f' {args[i]}' if args else '') for i, p in enumerate(paths)
                if self.has(p)]
        res, outs, worst, chunk = {}, '', 0, []
        for c in cmds + [None]:
            if c is None or len('; '.join(chunk + [c])) > 1000:
                if chunk:
                    code, out = acpiexec(self.aml, chunk)
                    worst = worst or code
                    outs += out
                    for k, v in results(out).items():
                        res.setdefault(k, []).extend(v)
                chunk = []
            if c is not None:
                chunk.append(c)
        return worst, outs, res

    def prt(self):
        code, out, r = self.evaluate(['\\PRTN'])
        m = re.search(r'\[Integer\] = ([0-9A-F]+)', (r.get('\\PRTN') or [''])[0])
        if not m:
            return 0, [], out
        n = int(m.group(1), 16)
        code, out, r = self.evaluate(['\\PRTE'] * n, [str(i) for i in range(n)])
        entries = []
        for text in r.get('\\PRTE', []):
            ints = re.findall(r'\[Integer\] = ([0-9A-F]+)', text)
            link = re.search(r'Name (\w+) Device', text)
            entries.append((int(ints[0], 16), int(ints[1], 16),
                            link.group(1) if link else f'GSI {int(ints[-1], 16)}'))
        return n, entries, out


def check_hako(vmm, work):
    d = os.path.join(work, 'hako-dump')
    shutil.rmtree(d, ignore_errors=True)
    code, out = run([vmm, '--dump-tables', d, '--firmware', 'bios', '--memory', '512M',
                     '--cpus', '1'])
    hakotest.check(code == 0, f'hako-vmm --dump-tables failed: {out}')
    acpi = os.path.join(d, 'acpi')
    names = sorted(os.listdir(acpi))
    print('Hako\'s ACPI tables:', ' '.join(names))
    for t in ('RSDP', 'RSDT', 'FACP', 'DSDT', 'FACS', 'APIC'):
        hakotest.check(t in names, f'--dump-tables wrote no {t}')
    problems = []
    for t in names:
        if t == 'RSDP':
            continue
        tw = os.path.join(work, 'iasl-' + t)
        shutil.rmtree(tw, ignore_errors=True)
        os.makedirs(tw)
        shutil.copy(os.path.join(acpi, t), tw)
        code, out = run(['iasl', '-d', t], cwd=tw)
        bad = [ln for ln in out.splitlines() if re.search(r'\b(Error|Warning)\b', ln)]
        if code != 0 or bad:
            problems.append(f'iasl -d {t}: exit {code}: {bad or out[-500:]}')
        if t == 'DSDT':
            code, out = run(['iasl', '-p', 'again', 'DSDT.dsl'], cwd=tw)
            m = re.search(r'(\d+) Errors, (\d+) Warnings', out)
            print(f'iasl -d DSDT, then compiled again: {m.group(0) if m else out[-300:]}')
            if code != 0 or not m or m.group(1) != '0' or m.group(2) != '0':
                problems.append(f'DSDT disassembly does not compile cleanly: {out[-800:]}')
    print(f'iasl -d: {len(names) - 1} tables disassembled')
    return d, problems


def smbios_dump_from_sysfs(dmi, out):
    """dmidecode --from-dump wants the entry point at 0 and the table at 0x20."""
    ep = bytearray(open(os.path.join(dmi, 'smbios_entry_point'), 'rb').read())
    table = open(os.path.join(dmi, 'DMI'), 'rb').read()
    if ep[:4] == b'_SM_':
        ep[0x18:0x1C] = (0x20).to_bytes(4, 'little')
        ep[0x15] = 0
        ep[0x15] = (-sum(ep[0x10:0x1F])) & 0xFF
        ep[4] = 0
        ep[4] = (-sum(ep[:ep[5]])) & 0xFF
    elif ep[:5] == b'_SM3_':
        ep[0x10:0x18] = (0x20).to_bytes(8, 'little')
        ep[5] = 0
        ep[5] = (-sum(ep[:ep[6]])) & 0xFF
    with open(out, 'wb') as f:
        f.write(bytes(ep).ljust(0x20, b'\0') + table)


def dmi_types(text):
    return [int(t) for t in re.findall(r'DMI type (\d+),', text)]


def main():
    vmm = sys.argv[1]
    work = hakotest.tmpdir('conformance-tables')
    for tool in ('iasl', 'acpiexec', 'dmidecode'):
        hakotest.check(shutil.which(tool), f'{tool} is missing (run .ci/install-deps)')
    if len(sys.argv) > 2:
        qdir = sys.argv[2]
    else:
        cache = record.default_cache()
        os.makedirs(cache, exist_ok=True)
        qdir = os.path.join(record.record(cache, 'linux'), 'tables')
    hk, problems = check_hako(vmm, work)
    hako = Acpi('hako', os.path.join(hk, 'acpi'), work)
    qemu = Acpi('qemu', os.path.join(qdir, 'acpi'), work)
    findings = []

    # acpiexec on Hako's: _PRT, every device's _STA and _CRS, links' _PRS, _S5
    n, hprt, out = hako.prt()
    if 'Error' in out or n != 128 or len(hprt) != n:
        problems.append(f'acpiexec _PRT: {n} entries, {len(hprt)} read: {out[-1500:]}')
    paths = ['\\_SB.PCI0._CRS', '\\_S5']
    for p in hako.devs:
        paths += [p + '._STA', p + '._CRS']
        if hako.devs[p] == 'PNP0C0F':
            paths.append(p + '._PRS')
    code, out, hres = hako.evaluate(paths)
    print(f'acpiexec: _PRT ({n} entries), {len(paths)} evaluations on Hako\'s DSDT '
          f'({", ".join(sorted(hako.devs))})')
    for p in paths:
        text = (hres.get(p) or [''])[0]
        if re.search(r'AE_|Error', text) and 'AE_NOT_FOUND' not in text:
            problems.append(f'acpiexec {p}: {text.strip()}')
    present_cpus = 0
    for p in hako.devs:
        sta = (hres.get(p + '._STA') or [''])[0]
        if hako.has(p + '._STA'):
            m = re.search(r'\[Integer\] = ([0-9A-F]+)', sta)
            on = bool(m) and int(m.group(1), 16) & 0x1
            if hako.devs[p] == 'ACPI0007':  # processors: present as many as --cpus
                present_cpus += on
            elif not on:
                problems.append(f'{p}._STA: not present: {sta.strip()}')
    cpus = [p for p, v in hako.devs.items() if v == 'ACPI0007']
    if cpus:
        print(f'processor devices: {len(cpus)}, {present_cpus} present (_STA)')
        if present_cpus != 1:
            problems.append(f'{present_cpus} processor devices present for --cpus 1')
    s5 = (hres.get('\\_S5') or [''])[0]
    if '[Package]' not in s5:
        problems.append(f'_S5 is not a package: {s5}')
    print('_S5:', ' '.join(re.findall(r'\[Integer\] = ([0-9A-F]+)', s5)))

    # dmidecode
    code, dout = run(['dmidecode', '--from-dump', os.path.join(hk, 'smbios.bin')])
    htypes = dmi_types(dout)
    print(f'dmidecode --from-dump: exit {code}, structure types {htypes}')
    if code != 0 or re.search(r'(?i)invalid|wrong|checksum|truncat|unreachable|corrupt',
                              dout) or \
            not {1, 3, 4, 16, 17, 19, 32, 127} <= set(htypes):
        problems.append(f'dmidecode: {dout[-1500:]}')

    # ---- against QEMU's ----
    hh = {v or p for p, v in hako.devs.items()}
    qh = {}
    for p, v in qemu.devs.items():
        key = v or ('slots' if re.search(r'\.S[0-9A-F]{2}$', p) else p)
        qh.setdefault(key, []).append(p)
    print('\ndevices by _HID: Hako', sorted(hh))
    for hid, ps in sorted(qh.items()):
        if hid in hh:
            continue
        why = EXPLAINED_DEVICES.get(hid)
        findings.append(f'only QEMU has {hid} ({", ".join(ps[:4])}{" ..." if len(ps) > 4 else ""})'
                        f': {why or "UNEXPLAINED"}')
        if not why:
            problems.append(f'QEMU\'s DSDT has {hid} ({ps[0]}) and Hako\'s does not')
    for hid in sorted(hh - set(qh)):
        findings.append(f'only Hako has {hid}')

    qn, qprt, qout = qemu.prt()
    diffs = [(a, b) for a, b in zip(hprt, qprt) if a != b]
    print(f'_PRT: Hako {n} entries, QEMU {qn}; {len(diffs)} differ')
    for a, b in diffs:
        link = b[2] if b[2] in EXPLAINED_ROUTING else None
        findings.append(f'_PRT slot {a[0] >> 16:#x} pin {a[1]}: Hako {a[2]}, QEMU {b[2]}: '
                        f'{EXPLAINED_ROUTING.get(link, "UNEXPLAINED")}')
        if not link:
            problems.append(f'_PRT differs: Hako {a}, QEMU {b}')

    def crs(acpi, res, path):
        text = (res.get(path) or [''])[0]
        return resources(buffer_bytes(text)) if '[Buffer]' in text else None

    qpaths = ['\\_SB.PCI0._CRS'] + [p + '._CRS' for p, v in qemu.devs.items() if v] + [
        p + '._PRS' for p, v in qemu.devs.items() if v == 'PNP0C0F']
    code, out, qres = qemu.evaluate(qpaths)
    hw, qw = crs(hako, hres, '\\_SB.PCI0._CRS'), crs(qemu, qres, '\\_SB.PCI0._CRS')
    print('\nPCI0._CRS windows:\n  Hako:', '\n        '.join(hw or []),
          '\n  QEMU:', '\n        '.join(qw or []))
    for w in (qw or []):
        if w not in (hw or []):
            findings.append(f'PCI0 window only in QEMU\'s _CRS: {w}' +
                            (f': {EXPLAINED_WINDOWS}' if w.startswith('Memory 0x1') else ''))
            if not w.startswith('Memory 0x1'):
                problems.append(f'PCI0 window only in QEMU\'s _CRS: {w}')
    for w in (hw or []):
        if w not in (qw or []):
            findings.append(f'PCI0 window only in Hako\'s _CRS: {w}')
    # the ISA devices and the links, by _HID
    for hid in ('PNP0B00', 'PNP0303', 'PNP0F13', 'PNP0501', 'PNP0C0F'):
        hp = [p for p, v in hako.devs.items() if v == hid]
        qp = [p for p, v in qemu.devs.items() if v == hid and not p.endswith('LNKS')]
        for a, b in zip(sorted(hp), sorted(qp)):
            for m in ('._CRS', '._PRS'):
                ha, qa = crs(hako, hres, a + m), crs(qemu, qres, b + m)
                if ha is None and qa is None:
                    continue
                same = ha == qa
                print(f'{hid} {a}{m}: {"same as QEMU" if same else "differs"}: {ha}'
                      + ('' if same else f' (QEMU {b}: {qa})'))
                if not same:
                    why = EXPLAINED_RESOURCES.get((hid, m[1:]))
                    findings.append(f'{hid} {m[1:]}: Hako {ha}, QEMU {qa}: '
                                    f'{why or "UNEXPLAINED"}')
                    if not why:
                        problems.append(f'{hid} {m[1:]} differs: Hako {ha}, QEMU {qa}')

    # FADT: the PM registers, SCI, reset register, IA-PC boot flags
    def fadt(d):
        f = open(os.path.join(d, 'FACP'), 'rb').read()
        u = lambda o, n: int.from_bytes(f[o:o + n], 'little')  # noqa: E731
        return {'SCI_INT': u(46, 2), 'PM1a_EVT_BLK': u(56, 4), 'PM1a_CNT_BLK': u(64, 4),
                'PM_TMR_BLK': u(76, 4), 'GPE0_BLK': u(80, 4), 'GPE0_BLK_LEN': u(92, 1),
                'IAPC_BOOT_ARCH': u(109, 2), 'FLAGS': u(112, 4),
                'RESET_REG': u(120, 8) if len(f) > 128 else None,
                'RESET_VALUE': u(128, 1) if len(f) > 128 else None}
    hf, qf = fadt(os.path.join(hk, 'acpi')), fadt(os.path.join(qdir, 'acpi'))
    for k in hf:
        line = f'FADT {k}: Hako {hf[k]:#x}, QEMU {qf[k]:#x}' if hf[k] is not None and \
            qf[k] is not None else f'FADT {k}: Hako {hf[k]}, QEMU {qf[k]}'
        print(line)
        if hf[k] != qf[k]:
            findings.append(f'{line}: {EXPLAINED_FADT.get(k, "UNEXPLAINED")}')
            if k not in EXPLAINED_FADT:
                problems.append(line)

    # MADT: the entries by type
    def madt(d):
        m = open(os.path.join(d, 'APIC'), 'rb').read()
        out, i = [], 44
        while i + 2 <= len(m) and m[i + 1]:
            out.append(m[i:i + m[i + 1]].hex())
            i += m[i + 1]
        return int.from_bytes(m[36:40], 'little'), out
    (hl, he), (ql, qe) = madt(os.path.join(hk, 'acpi')), madt(os.path.join(qdir, 'acpi'))
    print(f'MADT: LAPIC at {hl:#x} / {ql:#x}; {len(he)} / {len(qe)} entries (Hako / QEMU)')
    for e in qe:
        if e not in he:
            findings.append(f'MADT entry only in QEMU\'s: type {int(e[:2], 16)} {e}')
    for e in he:
        if e not in qe:
            findings.append(f'MADT entry only in Hako\'s: type {int(e[:2], 16)} {e}')

    # SMBIOS against QEMU's
    qbin = os.path.join(work, 'qemu-smbios.bin')
    smbios_dump_from_sysfs(os.path.join(qdir, 'dmi'), qbin)
    code, qdout = run(['dmidecode', '--from-dump', qbin])
    qtypes = dmi_types(qdout)
    print(f'SMBIOS structure types: Hako {sorted(set(htypes))}, QEMU {sorted(set(qtypes))}')
    for t in sorted(set(qtypes) - set(htypes)):
        findings.append(f'SMBIOS type {t} only in QEMU\'s (type 0 BIOS information is added by '
                        'SeaBIOS in the guest, not given by the VMM)' if t == 0 else
                        f'SMBIOS type {t} only in QEMU\'s')

    print('\nwhat the comparison with QEMU\'s tables found:')
    for f in findings:
        print('  -', f)
    if problems:
        print('\nPROBLEMS:')
        for p in problems:
            print('  -', p)
        hakotest.fail(f'{len(problems)} problems in the tables')
    print('PASS: tables')


if __name__ == '__main__':
    main()
