/*
 * Fuzz target: the common disc reader (vmm/common/iso.c: ISO 9660, El Torito, the FAT in EFI
 * images, files by path) that the engine's CD-ROM and the app both use, on disc images that start
 * from a valid one (BIOS + EFI entries, a PowerPC section with an extension entry, a FAT12 EFI
 * image, Rock Ridge directories) and get the input's bytes written over their metadata: the
 * primary volume descriptor, the boot record, the directories, the boot catalog and the FAT
 * image's boot sector, FATs and directories. The first two input bytes also choose a truncated
 * length. Any result is fine; a crash or a sanitizer report is not.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/isoimage.h"
#include "hako/iso.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct mem {
    const uint8_t *d;
    size_t n;
};

static int mem_read(void *opaque, uint64_t off, void *buf, size_t n)
{
    const struct mem *m = opaque;
    if (off > m->n || n > m->n - off)
        abort(); /* the reader checks every range against the size before it reads */
    memcpy(buf, m->d + off, n);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* the metadata sectors: PVD, boot record, root directory, catalog, .disk/, FAT image */
    static const uint32_t hot[] = {16, 17, 19, 20, 22, 24};
    Spec spec = {.bios = true,
                 .efi_loader = "BOOTX64 EFI",
                 .el_torito = true,
                 .extra_sections = true,
                 .no_rock_ridge = size > 2 && (data[2] & 1)};
    Img img = build_iso(&spec);
    size_t len = img.size;
    if (size >= 2 && (data[0] & 1)) {
        len = ((size_t)data[0] << 8 | data[1]) * 16; /* 0..1 MiB: cut anywhere */
        if (len > img.size)
            len = img.size;
    }
    /* 4 bytes per patch: region, offset (14 bits) from its first sector, value */
    for (size_t i = 3; i + 4 <= size; i += 4) {
        uint32_t off =
            hot[data[i] % 6] * SECTOR + ((uint32_t)data[i + 1] << 8 | data[i + 2]) % 0x4000;
        if (off < img.size)
            img.data[off] = data[i + 3];
    }
    struct hk_iso_info info;
    enum hk_iso_status st = hk_iso_parse_buffer(img.data, len, &info);
    if (st > HK_ISO_BAD_CATALOG || info.n_entries > HK_ISO_MAX_BOOT_ENTRIES)
        abort();
    (void)hk_iso_boots_bios(&info);
    (void)hk_iso_boots_uefi(&info);
    (void)hk_iso_guess_arch(&info);
    for (size_t i = 0; i < sizeof(info.volume_id); i++)
        if (info.volume_id[i] &&
            ((unsigned char)info.volume_id[i] < 0x20 || (unsigned char)info.volume_id[i] > 0x7E))
            abort(); /* IDs are printable ASCII (valid UTF-8) */
    for (unsigned i = 0; i < info.n_entries; i++)
        if (info.entries[i].bootable &&
            ((uint64_t)info.entries[i].load_lba * SECTOR >= len || info.entries[i].beyond_end))
            abort(); /* nothing beyond the end of the file is called bootable */
    /* files by path, whatever the directories now say */
    struct mem m = {img.data, len};
    struct hk_iso_source src = {mem_read, &m, len};
    static const char *const paths[] = {"/.disk/info", "README.txt", "/.disk", "/x/y/z", ""};
    uint8_t buf[4096];
    for (size_t k = 0; k < sizeof(paths) / sizeof(paths[0]); k++) {
        size_t got = 0;
        if (hk_iso_read_file(&src, &info, paths[k], buf, sizeof(buf), &got) == 0 &&
            got > sizeof(buf))
            abort();
    }
    free(img.data);
    return 0;
}
