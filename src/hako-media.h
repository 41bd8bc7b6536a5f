/*
 * HakoMedia: what an install/live ISO is, learned before anything runs.
 *
 * The disc is read by the common library's ISO 9660 / El Torito reader (hako/iso.h, the same code
 * the engine's CD-ROM uses for its boot facts): volume IDs, the boot entries per platform and
 * whether their images lie inside the file, the UEFI loader architectures in EFI images, files on
 * the disc by path. libosinfo then identifies the OS from the IDs (osinfo_db_identify_media),
 * with Hako's overlay in data/osinfo/ loaded on top of the system database for media that
 * database misses. This class words the reader's verdicts (translated) and keeps the result.
 */
#pragma once

#include <gio/gio.h>
#include <osinfo/osinfo.h>

#include "hako/iso.h"

G_BEGIN_DECLS

#define HAKO_MEDIA_ERROR (hako_media_error_quark())
GQuark hako_media_error_quark(void);

typedef enum {
    HAKO_MEDIA_ERROR_UNREADABLE,   /* cannot open or read the file */
    HAKO_MEDIA_ERROR_TOO_SMALL,    /* shorter than the volume descriptors */
    HAKO_MEDIA_ERROR_NOT_ISO,      /* no ISO 9660 primary volume descriptor */
    HAKO_MEDIA_ERROR_DISK_IMAGE,   /* a hard-disk image (MBR/GPT), not a CD/DVD image */
    HAKO_MEDIA_ERROR_TRUNCATED,    /* the file is shorter than the volume it describes */
    HAKO_MEDIA_ERROR_NOT_BOOTABLE, /* no El Torito boot entry an x86 PC can use */
    HAKO_MEDIA_ERROR_BAD_CATALOG,  /* the El Torito boot catalog is damaged */
} HakoMediaError;

/* El Torito platform IDs */
#define HAKO_ELTORITO_X86 HK_ELTORITO_X86
#define HAKO_ELTORITO_PPC HK_ELTORITO_PPC
#define HAKO_ELTORITO_MAC HK_ELTORITO_MAC
#define HAKO_ELTORITO_EFI HK_ELTORITO_EFI

/* UEFI loader architectures found in an EFI boot image (\EFI\BOOT\BOOT<arch>.EFI) */
typedef enum {
    HAKO_EFI_ARCH_X64 = HK_EFI_ARCH_X64,
    HAKO_EFI_ARCH_IA32 = HK_EFI_ARCH_IA32,
    HAKO_EFI_ARCH_AA64 = HK_EFI_ARCH_AA64,
    HAKO_EFI_ARCH_ARM = HK_EFI_ARCH_ARM,
    HAKO_EFI_ARCH_OTHER = HK_EFI_ARCH_OTHER,
} HakoEfiArch;

/* The common reader's results (hako/iso.h). */
typedef struct hk_iso_boot_entry HakoBootEntry;
typedef struct hk_iso_info HakoIsoInfo;
#define HAKO_ISO_MAX_BOOT_ENTRIES HK_ISO_MAX_BOOT_ENTRIES

/* Parses the image at path (opened without blocking: a FIFO or device is refused with a reason).
 * TRUE when it is an ISO 9660 volume (info filled; info->el_torito says whether a boot catalog
 * was found); FALSE with a HAKO_MEDIA_ERROR otherwise. */
gboolean hako_iso_parse_path(const char *path, HakoIsoInfo *info, GError **error);
/* The same over a buffer in memory (tests). */
gboolean hako_iso_parse_buffer(const guint8 *data, gsize size, HakoIsoInfo *info, GError **error);

/* A bootable x86 BIOS entry exists (its image inside the file). */
gboolean hako_iso_info_boots_bios(const HakoIsoInfo *info);
/* A bootable EFI entry exists whose image holds an x86-64 loader (or whose contents could not be
 * read, in which case it is assumed to). */
gboolean hako_iso_info_boots_uefi(const HakoIsoInfo *info);
/* The architecture libosinfo should match the media against: "x86_64", "i686", "aarch64", or NULL
 * when the image does not tell. */
const char *hako_iso_info_guess_arch(const HakoIsoInfo *info);

#define HAKO_TYPE_MEDIA (hako_media_get_type())
G_DECLARE_FINAL_TYPE(HakoMedia, hako_media, HAKO, MEDIA, GObject)

/* Reads and identifies the image (blocking: use the async variant from the UI). Fails only when
 * the file is not an ISO 9660 image or cannot be read; a non-bootable ISO is returned and
 * hako_media_check_bootable() says why it cannot be used to install. */
HakoMedia *hako_media_new_for_file(GFile *file, GCancellable *cancellable, GError **error);
void hako_media_new_for_file_async(GFile *file, GCancellable *cancellable,
                                   GAsyncReadyCallback callback, gpointer user_data);
HakoMedia *hako_media_new_for_file_finish(GAsyncResult *result, GError **error);

GFile *hako_media_get_file(HakoMedia *self);
const HakoIsoInfo *hako_media_get_iso_info(HakoMedia *self);
gboolean hako_media_boots_bios(HakoMedia *self);
gboolean hako_media_boots_uefi(HakoMedia *self);
/* FALSE with HAKO_MEDIA_ERROR_NOT_BOOTABLE and the reason when no entry an x86 PC can boot. */
gboolean hako_media_check_bootable(HakoMedia *self, GError **error);
/* A small file on the disc ("/.disk/info", "/README.diskdefines"): its contents, or NULL with
 * G_IO_ERROR_NOT_FOUND (no such file), G_IO_ERROR_NOT_SUPPORTED (larger than max) or another
 * G_IO_ERROR. Blocking: call it where the media was loaded (a worker thread) or for small files. */
GBytes *hako_media_read_file(HakoMedia *self, const char *path, gsize max, GError **error);

/* The identified OS, or NULL. */
OsinfoOs *hako_media_get_os(HakoMedia *self);
/* libosinfo's media entry that matched (live/installer flags), or NULL. */
OsinfoMedia *hako_media_get_osinfo_media(HakoMedia *self);
/* The OS's name, or NULL when not identified. */
const char *hako_media_get_os_name(HakoMedia *self);
const char *hako_media_get_os_id(HakoMedia *self);
/* Live or installer media (always TRUE for a bootable unidentified ISO: install media is what
 * people boot VMs from). */
gboolean hako_media_is_live_or_installer(HakoMedia *self);
/* A name for a VM from this media: the OS name, or the file name without its extension. */
char *hako_media_dup_suggested_name(HakoMedia *self);

/* The libosinfo database: the system's plus Hako's overlay. Loaded once, thread-safe. */
OsinfoDb *hako_osinfo_db(void);
/* Where the overlay was loaded from (NULL if none was found). */
const char *hako_osinfo_overlay_dir(void);

G_END_DECLS
