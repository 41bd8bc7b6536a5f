#!/usr/bin/env python3
"""Builds the disc images the wizard tests use, from Debian packages, into a cache directory.

    make_test_isos.py OUTDIR

Images (each rebuilt only when missing; a lock makes parallel test runs wait for one builder):
  both.iso            grub-mkrescue: x86 BIOS (i386-pc El Torito) + UEFI (x86_64-efi FAT image)
  efi.iso             grub-mkrescue -d x86_64-efi: an EFI entry only
  bios-grub.iso       grub-mkrescue -d i386-pc: a BIOS entry only
  bios-isolinux.iso   xorriso + isolinux: a BIOS entry only, the way older distributions did it
  arch.iso            what archiso's releng profile writes: volume ID ARCH_YYYYMM, publisher
                      "Arch Linux <https://archlinux.org>", application "Arch Linux Live/Rescue
                      DVD", isolinux for BIOS and an EFI FAT image holding GRUB as BOOTX64.EFI
  ia32-efi.iso        an EFI entry whose FAT image holds only BOOTIA32.EFI (32-bit UEFI)
  data.iso            an ISO 9660 volume without El Torito
  truncated.iso       the first 1 MiB of both.iso
  garbage.iso         1 MiB of deterministic pseudo-random bytes
  disk.img            a 2 MiB hard-disk image with an MBR partition table
  tiny.iso            100 bytes
  gpt-efi.img         a 1 GiB sparse hard-disk image with a GPT: an EFI system partition and a
                      Linux one (the wizard's existing disk images)
  disk.qcow2          a QCOW2 image (qemu-img create), which Hako refuses with the conversion

Needs grub-pc-bin, grub-efi-amd64-bin, grub-common, xorriso, mtools, dosfstools, isolinux,
syslinux-common (all in .ci/install-deps).
"""
import fcntl
import os
import random
import shutil
import subprocess
import sys
import tempfile

IMAGES = ["both.iso", "efi.iso", "bios-grub.iso", "bios-isolinux.iso", "arch.iso",
          "ia32-efi.iso", "data.iso", "truncated.iso", "garbage.iso", "disk.img", "tiny.iso",
          "gpt-efi.img", "disk.qcow2"]

# the GPT partition type GUID of an EFI system partition, and of Linux data, as stored
ESP_GUID = bytes.fromhex("28732ac11ff8d211ba4b00a0c93ec93b")
LINUX_GUID = bytes.fromhex("af3dc60f838472478e793d69d8477de4")

ARCH_VOLID = "ARCH_202611"
ARCH_PUBLISHER = "Arch Linux <https://archlinux.org>"
ARCH_APPLICATION = "Arch Linux Live/Rescue DVD"


def run(*cmd, cwd=None):
    r = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        sys.stderr.write(f"{' '.join(cmd)} failed:\n{r.stdout}\n")
        raise SystemExit(1)


def grub_tree(tmp):
    d = os.path.join(tmp, "grubroot")
    os.makedirs(os.path.join(d, "boot", "grub"), exist_ok=True)
    with open(os.path.join(d, "boot", "grub", "grub.cfg"), "w") as f:
        f.write("set timeout=5\nmenuentry 'Hako test disc' { echo 'Hako test disc'; sleep 60 }\n")
    return d


def fat_image(path, files, size_kib=2880):
    """A FAT12 floppy-sized image with the given {dos_path: bytes} files (mtools, no mounting)."""
    run("mkfs.fat", "-C", "-n", "HAKOEFI", path, str(size_kib))
    env_dirs = set()
    for dos in files:
        parts = dos.strip("/").split("/")[:-1]
        for i in range(1, len(parts) + 1):
            env_dirs.add("/".join(parts[:i]))
    for d in sorted(env_dirs, key=len):
        run("mmd", "-i", path, "::/" + d)
    for dos, data in files.items():
        with tempfile.NamedTemporaryFile(delete=False) as t:
            t.write(data)
        try:
            run("mcopy", "-i", path, t.name, "::/" + dos.strip("/"))
        finally:
            os.unlink(t.name)


def grub_efi_binary(tmp):
    out = os.path.join(tmp, "BOOTX64.EFI")
    if not os.path.exists(out):
        run("grub-mkimage", "-O", "x86_64-efi", "-p", "/boot/grub", "-o", out,
            "normal", "iso9660", "part_msdos", "fat", "echo", "sleep", "configfile")
    with open(out, "rb") as f:
        return f.read()


def isolinux_tree(tmp, name):
    d = os.path.join(tmp, name)
    os.makedirs(os.path.join(d, "isolinux"), exist_ok=True)
    shutil.copy("/usr/lib/ISOLINUX/isolinux.bin", os.path.join(d, "isolinux"))
    shutil.copy("/usr/lib/syslinux/modules/bios/ldlinux.c32", os.path.join(d, "isolinux"))
    with open(os.path.join(d, "isolinux", "isolinux.cfg"), "w") as f:
        f.write("PROMPT 1\nTIMEOUT 50\nSAY Hako test disc (isolinux)\n")
    return d


