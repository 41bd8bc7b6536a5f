/*
 * HakoMedia: ISO 9660 + El Torito reader and libosinfo identification (see hako-media.h).
 *
 * Every offset and length read from the image is checked against the file size before use; a
 * damaged, truncated or hostile image yields a HAKO_MEDIA_ERROR, never a crash.
 */
#include "hako-media.h"

#include <glib/gi18n.h>
#include <string.h>

#include "hako-format.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif

#define SECTOR      2048u
#define PVD_SECTOR  16u
#define MAX_VDS     64u /* volume descriptors scanned before giving up on a terminator */
#define CAT_SECTORS 4u  /* boot catalog bytes read: 4 sectors = 256 entries */
#define FAT_MAX_DIR (64u * 1024u)

G_DEFINE_QUARK(hako - media - error - quark, hako_media_error)

static guint16 le16(const guint8 *p)
{
    return (guint16)(p[0] | (p[1] << 8));
}

static guint32 le32(const guint8 *p)
{
    return (guint32)p[0] | ((guint32)p[1] << 8) | ((guint32)p[2] << 16) | ((guint32)p[3] << 24);
}

/* Copies an ISO 9660 a-/d-character field: trailing blanks and NULs trimmed, anything that is not
 * printable ASCII replaced by '?' (the result is always valid UTF-8). */
static void copy_field(char *dst, const guint8 *src, gsize len)
{
    gsize n = len;
    while (n > 0 && (src[n - 1] == ' ' || src[n - 1] == 0))
        n--;
    for (gsize i = 0; i < n; i++)
        dst[i] = (src[i] >= 0x20 && src[i] < 0x7F) ? (char)src[i] : '?';
    dst[n] = 0;
}

static gboolean read_at(HakoIsoReadFunc read, gpointer ud, guint64 size, guint64 off, void *buf,
                        gsize len, GError **error)
{
    if (off > size || len > size - off) {
        g_set_error(error, HAKO_MEDIA_ERROR, HAKO_MEDIA_ERROR_TRUNCATED,
                    _("The image ends before its data does (the file may be an incomplete "
                      "download)."));
        return FALSE;
    }
    return read(ud, off, buf, len, error);
}

/* ---- FAT: which \EFI\BOOT\BOOT*.EFI loaders an EFI boot image holds ---- */

typedef struct {
    HakoIsoReadFunc read;
    gpointer ud;
    guint64 file_size;
    guint64 base;  /* byte offset of the FAT volume in the image */
    guint64 limit; /* bytes of the volume that lie inside the image */
    guint bytes_per_sector;
    guint sectors_per_cluster;
    guint64 fat_offset;  /* bytes from base */
    guint fat_bits;      /* 12, 16, 32 */
    guint64 root_offset; /* FAT12/16 fixed root directory */
    guint32 root_bytes;
    guint32 root_cluster; /* FAT32 */
    guint64 data_offset;
    guint32 cluster_count;
} Fat;

static gboolean fat_read(Fat *f, guint64 off, void *buf, gsize len)
{
    if (off > f->limit || len > f->limit - off)
        return FALSE;
    return read_at(f->read, f->ud, f->file_size, f->base + off, buf, len, NULL);
}

static gboolean fat_next(Fat *f, guint32 cluster, guint32 *next)
{
    guint8 b[4] = {0};
    guint32 v;
    if (f->fat_bits == 12) {
        guint64 off = f->fat_offset + cluster + cluster / 2;
        if (!fat_read(f, off, b, 2))
            return FALSE;
        v = le16(b);
        v = (cluster & 1) ? v >> 4 : v & 0xFFF;
        if (v >= 0xFF8)
            v = 0;
    } else if (f->fat_bits == 16) {
        if (!fat_read(f, f->fat_offset + (guint64)cluster * 2, b, 2))
            return FALSE;
        v = le16(b);
        if (v >= 0xFFF8)
            v = 0;
    } else {
        if (!fat_read(f, f->fat_offset + (guint64)cluster * 4, b, 4))
            return FALSE;
        v = le32(b) & 0x0FFFFFFF;
        if (v >= 0x0FFFFFF8)
            v = 0;
    }
    *next = (v >= 2 && v < f->cluster_count + 2) ? v : 0;
    return TRUE;
}

/* Reads a directory (fixed root when cluster == 0 on FAT12/16) into a buffer of at most
 * FAT_MAX_DIR bytes. */
