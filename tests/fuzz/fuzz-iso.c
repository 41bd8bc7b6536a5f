/*
 * Fuzz target: Hako's ISO 9660 / El Torito / FAT reader (src/hako-media.c) on disc images that
 * start from a valid one (BIOS + EFI entries, a PowerPC section with an extension entry, a FAT12
 * EFI image) and get the input's bytes written over their metadata: the primary volume
 * descriptor, the boot record, the boot catalog and the FAT image's boot sector, FATs and
 * directories. The first two input bytes also choose a truncated length. Any result is fine; a
 * crash or a sanitizer report is not.
 */
#include <stdint.h>
#include <string.h>

#include "../unit/isobuild.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const guint32 hot[] = {16 * SECTOR, 17 * SECTOR, 20 * SECTOR, 24 * SECTOR};
    Spec spec = {
        .bios = TRUE, .efi_loader = "BOOTX64 EFI", .el_torito = TRUE, .extra_sections = TRUE};
    Img img = build_iso(&spec);
    gsize len = img.size;
    if (size >= 2 && (data[0] & 1)) {
        len = ((gsize)data[0] << 8 | data[1]) * 16; /* 0..1 MiB: cut anywhere */
        len = MIN(len, img.size);
    }
    /* 3 bytes per patch: region (2 bits) + offset (14 bits) within 16 KiB of it, value */
    for (size_t i = 2; i + 3 <= size; i += 3) {
        guint32 sel = (guint32)data[i] << 8 | data[i + 1];
        guint32 off = hot[sel >> 14] + (sel & 0x3FFF);
        if (off < img.size)
            img.data[off] = data[i + 2];
    }
    HakoIsoInfo info;
    GError *error = NULL;
    if (hako_iso_parse_buffer(img.data, len, &info, &error)) {
        (void)hako_iso_info_boots_bios(&info);
        (void)hako_iso_info_boots_uefi(&info);
        (void)hako_iso_info_guess_arch(&info);
        if (info.n_entries > HAKO_ISO_MAX_BOOT_ENTRIES)
            __builtin_trap();
        if (!g_utf8_validate(info.volume_id, -1, NULL) ||
            !g_utf8_validate(info.application_id, -1, NULL))
            __builtin_trap();
    } else {
        if (!error || error->domain != HAKO_MEDIA_ERROR)
            __builtin_trap(); /* every refusal is explained with a media error */
        g_error_free(error);
    }
    g_free(img.data);
    return 0;
}