def build(name, out, tmp):
    target = os.path.join(out, name)
    part = target + ".part"
    if name == "both.iso":
        run("grub-mkrescue", "-o", part, grub_tree(tmp))
    elif name == "efi.iso":
        run("grub-mkrescue", "-d", "/usr/lib/grub/x86_64-efi", "-o", part, grub_tree(tmp))
    elif name == "bios-grub.iso":
        run("grub-mkrescue", "-d", "/usr/lib/grub/i386-pc", "-o", part, grub_tree(tmp))
    elif name == "bios-isolinux.iso":
        d = isolinux_tree(tmp, "isoroot")
        run("xorriso", "-as", "mkisofs", "-o", part, "-V", "HAKO_ISOLINUX",
            "-b", "isolinux/isolinux.bin", "-c", "isolinux/boot.cat",
            "-no-emul-boot", "-boot-load-size", "4", "-boot-info-table", d)
    elif name == "arch.iso":
        d = isolinux_tree(tmp, "archroot")
        os.makedirs(os.path.join(d, "EFI", "BOOT"), exist_ok=True)
        efi = grub_efi_binary(tmp)
        with open(os.path.join(d, "EFI", "BOOT", "BOOTX64.EFI"), "wb") as f:
            f.write(efi)
        fat_image(os.path.join(d, "efiboot.img"), {"EFI/BOOT/BOOTX64.EFI": efi})
        run("xorriso", "-as", "mkisofs", "-o", part, "-iso-level", "3",
            "-full-iso9660-filenames", "-joliet", "-joliet-long", "-rational-rock",
            "-volid", ARCH_VOLID, "-appid", ARCH_APPLICATION, "-publisher", ARCH_PUBLISHER,
            "-preparer", "prepared by Hako's tests",
            "-eltorito-boot", "isolinux/isolinux.bin", "-eltorito-catalog", "isolinux/boot.cat",
            "-no-emul-boot", "-boot-load-size", "4", "-boot-info-table",
            "-eltorito-alt-boot", "-e", "efiboot.img", "-no-emul-boot", d)
    elif name == "ia32-efi.iso":
        d = os.path.join(tmp, "ia32root")
        os.makedirs(d, exist_ok=True)
        fat_image(os.path.join(d, "efiboot.img"),
                  {"EFI/BOOT/BOOTIA32.EFI": b"MZ" + bytes(1022)})
        run("xorriso", "-as", "mkisofs", "-o", part, "-V", "HAKO_IA32",
            "-e", "efiboot.img", "-no-emul-boot", d)
    elif name == "data.iso":
        d = os.path.join(tmp, "dataroot")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "README.TXT"), "w") as f:
            f.write("no boot record here\n")
        run("xorriso", "-as", "mkisofs", "-o", part, "-V", "HAKO_DATA", d)
    elif name == "truncated.iso":
        with open(os.path.join(out, "both.iso"), "rb") as f:
            data = f.read(1 << 20)
        with open(part, "wb") as f:
            f.write(data)
    elif name == "garbage.iso":
        rnd = random.Random(0x4841_4B4F)
        with open(part, "wb") as f:
            f.write(bytes(rnd.getrandbits(8) for _ in range(1 << 20)))
    elif name == "disk.img":
        data = bytearray(2 << 20)
        # one partition, type 0x83, from sector 2048 for 2048 sectors
        e = 446
        data[e + 4] = 0x83
        data[e + 8:e + 12] = (2048).to_bytes(4, "little")
        data[e + 12:e + 16] = (2048).to_bytes(4, "little")
        data[510], data[511] = 0x55, 0xAA
        with open(part, "wb") as f:
            f.write(data)
    elif name == "gpt-efi.img":
        import struct
        import zlib
        size = 1 << 30
        entries = bytearray(128 * 128)
        for i, (guid, first, last) in enumerate([(ESP_GUID, 2048, 206847),
                                                  (LINUX_GUID, 206848, size // 512 - 34)]):
            e = 128 * i
            entries[e:e + 16] = guid
            entries[e + 16:e + 32] = bytes(range(i * 16, i * 16 + 16))  # unique GUID
            entries[e + 32:e + 48] = struct.pack("<QQ", first, last)
        hdr = bytearray(92)
        hdr[0:8] = b"EFI PART"
        struct.pack_into("<IIIIQQQQ", hdr, 8, 0x10000, 92, 0, 0, 1, size // 512 - 1, 34,
                         size // 512 - 34)
        hdr[56:72] = bytes(range(0x40, 0x50))
        struct.pack_into("<QIII", hdr, 72, 2, 128, 128, zlib.crc32(entries))
        struct.pack_into("<I", hdr, 16, zlib.crc32(hdr))
        mbr = bytearray(512)
        mbr[446 + 4] = 0xEE
        mbr[446 + 8:446 + 12] = (1).to_bytes(4, "little")
        mbr[446 + 12:446 + 16] = (0xFFFFFFFF).to_bytes(4, "little")
        mbr[510], mbr[511] = 0x55, 0xAA
        with open(part, "wb") as f:
            f.truncate(size)
            f.write(mbr)
            f.write(hdr)
            f.seek(1024)
            f.write(entries)
    elif name == "disk.qcow2":
        run("qemu-img", "create", "-q", "-f", "qcow2", part, "1G")
        os.rename(part, target)
        return
    elif name == "tiny.iso":
        with open(part, "wb") as f:
            f.write(b"not a disc image\n" * 6)
    os.rename(part, target)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = os.path.abspath(sys.argv[1])
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        missing = [n for n in IMAGES if not os.path.exists(os.path.join(out, n))]
        if missing:
            with tempfile.TemporaryDirectory(prefix="hako-isos-") as tmp:
                for n in IMAGES:  # in order: truncated.iso needs both.iso
                    if n in missing:
                        build(n, out, tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