static guint8 *fat_read_dir(Fat *f, guint32 cluster, gsize *len)
{
    if (cluster == 0 && f->fat_bits != 32) {
        gsize n = MIN(f->root_bytes, FAT_MAX_DIR);
        guint8 *buf = g_malloc(n ? n : 1);
        if (!fat_read(f, f->root_offset, buf, n)) {
            g_free(buf);
            return NULL;
        }
        *len = n;
        return buf;
    }
    if (cluster == 0)
        cluster = f->root_cluster;
    gsize csize = (gsize)f->bytes_per_sector * f->sectors_per_cluster;
    GByteArray *out = g_byte_array_new();
    guint8 *tmp = g_malloc(csize);
    for (guint hops = 0; cluster >= 2 && out->len + csize <= FAT_MAX_DIR && hops < 1024; hops++) {
        guint64 off = f->data_offset + (guint64)(cluster - 2) * csize;
        guint32 next;
        if (!fat_read(f, off, tmp, csize) || !fat_next(f, cluster, &next))
            break;
        g_byte_array_append(out, tmp, (guint)csize);
        cluster = next;
    }
    g_free(tmp);
    *len = out->len;
    return g_byte_array_free(out, FALSE);
}

/* Finds an 8.3 name ("EFI        ") in a directory; returns its first cluster (0 if absent). */
static guint32 fat_find(Fat *f, const guint8 *dir, gsize len, const char *name83, gboolean want_dir)
{
    for (gsize o = 0; o + 32 <= len; o += 32) {
        const guint8 *e = dir + o;
        if (e[0] == 0)
            break;
        if (e[0] == 0xE5 || (e[11] & 0x0F) == 0x0F || (e[11] & 0x08))
            continue;
        if (!!(e[11] & 0x10) != !!want_dir)
            continue;
        if (g_ascii_strncasecmp((const char *)e, name83, 11) != 0)
            continue;
        guint32 c = le16(e + 26);
        if (f->fat_bits == 32)
            c |= (guint32)le16(e + 20) << 16;
        return c ? c : 1; /* 1: present but empty */
    }
    return 0;
}

static void inspect_efi_image(HakoIsoReadFunc read, gpointer ud, guint64 size, HakoBootEntry *e)
{
    Fat f = {.read = read, .ud = ud, .file_size = size};
    f.base = (guint64)e->load_lba * SECTOR;
    if (f.base >= size)
        return;
    guint8 bs[512];
    f.limit = size - f.base;
    if (!fat_read(&f, 0, bs, sizeof(bs)))
        return;
    if (bs[510] != 0x55 || bs[511] != 0xAA)
        return;
    guint bps = le16(bs + 11), spc = bs[13], reserved = le16(bs + 14), nfats = bs[16];
    guint root_ents = le16(bs + 17);
    guint64 total = le16(bs + 19) ? le16(bs + 19) : le32(bs + 32);
    guint64 fatsz = le16(bs + 22) ? le16(bs + 22) : le32(bs + 36);
    if ((bps != 512 && bps != 1024 && bps != 2048 && bps != 4096) || spc == 0 ||
        (spc & (spc - 1)) || reserved == 0 || nfats == 0 || nfats > 4 || fatsz == 0 || total == 0)
        return;
    guint64 root_sectors = ((guint64)root_ents * 32 + bps - 1) / bps;
    guint64 first_data = reserved + nfats * fatsz + root_sectors;
    if (first_data >= total)
        return;
    guint64 clusters = (total - first_data) / spc;
    f.bytes_per_sector = bps;
    f.sectors_per_cluster = spc;
    f.fat_bits = clusters < 4085 ? 12 : clusters < 65525 ? 16 : 32;
    f.cluster_count = (guint32)MIN(clusters, 0x0FFFFFF0u);
    f.fat_offset = (guint64)reserved * bps;
    f.root_offset = (guint64)(reserved + nfats * fatsz) * bps;
    f.root_bytes = (guint32)MIN((guint64)root_ents * 32, (guint64)FAT_MAX_DIR);
    f.root_cluster = f.fat_bits == 32 ? le32(bs + 44) : 0;
    f.data_offset = first_data * bps;
    f.limit = MIN(f.limit, total * bps);
    e->efi_image_bytes = total * bps;

    gsize len;
    g_autofree guint8 *root = fat_read_dir(&f, 0, &len);
    if (!root)
        return;
    e->efi_image_read = TRUE; /* a readable FAT volume: from here on, what is missing is missing */
    guint32 c = fat_find(&f, root, len, "EFI        ", TRUE);
    if (c < 2)
        return;
    g_autofree guint8 *efi = fat_read_dir(&f, c, &len);
    if (!efi)
        return;
    c = fat_find(&f, efi, len, "BOOT       ", TRUE);
    if (c < 2)
        return;
    g_autofree guint8 *boot = fat_read_dir(&f, c, &len);
    if (!boot)
        return;
    static const struct {
        const char *name;
        guint arch;
    } loaders[] = {
        {"BOOTX64 EFI", HAKO_EFI_ARCH_X64},
        {"BOOTIA32EFI", HAKO_EFI_ARCH_IA32},
        {"BOOTAA64EFI", HAKO_EFI_ARCH_AA64},
        {"BOOTARM EFI", HAKO_EFI_ARCH_ARM},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(loaders); i++)
        if (fat_find(&f, boot, len, loaders[i].name, FALSE))
            e->efi_arches |= loaders[i].arch;
    /* Anything else named BOOT*.EFI (RISC-V, LoongArch: long names with 8.3 aliases) */
    for (gsize o = 0; o + 32 <= len; o += 32) {
        const guint8 *d = boot + o;
        if (d[0] == 0)
            break;
        if (d[0] == 0xE5 || (d[11] & 0x0F) == 0x0F || (d[11] & 0x18))
            continue;
        if (g_ascii_strncasecmp((const char *)d, "BOOT", 4) == 0 &&
            g_ascii_strncasecmp((const char *)d + 8, "EFI", 3) == 0) {
            gboolean known = FALSE;
            for (gsize i = 0; i < G_N_ELEMENTS(loaders); i++)
                known |= g_ascii_strncasecmp((const char *)d, loaders[i].name, 11) == 0;
            if (!known)
                e->efi_arches |= HAKO_EFI_ARCH_OTHER;
        }
    }
}

