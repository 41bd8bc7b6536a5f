#!/usr/bin/env python3
"""hako --inspect-iso on disc images built from Debian packages (make_test_isos.py).

    test_inspect_iso.py HAKO ISO_DIR

Checks the OS identification (Arch Linux through Hako's libosinfo overlay), the El Torito boot
entries (BIOS, UEFI, both), the proposal (memory >= 1 GiB, CPUs, disk, firmware) and clean,
non-zero exits with a reason for files that cannot be used.
"""
import os
import re
import struct
import subprocess
import sys
import tempfile

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print(f"FAIL: {what}")


def inspect(hako, path):
    env = dict(os.environ, LC_ALL="C.UTF-8", LANGUAGE="")
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    r = subprocess.run([hako, "--inspect-iso", path], env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=20)
    keys = {}
    for line in r.stdout.splitlines():
        k, sep, v = line.partition(": ")
        if sep:
            keys.setdefault(k, v)
    return r.returncode, keys, r.stdout, r.stderr


def mib(value):
    m = re.match(r"(\d+) MiB", value or "")
    return int(m.group(1)) if m else -1


def expect_usable(hako, iso_dir, name, bios, uefi, os_name=None):
    path = os.path.join(iso_dir, name)
    rc, k, out, err = inspect(hako, path)
    print(f"--- {name} (exit {rc})\n{out}{err}")
    check(rc == 0, f"{name}: exit status {rc}, stderr {err!r}")
    check(err == "", f"{name}: unexpected stderr {err!r}")
    check(k.get("BIOS boot") == ("yes" if bios else "no"), f"{name}: BIOS boot {k.get('BIOS boot')}")
    check(k.get("UEFI boot") == ("yes" if uefi else "no"), f"{name}: UEFI boot {k.get('UEFI boot')}")
    entries = [v for key, v in k.items() if key.startswith("Boot entry")]
    check(any("x86 BIOS, bootable" in e for e in entries) == bios, f"{name}: BIOS entry {entries}")
    check(any("EFI, bootable" in e and "x86-64" in e for e in entries) == uefi,
          f"{name}: EFI entry {entries}")
    if os_name:
        check(k.get("OS name") == os_name, f"{name}: OS name {k.get('OS name')!r}")
    check(mib(k.get("Memory")) >= 1024, f"{name}: memory {k.get('Memory')!r} below 1 GiB")
    check(re.match(r"\d+ \(host: \d+\)", k.get("CPUs", "")) is not None, f"{name}: CPUs {k.get('CPUs')!r}")
    check(re.match(r"\d+ GiB$", k.get("Disk", "")) is not None, f"{name}: disk {k.get('Disk')!r}")
    fw = k.get("Firmware", "")
    if bios and not uefi:
        check(fw == "bios", f"{name}: firmware {fw!r} for a BIOS-only disc")
        check(k.get("Firmware choice") == "no", f"{name}: a choice offered for a BIOS-only disc")
    if uefi and not bios:
        check(fw.startswith("uefi"), f"{name}: firmware {fw!r} for a UEFI-only disc")
        check(k.get("Firmware choice") == "no", f"{name}: a choice offered for a UEFI-only disc")
    if uefi and bios:
        check(k.get("Firmware choice") == "bios, uefi", f"{name}: no firmware choice for a dual disc")
    return k


