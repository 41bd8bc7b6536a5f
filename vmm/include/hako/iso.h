/*
 * Disc images: what an ISO 9660 CD/DVD image is and how it boots, learned by reading it, never
 * by running it. One reader for the engine (the CD-ROM's boot-read facts) and the app (the
 * new-VM wizard, the diagnosis, hako --inspect-iso).
 *
 * It takes the primary volume descriptor (sector 16: system, volume, publisher and application
 * IDs, volume size, root directory), the El Torito boot record with its boot catalog (validation
 * entry, initial entry, section headers and entries by platform: 0x00 x86 BIOS, 0xEF EFI, with
 * extension entries skipped), each boot image's extent (an entry whose image lies beyond the end
 * of the file boots nothing), and for EFI entries the FAT file system in the image, looking for
 * \EFI\BOOT\BOOT*.EFI to learn which CPU architectures its UEFI loader is built for. Files on the
 * disc can be read by path (Rock Ridge names, else ISO 9660 names without version, case
 * insensitive), for small files such as .disk/info.
 *
 * Documents followed: ECMA-119 (ISO 9660) 8.4 and 9.1, "El Torito" Bootable CD-ROM Format
 * Specification 1.0 (1995), IEEE P1282 Rock Ridge (RRIP 1.12) NM entries over SUSP 1.12,
 * Microsoft FAT32 File System Specification 1.03 (BPB, directory entries), UEFI 2.10 3.5.1.1
 * (removable media boot file names).
 *
 * Every offset and length read from the image is checked against the image size before use; a
 * damaged, truncated or hostile image yields a status, never a crash. Plain C11 + POSIX.
 */
#ifndef HAKO_ISO_H
#define HAKO_ISO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HK_ISO_SECTOR           2048u
#define HK_ISO_MAX_BOOT_ENTRIES 16

/* El Torito platform IDs */
#define HK_ELTORITO_X86 0x00
#define HK_ELTORITO_PPC 0x01
#define HK_ELTORITO_MAC 0x02
#define HK_ELTORITO_EFI 0xEF

/* UEFI loader architectures found in an EFI boot image (\EFI\BOOT\BOOT<arch>.EFI) */
enum hk_efi_arch {
    HK_EFI_ARCH_X64 = 1 << 0,
    HK_EFI_ARCH_IA32 = 1 << 1,
    HK_EFI_ARCH_AA64 = 1 << 2,
    HK_EFI_ARCH_ARM = 1 << 3,
    HK_EFI_ARCH_OTHER = 1 << 4,
};

struct hk_iso_boot_entry {
    uint8_t platform;      /* HK_ELTORITO_* */
    bool bootable;         /* marked bootable and its image lies inside the file */
    bool marked_bootable;  /* boot indicator 0x88 */
    bool beyond_end;       /* the image (or part of it) lies beyond the end of the file */
    uint8_t media_type;    /* 0 no emulation, 1-3 floppy, 4 hard disk */
    uint16_t load_segment; /* 0 = the BIOS default 0x7C0 */
    uint16_t sector_count; /* 512-byte virtual sectors loaded (BIOS) */
    uint32_t load_lba;     /* 2048-byte sectors */
    /* EFI entries: what the FAT image holds */
    bool efi_image_read;      /* the image was a FAT file system Hako could read */
    unsigned efi_arches;      /* enum hk_efi_arch bits */
    uint64_t efi_image_bytes; /* the FAT file system's size */
};

struct hk_iso_info {
    char system_id[33];
    char volume_id[33];
    char publisher_id[129];
    char application_id[129];
    uint64_t volume_bytes; /* volume space size x logical block size */
    uint64_t file_bytes;
    uint32_t root_lba; /* the root directory's extent (PVD) */
    uint32_t root_bytes;
    bool el_torito;           /* an El Torito boot record */
    uint32_t boot_record_lba; /* where it is (17 on every disc firmware boots) */
    uint32_t catalog_lba;
    bool catalog_valid; /* the catalog's validation entry checks out */
    unsigned n_entries;
    struct hk_iso_boot_entry entries[HK_ISO_MAX_BOOT_ENTRIES];
};

/* What parsing found. Everything but OK leaves info filled as far as it got. */
enum hk_iso_status {
    HK_ISO_OK = 0,
    HK_ISO_READ_ERROR,        /* the image could not be read (*error: errno) */
    HK_ISO_TOO_SMALL,         /* shorter than the volume descriptors */
    HK_ISO_NOT_ISO,           /* no ISO 9660 primary volume descriptor */
    HK_ISO_DISK_IMAGE,        /* a hard-disk image (MBR/GPT), not a CD/DVD image */
    HK_ISO_TRUNCATED,         /* the volume is larger than the file */
    HK_ISO_CATALOG_TRUNCATED, /* the boot catalog lies beyond the end of the file */
    HK_ISO_BAD_CATALOG,       /* the boot catalog's validation entry does not check out */
};

/* Reads len bytes at off; 0, or an errno. Offsets are checked against size before any call. */
typedef int (*hk_iso_read_fn)(void *opaque, uint64_t off, void *buf, size_t len);

struct hk_iso_source {
    hk_iso_read_fn read;
    void *opaque;
    uint64_t size;
};

/* Parses an image. error (may be NULL) gets the errno of HK_ISO_READ_ERROR. */
enum hk_iso_status hk_iso_parse(const struct hk_iso_source *src, struct hk_iso_info *info,
                                int *error);
/* The same over bytes in memory. */
enum hk_iso_status hk_iso_parse_buffer(const uint8_t *data, size_t size, struct hk_iso_info *info);

/* A bootable x86 BIOS entry exists. */
bool hk_iso_boots_bios(const struct hk_iso_info *info);
/* A bootable EFI entry exists whose image holds an x86-64 loader (or whose contents could not be
 * read, in which case it is assumed to). */
bool hk_iso_boots_uefi(const struct hk_iso_info *info);
/* The architecture the disc is for, from its EFI loaders: "x86_64", "i686", "aarch64", or NULL
 * when the image does not tell. */
const char *hk_iso_guess_arch(const struct hk_iso_info *info);

/* Reads the file at path (absolute or relative to the root: "/.disk/info", ".disk/info") into
 * buf. Returns 0 with *len its size, or an errno: ENOENT (no such file), ENOTDIR, EISDIR, EFBIG
 * (larger than max: nothing read), EIO (the directory or file lies beyond the image), or the
 * source's. */
int hk_iso_read_file(const struct hk_iso_source *src, const struct hk_iso_info *info,
                     const char *path, void *buf, size_t max, size_t *len);

/* Opens an image for reading without blocking (a FIFO, socket or terminal is refused, never
 * waited on): regular files and block devices. Returns 0 with *fd (close-on-exec) and *size, or
 * an errno: EISDIR for a folder, ENODEV for any other special file. */
int hk_iso_open(const char *path, int *fd, uint64_t *size);
/* A source reading a file descriptor with pread; opaque points to the int descriptor. */
int hk_iso_read_fd(void *opaque, uint64_t off, void *buf, size_t len);

#endif