/* ---- ISO 9660 + El Torito ---- */

static void add_entry(HakoIsoInfo *info, guint8 platform, const guint8 *p)
{
    if (info->n_entries >= HAKO_ISO_MAX_BOOT_ENTRIES)
        return;
    HakoBootEntry *e = &info->entries[info->n_entries++];
    memset(e, 0, sizeof(*e));
    e->platform = platform;
    e->bootable = p[0] == 0x88;
    e->media_type = p[1] & 0x0F;
    e->load_segment = le16(p + 2);
    e->sector_count = le16(p + 6);
    e->load_lba = le32(p + 8);
}

static gboolean parse_catalog(HakoIsoReadFunc read, gpointer ud, guint64 size, HakoIsoInfo *info,
                              GError **error)
{
    guint64 off = (guint64)info->catalog_lba * SECTOR;
    if (off >= size || size - off < 64) {
        g_set_error(error, HAKO_MEDIA_ERROR, HAKO_MEDIA_ERROR_TRUNCATED,
                    _("The boot catalog lies beyond the end of the file (the file may be an "
                      "incomplete download)."));
        return FALSE;
    }
    gsize len = (gsize)MIN((guint64)CAT_SECTORS * SECTOR, size - off);
    len -= len % 32;
    g_autofree guint8 *cat = g_malloc(len);
    if (!read_at(read, ud, size, off, cat, len, error))
        return FALSE;

    /* Validation entry: header 01, key bytes 55 AA, 16-bit words summing to zero. */
    guint16 sum = 0;
    for (int i = 0; i < 32; i += 2)
        sum = (guint16)(sum + le16(cat + i));
    if (cat[0] != 0x01 || cat[30] != 0x55 || cat[31] != 0xAA || sum != 0) {
        g_set_error(error, HAKO_MEDIA_ERROR, HAKO_MEDIA_ERROR_BAD_CATALOG,
                    _("The image’s boot catalog is damaged (its validation entry does not check "
                      "out)."));
        return FALSE;
    }
    /* Initial/default entry: the platform is the validation entry's. */
    add_entry(info, cat[1], cat + 32);

    /* Section headers (0x90 more follow, 0x91 last), each followed by its section entries;
     * a section entry with bit 5 of byte 1 set is followed by extension entries (0x44). */
    gsize o = 64;
    while (o + 32 <= len) {
        const guint8 *h = cat + o;
        if (h[0] != 0x90 && h[0] != 0x91)
            break;
        guint8 platform = h[1];
        guint n = le16(h + 2);
        o += 32;
        for (guint i = 0; i < n && o + 32 <= len; i++) {
            const guint8 *s = cat + o;
            gboolean ext = (s[1] & 0x20) != 0;
            add_entry(info, platform, s);
            o += 32;
            while (ext && o + 32 <= len && cat[o] == 0x44) {
                ext = (cat[o + 1] & 0x20) != 0;
                o += 32;
            }
        }
        if (h[0] == 0x91)
            break;
    }
    for (guint i = 0; i < info->n_entries; i++)
        if (info->entries[i].platform == HAKO_ELTORITO_EFI && info->entries[i].bootable)
            inspect_efi_image(read, ud, size, &info->entries[i]);
    return TRUE;
}