def expect_refused(hako, iso_dir, name, words):
    path = os.path.join(iso_dir, name)
    rc, k, out, err = inspect(hako, path)
    print(f"--- {name} (exit {rc})\n{out}{err}")
    check(rc == 1, f"{name}: exit status {rc}, expected 1")
    check(err.startswith("hako: ") and err.count("\n") >= 1, f"{name}: no reason on stderr: {err!r}")
    check("Traceback" not in err and "CRITICAL" not in err and "WARNING" not in err,
          f"{name}: noise on stderr: {err!r}")
    check(any(w in err for w in words), f"{name}: reason {err!r} does not mention {words}")


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    hako, iso_dir = sys.argv[1], sys.argv[2]
    # build the images (cached) with the generator next to this script
    maker = os.environ.get("HAKO_MAKE_ISOS") or os.path.join(os.path.dirname(__file__),
                                                              "make_test_isos.py")
    subprocess.run([sys.executable, maker, iso_dir], check=True)
    k = expect_usable(hako, iso_dir, "arch.iso", bios=True, uefi=True, os_name="Arch Linux")
    check(k.get("OS ID") == "http://archlinux.org/archlinux/rolling", f"arch: OS ID {k.get('OS ID')!r}")
    check(k.get("Volume ID") == "ARCH_202611", f"arch: volume ID {k.get('Volume ID')!r}")
    check(k.get("Application") == "ARCH LINUX LIVE/RESCUE DVD", f"arch: application {k.get('Application')!r}")
    check(k.get("Name") == "Arch Linux", f"arch: name {k.get('Name')!r}")
    check(mib(k.get("Memory")) == 1024, f"arch: memory {k.get('Memory')!r} (osinfo: 512 MiB minimum x 2)")

    k = expect_usable(hako, iso_dir, "both.iso", bios=True, uefi=True)
    check(k.get("OS name") == "unknown", f"both: OS {k.get('OS name')!r}")
    check(k.get("Name") == "both", f"both: name {k.get('Name')!r} (from the file name)")
    expect_usable(hako, iso_dir, "efi.iso", bios=False, uefi=True)
    expect_usable(hako, iso_dir, "bios-grub.iso", bios=True, uefi=False)
    expect_usable(hako, iso_dir, "bios-isolinux.iso", bios=True, uefi=False)

    expect_refused(hako, iso_dir, "truncated.iso", ["incomplete"])
    expect_refused(hako, iso_dir, "garbage.iso", ["not a CD or DVD image"])
    expect_refused(hako, iso_dir, "disk.img", ["hard disk image"])
    expect_refused(hako, iso_dir, "tiny.iso", ["too small"])
    expect_refused(hako, iso_dir, "data.iso", ["not bootable"])
    expect_refused(hako, iso_dir, "ia32-efi.iso", ["32-bit"])
    expect_refused(hako, iso_dir, "does-not-exist.iso", ["does not exist"])
    expect_refused(hako, iso_dir, ".", ["folder"])

    # a FIFO is refused at once with the reason (it used to block in open() for ever)
    with tempfile.TemporaryDirectory() as tmp:
        fifo = os.path.join(tmp, "pipe.iso")
        os.mkfifo(fifo)
        try:
            expect_refused(hako, tmp, "pipe.iso", ["pipe"])
        except subprocess.TimeoutExpired:
            check(False, "pipe.iso: hako --inspect-iso waited on a FIFO")
        # boot entries whose images lie beyond the end of the file are not bootable
        with open(os.path.join(iso_dir, "both.iso"), "rb") as f:
            data = bytearray(f.read())
        catalog = struct.unpack_from("<I", data, 17 * 2048 + 0x47)[0] * 2048
        struct.pack_into("<I", data, catalog + 32 + 8, 0x00FFFFFF)  # the BIOS (initial) entry
        cut = os.path.join(tmp, "cut-bios.iso")
        with open(cut, "wb") as f:
            f.write(data)
        rc, k, out, err = inspect(hako, cut)
        print(f"--- cut-bios.iso (exit {rc})\n{out}{err}")
        entries = [v for key, v in k.items() if key.startswith("Boot entry")]
        check(k.get("BIOS boot") == "no", f"cut-bios: BIOS boot {k.get('BIOS boot')} for an image "
              "beyond the end of the file")
        check(any("x86 BIOS, not bootable (its image lies beyond the end" in e for e in entries),
              f"cut-bios: entries {entries}")
        check(k.get("UEFI boot") == "yes" and rc == 0, f"cut-bios: UEFI boot {k.get('UEFI boot')}")

    if failures:
        print(f"{len(failures)} check(s) failed")
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
