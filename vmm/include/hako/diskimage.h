/*
 * What a disk image file is, from its first sectors (and its last, for VHD): a raw image (what
 * Hako's engine runs: a byte-for-byte disk) with its partition table, or a container format the
 * engine does not read (QCOW2, VMDK, VDI, VHD, VHDX), which has to be converted to raw first.
 * Shared by the engine and the app (the wizard's "existing disk image"), so both say the same
 * about the same file. Plain C11, no GLib.
 *
 * Layouts followed: the MBR (boot signature 0x55AA at 510, four 16-byte partition entries at 446,
 * boot indicator 0x80, type 0xEE protective GPT, 0xEF EFI system partition); UEFI 2.10 5.3 (GPT
 * header "EFI PART" at LBA 1: partition entries LBA at 72, count at 80, entry size at 84; the
 * EFI system partition type GUID C12A7328-F81F-11D2-BA4B-00A0C93EC93B); QEMU's docs/interop/
 * qcow2.txt (magic "QFI\xfb"); VMware's VMDK ("KDMV" sparse extent, "# Disk DescriptorFile");
 * VirtualBox VDI (signature 0xbeda107f at 64); VHD footer "conectix" (last 512 bytes, or first for
 * a dynamic disk's copy); VHDX ("vhdxfile" at 0).
 */
#ifndef HAKO_DISKIMAGE_H
#define HAKO_DISKIMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum hk_disk_format {
    HK_DISK_RAW = 0, /* a byte-for-byte disk (what the engine runs) */
    HK_DISK_QCOW2,
    HK_DISK_VMDK,
    HK_DISK_VDI,
    HK_DISK_VHD,
    HK_DISK_VHDX,
};

enum hk_disk_table {
    HK_TABLE_NONE = 0, /* no partition table Hako recognises (a blank or a bare file system) */
    HK_TABLE_MBR,
    HK_TABLE_GPT,
};

struct hk_disk_image_info {
    enum hk_disk_format format;
    enum hk_disk_table table;
    bool bios_boot;  /* MBR with boot code, or a GPT disk's protective MBR with boot code */
    bool efi_system; /* an EFI system partition (GPT type, or MBR type 0xEF) */
    unsigned partitions;
    uint64_t size; /* bytes of the file (a raw image: of the disk) */
};

/* Reads len bytes at off into buf; returns the number read (short at the end of the file), or
 * -1 on an error. */
typedef long (*hk_disk_read_fn)(void *ctx, uint64_t off, void *buf, size_t len);

/* Looks at the image (size: the file's size). Returns 0 with info filled, -1 when it could not
 * be read. A file too small to hold a partition table is raw with no table. */
int hk_disk_image_sniff(hk_disk_read_fn read, void *ctx, uint64_t size,
                        struct hk_disk_image_info *info);

/* hk_disk_read_fn over a file descriptor (ctx: an int *): pread, again after EINTR; short at the
 * end of the file. */
long hk_disk_read_fd(void *ctx, uint64_t off, void *buf, size_t len);

/* The image is a hard disk's: a container format, or a raw image with a GPT or with MBR
 * partitions (what a CD/DVD reader refuses as "a hard disk image, not a disc"). */
bool hk_disk_image_is_disk(const struct hk_disk_image_info *info);

/* "qcow2", "vmdk", ... (for messages and qemu-img's -f); "raw" for raw. */
const char *hk_disk_format_name(enum hk_disk_format format);

#endif