static gboolean looks_like_disk_image(HakoIsoReadFunc read, gpointer ud, guint64 size)
{
    guint8 mbr[512];
    if (size < 1024 || !read(ud, 0, mbr, sizeof(mbr), NULL))
        return FALSE;
    if (mbr[510] != 0x55 || mbr[511] != 0xAA)
        return FALSE;
    guint8 gpt[8];
    if (read(ud, 512, gpt, sizeof(gpt), NULL) && memcmp(gpt, "EFI PART", 8) == 0)
        return TRUE;
    /* an MBR with at least one partition of non-zero type */
    for (int i = 0; i < 4; i++)
        if (mbr[446 + i * 16 + 4] != 0)
            return TRUE;
    return FALSE;
}

gboolean hako_iso_parse(HakoIsoReadFunc read, gpointer ud, guint64 size, HakoIsoInfo *info,
                        GError **error)
{
    memset(info, 0, sizeof(*info));
    info->file_bytes = size;
    if (size < (guint64)(PVD_SECTOR + 2) * SECTOR) {
        g_autofree char *sz = hako_format_size(size, G_FORMAT_SIZE_LONG_FORMAT);
        g_set_error(error, HAKO_MEDIA_ERROR, HAKO_MEDIA_ERROR_TOO_SMALL,
                    _("The file is too small to be a CD or DVD image (%s). If it was downloaded, "
                      "the download may be incomplete."),
                    sz);
        return FALSE;
    }

    guint8 vd[SECTOR];
    gboolean have_pvd = FALSE, terminated = FALSE;
    guint32 catalog = 0;
    for (guint s = PVD_SECTOR; s < PVD_SECTOR + MAX_VDS && !terminated; s++) {
        guint64 off = (guint64)s * SECTOR;
        if (off + SECTOR > size)
            break;
        if (!read(ud, off, vd, SECTOR, error))
            return FALSE;
        if (memcmp(vd + 1, "CD001", 5) != 0 || vd[6] != 1)
            break;
        switch (vd[0]) {
        case 0: /* boot record */
            if (!catalog && memcmp(vd + 7, "EL TORITO SPECIFICATION", 23) == 0) {
                catalog = le32(vd + 0x47);
                info->el_torito = TRUE;
            }
            break;
        case 1: /* primary volume descriptor */
            if (!have_pvd) {
                have_pvd = TRUE;
                copy_field(info->system_id, vd + 8, 32);
                copy_field(info->volume_id, vd + 40, 32);
                copy_field(info->publisher_id, vd + 318, 128);
                copy_field(info->application_id, vd + 574, 128);
                guint32 blocks = le32(vd + 80);
                guint16 bsize = le16(vd + 128);
                info->volume_bytes = (guint64)blocks * (bsize ? bsize : SECTOR);
            }
            break;
        case 255: terminated = TRUE; break;
        default: /* supplementary (Joliet), partition: not needed */ break;
        }
    }
    if (!have_pvd) {
        if (looks_like_disk_image(read, ud, size))
            g_set_error(error, HAKO_MEDIA_ERROR, HAKO_MEDIA_ERROR_DISK_IMAGE,
                        _("This is a hard disk image, not a CD or DVD image."));
        else
            g_set_error(error, HAKO_MEDIA_ERROR, HAKO_MEDIA_ERROR_NOT_ISO,
                        _("This is not a CD or DVD image (no ISO 9660 volume descriptor)."));
        return FALSE;
    }
    if (info->volume_bytes > size) {
        g_autofree char *want = hako_format_size(info->volume_bytes, G_FORMAT_SIZE_IEC_UNITS);
        g_autofree char *have = hako_format_size(size, G_FORMAT_SIZE_IEC_UNITS);
        g_set_error(error, HAKO_MEDIA_ERROR, HAKO_MEDIA_ERROR_TRUNCATED,
                    _("The image is incomplete: its volume is %s but the file holds only %s. The "
                      "download may have been interrupted."),
                    want, have);
        return FALSE;
    }
    if (info->el_torito) {
        info->catalog_lba = catalog;
        if (!parse_catalog(read, ud, size, info, error))
            return FALSE;
    }
    return TRUE;
}

typedef struct {
    const guint8 *data;
    gsize size;
} Buf;

static gboolean buf_read(gpointer ud, guint64 off, void *out, gsize len, GError **error)
{
    Buf *b = ud;
    if (off > b->size || len > b->size - off) {
        g_set_error(error, HAKO_MEDIA_ERROR, HAKO_MEDIA_ERROR_TRUNCATED, "read past the end");
        return FALSE;
    }
    memcpy(out, b->data + off, len);
    return TRUE;
}

gboolean hako_iso_parse_buffer(const guint8 *data, gsize size, HakoIsoInfo *info, GError **error)
{
    Buf b = {data, size};
    return hako_iso_parse(buf_read, &b, size, info, error);
}

gboolean hako_iso_info_boots_bios(const HakoIsoInfo *info)
{
    for (guint i = 0; i < info->n_entries; i++)
        if (info->entries[i].platform == HAKO_ELTORITO_X86 && info->entries[i].bootable)
            return TRUE;
    return FALSE;
}

gboolean hako_iso_info_boots_uefi(const HakoIsoInfo *info)
{
    for (guint i = 0; i < info->n_entries; i++) {
        const HakoBootEntry *e = &info->entries[i];
        if (e->platform != HAKO_ELTORITO_EFI || !e->bootable)
            continue;
        if (!e->efi_image_read || (e->efi_arches & HAKO_EFI_ARCH_X64))
            return TRUE;
    }
    return FALSE;
}

const char *hako_iso_info_guess_arch(const HakoIsoInfo *info)
{
    guint arches = 0;
    for (guint i = 0; i < info->n_entries; i++)
        if (info->entries[i].platform == HAKO_ELTORITO_EFI)
            arches |= info->entries[i].efi_arches;
    if (arches & HAKO_EFI_ARCH_X64)
        return "x86_64";
    if (arches & HAKO_EFI_ARCH_AA64)
        return "aarch64";
    if (arches & HAKO_EFI_ARCH_IA32)
        return "i686";
    return NULL;
}

/* ---- libosinfo ---- */

static OsinfoDb *osinfo_db_singleton;
static char *overlay_dir;

static char *find_overlay_dir(void)
{
    const char *env = g_getenv("HAKO_OSINFO_DIR");
    if (env && *env)
        return g_strdup(env);
    const char *candidates[] = {
#ifdef HAKO_PKGDATADIR
        HAKO_PKGDATADIR "/osinfo",
#endif
#ifdef HAKO_SOURCE_DATADIR
        HAKO_SOURCE_DATADIR "/osinfo",
#endif
        NULL,
    };
    for (gsize i = 0; candidates[i]; i++)
        if (g_file_test(candidates[i], G_FILE_TEST_IS_DIR))
            return g_strdup(candidates[i]);
    return NULL;
}

OsinfoDb *hako_osinfo_db(void)
{
    static gsize once;
    if (g_once_init_enter(&once)) {
#if defined(__SANITIZE_ADDRESS__)
        /* libosinfo's loader leaks a few small blocks per load (Debian 12's 1.10): not ours to
         * report; the database itself lives as long as the process */
        __lsan_disable();
#endif
        g_autoptr(OsinfoLoader) loader = osinfo_loader_new();
        g_autoptr(GError) err = NULL;
        osinfo_loader_process_default_path(loader, &err);
        if (err)
            g_warning("libosinfo database: %s", err->message);
        overlay_dir = find_overlay_dir();
        if (overlay_dir) {
            g_autoptr(GError) err2 = NULL;
            osinfo_loader_process_path(loader, overlay_dir, &err2);
            if (err2)
                g_warning("libosinfo overlay %s: %s", overlay_dir, err2->message);
        }
        osinfo_db_singleton = g_object_ref(osinfo_loader_get_db(loader));
#if defined(__SANITIZE_ADDRESS__)
        __lsan_enable();
#endif
        g_once_init_leave(&once, 1);
    }
    return osinfo_db_singleton;
}

const char *hako_osinfo_overlay_dir(void)
{
    hako_osinfo_db();
    return overlay_dir;
}

/* ---- HakoMedia ---- */

struct _HakoMedia {
    GObject parent_instance;
    GFile *file;
    HakoIsoInfo info;
    OsinfoMedia *osinfo_media; /* the matched entry from the database */
    OsinfoOs *os;
    char *disk_info; /* .disk/info, when the disc has one */
};

G_DEFINE_FINAL_TYPE(HakoMedia, hako_media, G_TYPE_OBJECT)

static void hako_media_finalize(GObject *object)
{
    HakoMedia *self = HAKO_MEDIA(object);
    g_clear_object(&self->file);
    g_clear_object(&self->osinfo_media);
    g_clear_object(&self->os);
    g_free(self->disk_info);
    G_OBJECT_CLASS(hako_media_parent_class)->finalize(object);
}

static void hako_media_class_init(HakoMediaClass *klass)
{
    G_OBJECT_CLASS(klass)->finalize = hako_media_finalize;
}

static void hako_media_init(HakoMedia *self)
{
    (void)self;
}

typedef struct {
    GInputStream *in;
    GCancellable *cancellable;
} StreamRead;

static gboolean stream_read(gpointer ud, guint64 off, void *buf, gsize len, GError **error)
{
    StreamRead *s = ud;
    gsize got = 0;
    if (!g_seekable_seek(G_SEEKABLE(s->in), (goffset)off, G_SEEK_SET, s->cancellable, error))
        return FALSE;
    if (!g_input_stream_read_all(s->in, buf, len, &got, s->cancellable, error))
        return FALSE;
    if (got != len) {
        g_set_error(error, HAKO_MEDIA_ERROR, HAKO_MEDIA_ERROR_TRUNCATED,
                    _("The file ended early while reading it."));
        return FALSE;
    }
    return TRUE;
}

static void identify(HakoMedia *self)
{
    OsinfoDb *db = hako_osinfo_db();
    const char *guess = hako_iso_info_guess_arch(&self->info);
    const char *arches[3] = {guess, NULL, NULL};
    if (!guess) {
        arches[0] = "x86_64";
        arches[1] = "i686";
    }
    g_autofree char *uri = g_file_get_uri(self->file);
    for (gsize i = 0; arches[i]; i++) {
        g_autoptr(OsinfoMedia) m = osinfo_media_new(uri, arches[i]);
        OsinfoEntity *e = OSINFO_ENTITY(m);
        const HakoIsoInfo *in = &self->info;
        if (in->volume_id[0])
            osinfo_entity_set_param(e, OSINFO_MEDIA_PROP_VOLUME_ID, in->volume_id);
        if (in->system_id[0])
            osinfo_entity_set_param(e, OSINFO_MEDIA_PROP_SYSTEM_ID, in->system_id);
        if (in->publisher_id[0])
            osinfo_entity_set_param(e, OSINFO_MEDIA_PROP_PUBLISHER_ID, in->publisher_id);
        if (in->application_id[0])
            osinfo_entity_set_param(e, OSINFO_MEDIA_PROP_APPLICATION_ID, in->application_id);
        osinfo_entity_set_param_int64(e, OSINFO_MEDIA_PROP_VOLUME_SIZE, (gint64)in->volume_bytes);
        osinfo_entity_set_param_boolean(e, OSINFO_MEDIA_PROP_BOOTABLE, in->el_torito);
        if (osinfo_db_identify_media(db, m)) {
            OsinfoOs *os = osinfo_media_get_os(m);
            if (os) {
                self->os = g_object_ref(os);
                self->osinfo_media = g_object_ref(m);
                return;
            }
        }
    }
}

HakoMedia *hako_media_new_for_file(GFile *file, GCancellable *cancellable, GError **error)
{
    g_return_val_if_fail(G_IS_FILE(file), NULL);
    g_autoptr(GError) err = NULL;
    g_autoptr(GFileInputStream) in = g_file_read(file, cancellable, &err);
    if (!in) {
        g_autofree char *name = g_file_get_parse_name(file);
        if (g_error_matches(err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
            g_set_error(error, HAKO_MEDIA_ERROR, HAKO_MEDIA_ERROR_UNREADABLE,
                        _("“%s” does not exist."), name);
        else if (g_error_matches(err, G_IO_ERROR, G_IO_ERROR_IS_DIRECTORY))
            g_set_error(error, HAKO_MEDIA_ERROR, HAKO_MEDIA_ERROR_UNREADABLE,
                        _("“%s” is a folder, not a disc image."), name);
        else if (g_error_matches(err, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED))
            g_set_error(error, HAKO_MEDIA_ERROR, HAKO_MEDIA_ERROR_UNREADABLE,
                        _("You may not read “%s”."), name);
        else
            g_set_error(error, HAKO_MEDIA_ERROR, HAKO_MEDIA_ERROR_UNREADABLE,
                        _("Cannot open “%s”: %s"), name, err->message);
        return NULL;
    }
    g_autoptr(GFileInfo) fi =
        g_file_input_stream_query_info(in, G_FILE_ATTRIBUTE_STANDARD_SIZE, cancellable, &err);
    if (!fi) {
        g_autofree char *name = g_file_get_parse_name(file);
        g_set_error(error, HAKO_MEDIA_ERROR, HAKO_MEDIA_ERROR_UNREADABLE, _("Cannot read “%s”: %s"),
                    name, err->message);
        return NULL;
    }
    goffset size = g_file_info_get_size(fi);
    StreamRead sr = {G_INPUT_STREAM(in), cancellable};
    g_autoptr(HakoMedia) self = g_object_new(HAKO_TYPE_MEDIA, NULL);
    self->file = g_object_ref(file);
    if (!hako_iso_parse(stream_read, &sr, size > 0 ? (guint64)size : 0, &self->info, &err)) {
        if (err->domain != HAKO_MEDIA_ERROR) {
            g_autofree char *name = g_file_get_parse_name(file);
            g_set_error(error, HAKO_MEDIA_ERROR, HAKO_MEDIA_ERROR_UNREADABLE,
                        _("Cannot read “%s”: %s"), name, err->message);
        } else {
            g_propagate_error(error, g_steal_pointer(&err));
        }
        return NULL;
    }
    identify(self);
    return g_steal_pointer(&self);
}

static void load_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
    (void)source;
    GError *error = NULL;
    HakoMedia *m = hako_media_new_for_file(G_FILE(data), cancellable, &error);
    if (m)
        g_task_return_pointer(task, m, g_object_unref);
    else
        g_task_return_error(task, error);
}

void hako_media_new_for_file_async(GFile *file, GCancellable *cancellable,
                                   GAsyncReadyCallback callback, gpointer user_data)
{
    g_autoptr(GTask) task = g_task_new(NULL, cancellable, callback, user_data);
    g_task_set_source_tag(task, hako_media_new_for_file_async);
    g_task_set_task_data(task, g_object_ref(file), g_object_unref);
    g_task_run_in_thread(task, load_thread);
}

HakoMedia *hako_media_new_for_file_finish(GAsyncResult *result, GError **error)
{
    return g_task_propagate_pointer(G_TASK(result), error);
}

GFile *hako_media_get_file(HakoMedia *self)
{
    return self->file;
}

const HakoIsoInfo *hako_media_get_iso_info(HakoMedia *self)
{
    return &self->info;
}

gboolean hako_media_boots_bios(HakoMedia *self)
{
    return hako_iso_info_boots_bios(&self->info);
}

gboolean hako_media_boots_uefi(HakoMedia *self)
{
    return hako_iso_info_boots_uefi(&self->info);
}

gboolean hako_media_check_bootable(HakoMedia *self, GError **error)
{
    const HakoIsoInfo *in = &self->info;
    if (!in->el_torito) {
        g_set_error(error, HAKO_MEDIA_ERROR, HAKO_MEDIA_ERROR_NOT_BOOTABLE,
                    _("This disc image is not bootable: it has no El Torito boot record. It can "
                      "be attached to a virtual machine as a data CD, but it cannot install or "
                      "start an operating system."));
        return FALSE;
    }
    if (hako_iso_info_boots_bios(in) || hako_iso_info_boots_uefi(in))
        return TRUE;
    guint arches = 0;
    gboolean efi = FALSE;
    for (guint i = 0; i < in->n_entries; i++)
        if (in->entries[i].platform == HAKO_ELTORITO_EFI && in->entries[i].bootable) {
            efi = TRUE;
            arches |= in->entries[i].efi_arches;
        }
    if (efi && (arches & HAKO_EFI_ARCH_IA32))
        g_set_error(error, HAKO_MEDIA_ERROR, HAKO_MEDIA_ERROR_NOT_BOOTABLE,
                    _("This image boots only 32-bit UEFI computers (BOOTIA32.EFI) and has no "
                      "BIOS boot entry. Hako’s UEFI firmware is 64-bit."));
    else if (efi && (arches & (HAKO_EFI_ARCH_AA64 | HAKO_EFI_ARCH_ARM)))
        g_set_error(error, HAKO_MEDIA_ERROR, HAKO_MEDIA_ERROR_NOT_BOOTABLE,
                    _("This image is for ARM computers; Hako runs x86-64 virtual machines."));
    else
        g_set_error(error, HAKO_MEDIA_ERROR, HAKO_MEDIA_ERROR_NOT_BOOTABLE,
                    _("This image has no boot entry a PC can use (neither x86 BIOS nor x86-64 "
                      "UEFI)."));
    return FALSE;
}

OsinfoOs *hako_media_get_os(HakoMedia *self)
{
    return self->os;
}

OsinfoMedia *hako_media_get_osinfo_media(HakoMedia *self)
{
    return self->osinfo_media;
}

const char *hako_media_get_os_name(HakoMedia *self)
{
    return self->os ? osinfo_product_get_name(OSINFO_PRODUCT(self->os)) : NULL;
}

const char *hako_media_get_os_id(HakoMedia *self)
{
    return self->os ? osinfo_entity_get_id(OSINFO_ENTITY(self->os)) : NULL;
}

gboolean hako_media_is_live_or_installer(HakoMedia *self)
{
    if (!self->osinfo_media)
        return self->info.el_torito;
    return osinfo_media_get_live(self->osinfo_media) ||
           osinfo_media_get_installer(self->osinfo_media);
}

char *hako_disc_name(const char *disk_info, const char *volume_id)
{
    if (disk_info && *disk_info) {
        /* the first line, up to the codename ("Debian GNU/Linux 12.5.0 \"Bookworm\" - ...") */
        g_autofree char *line = g_strndup(disk_info, strcspn(disk_info, "\r\n"));
        char *cut = strstr(line, " \"");
        if (cut)
            *cut = 0;
        cut = strstr(line, " - ");
        if (cut)
            *cut = 0;
        g_strstrip(line);
        if (*line && g_utf8_validate(line, -1, NULL) && g_utf8_strlen(line, -1) <= 80)
            return g_steal_pointer(&line);
    }
    /* what mastering tools write when nobody gave a name */
    static const char *const generic[] = {"ISOIMAGE",   "CDROM",      "CD_ROM",   "CDROM_DISC",
                                          "NEW VOLUME", "NEW_VOLUME", "UNTITLED", "VOLUME",
                                          "DISK",       "BOOT",       "LINUX",    "CD"};
    g_autofree char *vol = g_strstrip(g_strdup(volume_id ? volume_id : ""));
    if (!*vol)
        return NULL;
    for (gsize i = 0; i < G_N_ELEMENTS(generic); i++)
        if (g_ascii_strcasecmp(vol, generic[i]) == 0)
            return NULL;
    g_strdelimit(vol, "_", ' ');
    return g_steal_pointer(&vol);
}

const char *hako_media_get_disk_info(HakoMedia *self)
{
    return self->disk_info;
}

char *hako_media_dup_suggested_name(HakoMedia *self)
{
    const char *os = hako_media_get_os_name(self);
    if (os && *os)
        return g_strdup(os);
    char *disc = hako_disc_name(self->disk_info, self->info.volume_id);
    if (disc)
        return disc;
    g_autofree char *base = g_file_get_basename(self->file);
    if (!base)
        return g_strdup(_("New Virtual Machine"));
    char *dot = strrchr(base, '.');
    if (dot && dot != base)
        *dot = 0;
    g_autofree char *utf8 = g_filename_display_name(base);
    return g_strdup(utf8);
}
