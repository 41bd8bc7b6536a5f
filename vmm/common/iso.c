/*
 * ISO 9660 + El Torito + the FAT inside EFI boot images (hako/iso.h).
 */
#include "hako/iso.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hako/bytes.h"
#include "hako/diskimage.h"

#define SECTOR      HK_ISO_SECTOR
#define PVD_SECTOR  16u
#define MAX_VDS     64u /* volume descriptors scanned before giving up on a terminator */
#define CAT_SECTORS 4u  /* boot catalog bytes read: 4 sectors = 256 entries */
#define FAT_MAX_DIR (64u * 1024u)
#define ISO_MAX_DIR (1024u * 1024u) /* a directory larger than this is not searched */

#define MIN(a, b) ((a) < (b) ? (a) : (b))

/* Reads inside the image only. 0, or an errno (EIO for a range beyond its end). */
static int read_at(const struct hk_iso_source *src, uint64_t off, void *buf, size_t len)
{
    if (off > src->size || len > src->size - off)
        return EIO;
    return len ? src->read(src->opaque, off, buf, len) : 0;
}

/* Copies an ISO 9660 a-/d-character field: trailing blanks and NULs trimmed, anything that is not
 * printable ASCII replaced by '?' (the result is always valid UTF-8). */
static void copy_field(char *dst, const uint8_t *src, size_t len)
{
    size_t n = len;
    while (n > 0 && (src[n - 1] == ' ' || src[n - 1] == 0))
        n--;
    for (size_t i = 0; i < n; i++)
        dst[i] = (src[i] >= 0x20 && src[i] < 0x7F) ? (char)src[i] : '?';
    dst[n] = 0;
}

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static bool same_ignoring_case(const char *a, size_t alen, const char *b, size_t blen)
{
    if (alen != blen)
        return false;
    for (size_t i = 0; i < alen; i++)
        if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
            return false;
    return true;
}

/* ---- FAT: which \EFI\BOOT\BOOT*.EFI loaders an EFI boot image holds ---- */

struct fat {
    const struct hk_iso_source *src;
    uint64_t base;  /* byte offset of the FAT volume in the image */
    uint64_t limit; /* bytes of the volume that lie inside the image */
    unsigned bytes_per_sector;
    unsigned sectors_per_cluster;
    uint64_t fat_offset;  /* bytes from base */
    unsigned fat_bits;    /* 12, 16, 32 */
    uint64_t root_offset; /* FAT12/16 fixed root directory */
    uint32_t root_bytes;
    uint32_t root_cluster; /* FAT32 */
    uint64_t data_offset;
    uint32_t cluster_count;
};

static bool fat_read(struct fat *f, uint64_t off, void *buf, size_t len)
{
    if (off > f->limit || len > f->limit - off)
        return false;
    return read_at(f->src, f->base + off, buf, len) == 0;
}

static bool fat_next(struct fat *f, uint32_t cluster, uint32_t *next)
{
    uint8_t b[4] = {0};
    uint32_t v;
    if (f->fat_bits == 12) {
        uint64_t off = f->fat_offset + cluster + cluster / 2;
        if (!fat_read(f, off, b, 2))
            return false;
        v = hk_le16(b);
        v = (cluster & 1) ? v >> 4 : v & 0xFFF;
        if (v >= 0xFF8)
            v = 0;
    } else if (f->fat_bits == 16) {
        if (!fat_read(f, f->fat_offset + (uint64_t)cluster * 2, b, 2))
            return false;
        v = hk_le16(b);
        if (v >= 0xFFF8)
            v = 0;
    } else {
        if (!fat_read(f, f->fat_offset + (uint64_t)cluster * 4, b, 4))
            return false;
        v = hk_le32(b) & 0x0FFFFFFF;
        if (v >= 0x0FFFFFF8)
            v = 0;
    }
    *next = (v >= 2 && v < f->cluster_count + 2) ? v : 0;
    return true;
}

/* Reads a directory (fixed root when cluster == 0 on FAT12/16) into a buffer of at most
 * FAT_MAX_DIR bytes (free() it). NULL when it cannot be read. */
static uint8_t *fat_read_dir(struct fat *f, uint32_t cluster, size_t *len)
{
    if (cluster == 0 && f->fat_bits != 32) {
        size_t n = MIN(f->root_bytes, FAT_MAX_DIR);
        uint8_t *buf = malloc(n ? n : 1);
        if (!buf || !fat_read(f, f->root_offset, buf, n)) {
            free(buf);
            return NULL;
        }
        *len = n;
        return buf;
    }
    if (cluster == 0)
        cluster = f->root_cluster;
    size_t csize = (size_t)f->bytes_per_sector * f->sectors_per_cluster;
    if (csize > FAT_MAX_DIR)
        return NULL;
    uint8_t *out = malloc(FAT_MAX_DIR);
    if (!out)
        return NULL;
    size_t n = 0;
    for (unsigned hops = 0; cluster >= 2 && n + csize <= FAT_MAX_DIR && hops < 1024; hops++) {
        uint64_t off = f->data_offset + (uint64_t)(cluster - 2) * csize;
        uint32_t next;
        if (!fat_read(f, off, out + n, csize) || !fat_next(f, cluster, &next))
            break;
        n += csize;
        cluster = next;
    }
    *len = n;
    return out;
}

/* Finds an 8.3 name ("EFI        ") in a directory; returns its first cluster (0 if absent). */
static uint32_t fat_find(struct fat *f, const uint8_t *dir, size_t len, const char *name83,
                         bool want_dir)
{
    for (size_t o = 0; o + 32 <= len; o += 32) {
        const uint8_t *e = dir + o;
        if (e[0] == 0)
            break;
        if (e[0] == 0xE5 || (e[11] & 0x0F) == 0x0F || (e[11] & 0x08))
            continue;
        if (!!(e[11] & 0x10) != want_dir)
            continue;
        if (!same_ignoring_case((const char *)e, 11, name83, 11))
            continue;
        uint32_t c = hk_le16(e + 26);
        if (f->fat_bits == 32)
            c |= (uint32_t)hk_le16(e + 20) << 16;
        return c ? c : 1; /* 1: present but empty */
    }
    return 0;
}

static void inspect_efi_image(const struct hk_iso_source *src, struct hk_iso_boot_entry *e)
{
    struct fat f = {.src = src};
    f.base = (uint64_t)e->load_lba * SECTOR;
    if (f.base >= src->size)
        return;
    uint8_t bs[512];
    f.limit = src->size - f.base;
    if (!fat_read(&f, 0, bs, sizeof(bs)))
        return;
    if (bs[510] != 0x55 || bs[511] != 0xAA)
        return;
    unsigned bps = hk_le16(bs + 11), spc = bs[13], reserved = hk_le16(bs + 14), nfats = bs[16];
    unsigned root_ents = hk_le16(bs + 17);
    uint64_t total = hk_le16(bs + 19) ? hk_le16(bs + 19) : hk_le32(bs + 32);
    uint64_t fatsz = hk_le16(bs + 22) ? hk_le16(bs + 22) : hk_le32(bs + 36);
    if ((bps != 512 && bps != 1024 && bps != 2048 && bps != 4096) || spc == 0 ||
        (spc & (spc - 1)) || reserved == 0 || nfats == 0 || nfats > 4 || fatsz == 0 || total == 0)
        return;
    uint64_t root_sectors = ((uint64_t)root_ents * 32 + bps - 1) / bps;
    uint64_t first_data = reserved + nfats * fatsz + root_sectors;
    if (first_data >= total)
        return;
    uint64_t clusters = (total - first_data) / spc;
    f.bytes_per_sector = bps;
    f.sectors_per_cluster = spc;
    f.fat_bits = clusters < 4085 ? 12 : clusters < 65525 ? 16 : 32;
    f.cluster_count = (uint32_t)MIN(clusters, 0x0FFFFFF0u);
    f.fat_offset = (uint64_t)reserved * bps;
    f.root_offset = (uint64_t)(reserved + nfats * fatsz) * bps;
    f.root_bytes = (uint32_t)MIN((uint64_t)root_ents * 32, (uint64_t)FAT_MAX_DIR);
    f.root_cluster = f.fat_bits == 32 ? hk_le32(bs + 44) : 0;
    f.data_offset = first_data * bps;
    f.limit = MIN(f.limit, total * bps);
    e->efi_image_bytes = total * bps;

    size_t len;
    uint8_t *root = fat_read_dir(&f, 0, &len), *efi = NULL, *boot = NULL;
    if (!root)
        return;
    e->efi_image_read = true; /* a readable FAT volume: from here on, what is missing is missing */
    uint32_t c = fat_find(&f, root, len, "EFI        ", true);
    if (c < 2 || !(efi = fat_read_dir(&f, c, &len)))
        goto out;
    c = fat_find(&f, efi, len, "BOOT       ", true);
    if (c < 2 || !(boot = fat_read_dir(&f, c, &len)))
        goto out;
    static const struct {
        const char *name;
        unsigned arch;
    } loaders[] = {
        {"BOOTX64 EFI", HK_EFI_ARCH_X64},
        {"BOOTIA32EFI", HK_EFI_ARCH_IA32},
        {"BOOTAA64EFI", HK_EFI_ARCH_AA64},
        {"BOOTARM EFI", HK_EFI_ARCH_ARM},
    };
    for (size_t i = 0; i < sizeof(loaders) / sizeof(loaders[0]); i++)
        if (fat_find(&f, boot, len, loaders[i].name, false))
            e->efi_arches |= loaders[i].arch;
    /* Anything else named BOOT*.EFI (RISC-V, LoongArch: long names with 8.3 aliases) */
    for (size_t o = 0; o + 32 <= len; o += 32) {
        const uint8_t *d = boot + o;
        if (d[0] == 0)
            break;
        if (d[0] == 0xE5 || (d[11] & 0x0F) == 0x0F || (d[11] & 0x18))
            continue;
        if (same_ignoring_case((const char *)d, 4, "BOOT", 4) &&
            same_ignoring_case((const char *)d + 8, 3, "EFI", 3)) {
            bool known = false;
            for (size_t i = 0; i < sizeof(loaders) / sizeof(loaders[0]); i++)
                known |= same_ignoring_case((const char *)d, 11, loaders[i].name, 11);
            if (!known)
                e->efi_arches |= HK_EFI_ARCH_OTHER;
        }
    }
out:
    free(root);
    free(efi);
    free(boot);
}

/* ---- El Torito ---- */

/* Bytes a firmware loads for an entry: the virtual disk of a floppy or hard-disk emulation, the
 * sectors it names for no emulation (at least one), for EFI at least the FAT volume. */
static uint64_t image_bytes(const struct hk_iso_boot_entry *e)
{
    uint64_t n;
    switch (e->media_type) {
    case 1: n = 1200 * 1024; break;
    case 2: n = 1440 * 1024; break;
    case 3: n = 2880 * 1024; break;
    default: n = (uint64_t)(e->sector_count ? e->sector_count : 1) * 512; break;
    }
    if (e->efi_image_read && e->efi_image_bytes > n)
        n = e->efi_image_bytes;
    return n;
}

static void add_entry(struct hk_iso_info *info, uint8_t platform, const uint8_t *p)
{
    if (info->n_entries >= HK_ISO_MAX_BOOT_ENTRIES)
        return;
    struct hk_iso_boot_entry *e = &info->entries[info->n_entries++];
    memset(e, 0, sizeof(*e));
    e->platform = platform;
    e->marked_bootable = p[0] == 0x88;
    e->media_type = p[1] & 0x0F;
    e->load_segment = hk_le16(p + 2);
    e->sector_count = hk_le16(p + 6);
    e->load_lba = hk_le32(p + 8);
}

static enum hk_iso_status parse_catalog(const struct hk_iso_source *src, struct hk_iso_info *info,
                                        int *error)
{
    uint64_t off = (uint64_t)info->catalog_lba * SECTOR;
    if (off >= src->size || src->size - off < 64)
        return HK_ISO_CATALOG_TRUNCATED;
    size_t len = (size_t)MIN((uint64_t)CAT_SECTORS * SECTOR, src->size - off);
    len -= len % 32;
    uint8_t cat[CAT_SECTORS * SECTOR];
    int err = read_at(src, off, cat, len);
    if (err) {
        *error = err;
        return HK_ISO_READ_ERROR;
    }
    /* Validation entry: header 01, key bytes 55 AA, 16-bit words summing to zero. */
    uint16_t sum = 0;
    for (int i = 0; i < 32; i += 2)
        sum = (uint16_t)(sum + hk_le16(cat + i));
    if (cat[0] != 0x01 || cat[30] != 0x55 || cat[31] != 0xAA || sum != 0)
        return HK_ISO_BAD_CATALOG;
    info->catalog_valid = true;
    /* Initial/default entry: the platform is the validation entry's. */
    add_entry(info, cat[1], cat + 32);

    /* Section headers (0x90 more follow, 0x91 last), each followed by its section entries;
     * a section entry with bit 5 of byte 1 set is followed by extension entries (0x44). */
    size_t o = 64;
    while (o + 32 <= len) {
        const uint8_t *h = cat + o;
        if (h[0] != 0x90 && h[0] != 0x91)
            break;
        uint8_t platform = h[1];
        unsigned n = hk_le16(h + 2);
        o += 32;
        for (unsigned i = 0; i < n && o + 32 <= len; i++) {
            const uint8_t *s = cat + o;
            bool ext = (s[1] & 0x20) != 0;
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
    for (unsigned i = 0; i < info->n_entries; i++) {
        struct hk_iso_boot_entry *e = &info->entries[i];
        if (e->platform == HK_ELTORITO_EFI && e->marked_bootable)
            inspect_efi_image(src, e);
        uint64_t start = (uint64_t)e->load_lba * SECTOR, n = image_bytes(e);
        e->beyond_end = start >= src->size || n > src->size - start;
        e->bootable = e->marked_bootable && !e->beyond_end;
    }
    return HK_ISO_OK;
}

/* hk_disk_read_fn over the source: what can be read, short at its end */
static long disk_read(void *ctx, uint64_t off, void *buf, size_t len)
{
    const struct hk_iso_source *src = ctx;
    if (off >= src->size)
        return 0;
    if (len > src->size - off)
        len = (size_t)(src->size - off);
    return read_at(src, off, buf, len) ? -1 : (long)len;
}

/* A hard disk's image (a container format, or partitions): hako/diskimage.h decides, as it does
 * for the wizard's disk images and the engine's --disk. */
static bool looks_like_disk_image(const struct hk_iso_source *src)
{
    struct hk_disk_image_info info;
    return hk_disk_image_sniff(disk_read, (void *)src, src->size, &info) == 0 &&
           hk_disk_image_is_disk(&info);
}

enum hk_iso_status hk_iso_parse(const struct hk_iso_source *src, struct hk_iso_info *info,
                                int *error)
{
    int dummy;
    if (!error)
        error = &dummy;
    *error = 0;
    memset(info, 0, sizeof(*info));
    info->file_bytes = src->size;
    if (src->size < (uint64_t)(PVD_SECTOR + 2) * SECTOR)
        return HK_ISO_TOO_SMALL;

    uint8_t vd[SECTOR];
    bool have_pvd = false, terminated = false;
    for (unsigned s = PVD_SECTOR; s < PVD_SECTOR + MAX_VDS && !terminated; s++) {
        uint64_t off = (uint64_t)s * SECTOR;
        if (off + SECTOR > src->size)
            break;
        int err = read_at(src, off, vd, SECTOR);
        if (err) {
            *error = err;
            return HK_ISO_READ_ERROR;
        }
        if (memcmp(vd + 1, "CD001", 5) != 0 || vd[6] != 1)
            break;
        switch (vd[0]) {
        case 0: /* boot record */
            if (!info->el_torito && memcmp(vd + 7, "EL TORITO SPECIFICATION", 23) == 0) {
                info->el_torito = true;
                info->boot_record_lba = s;
                info->catalog_lba = hk_le32(vd + 0x47);
            }
            break;
        case 1: /* primary volume descriptor */
            if (!have_pvd) {
                have_pvd = true;
                copy_field(info->system_id, vd + 8, 32);
                copy_field(info->volume_id, vd + 40, 32);
                copy_field(info->publisher_id, vd + 318, 128);
                copy_field(info->application_id, vd + 574, 128);
                uint32_t blocks = hk_le32(vd + 80);
                uint16_t bsize = hk_le16(vd + 128);
                info->volume_bytes = (uint64_t)blocks * (bsize ? bsize : SECTOR);
                /* the root directory record at 156 */
                info->root_lba = hk_le32(vd + 156 + 2);
                info->root_bytes = hk_le32(vd + 156 + 10);
            }
            break;
        case 255: terminated = true; break;
        default: /* supplementary (Joliet), partition: not needed */ break;
        }
    }
    if (!info->el_torito) {
        /* BIOS firmware reads sector 17 whatever comes before it */
        int err = read_at(src, 17 * SECTOR, vd, SECTOR);
        if (err) {
            *error = err;
            return HK_ISO_READ_ERROR;
        }
        if (vd[0] == 0 && memcmp(vd + 1, "CD001", 5) == 0 && vd[6] == 1 &&
            memcmp(vd + 7, "EL TORITO SPECIFICATION", 23) == 0) {
            info->el_torito = true;
            info->boot_record_lba = 17;
            info->catalog_lba = hk_le32(vd + 0x47);
        }
    }
    enum hk_iso_status st = HK_ISO_OK;
    if (info->el_torito)
        st = parse_catalog(src, info, error);
    if (!have_pvd) /* the boot entries are there (firmware would find them), the ISO is not */
        return st == HK_ISO_READ_ERROR      ? st
               : looks_like_disk_image(src) ? HK_ISO_DISK_IMAGE
                                            : HK_ISO_NOT_ISO;
    if (info->volume_bytes > src->size && (st == HK_ISO_OK || st == HK_ISO_CATALOG_TRUNCATED))
        st = HK_ISO_TRUNCATED; /* the bigger news: the file is incomplete */
    return st;
}

struct membuf {
    const uint8_t *data;
    size_t size;
};

static int mem_read(void *opaque, uint64_t off, void *buf, size_t len)
{
    const struct membuf *m = opaque;
    if (off > m->size || len > m->size - off)
        return EIO;
    memcpy(buf, m->data + off, len);
    return 0;
}

enum hk_iso_status hk_iso_parse_buffer(const uint8_t *data, size_t size, struct hk_iso_info *info)
{
    struct membuf m = {data, size};
    struct hk_iso_source src = {mem_read, &m, size};
    return hk_iso_parse(&src, info, NULL);
}

bool hk_iso_boots_bios(const struct hk_iso_info *info)
{
    for (unsigned i = 0; i < info->n_entries && i < HK_ISO_MAX_BOOT_ENTRIES; i++)
        if (info->entries[i].platform == HK_ELTORITO_X86 && info->entries[i].bootable)
            return true;
    return false;
}

bool hk_iso_boots_uefi(const struct hk_iso_info *info)
{
    for (unsigned i = 0; i < info->n_entries && i < HK_ISO_MAX_BOOT_ENTRIES; i++) {
        const struct hk_iso_boot_entry *e = &info->entries[i];
        if (e->platform != HK_ELTORITO_EFI || !e->bootable)
            continue;
        if (!e->efi_image_read || (e->efi_arches & HK_EFI_ARCH_X64))
            return true;
    }
    return false;
}

const char *hk_iso_guess_arch(const struct hk_iso_info *info)
{
    unsigned arches = 0;
    for (unsigned i = 0; i < info->n_entries && i < HK_ISO_MAX_BOOT_ENTRIES; i++)
        if (info->entries[i].platform == HK_ELTORITO_EFI)
            arches |= info->entries[i].efi_arches;
    if (arches & HK_EFI_ARCH_X64)
        return "x86_64";
    if (arches & HK_EFI_ARCH_AA64)
        return "aarch64";
    if (arches & HK_EFI_ARCH_IA32)
        return "i686";
    return NULL;
}

/* ---- files ---- */

/* The Rock Ridge name in a directory record's system use area (NM entries, concatenated), or
 * n = 0. skip: the SUSP "SP" skip length of the volume. */
static size_t rock_ridge_name(const uint8_t *rec, size_t reclen, unsigned skip, char *out,
                              size_t cap)
{
    size_t idlen = rec[32];
    size_t su = 33 + idlen + ((idlen & 1) ? 0 : 1) + skip;
    size_t n = 0;
    while (su + 4 <= reclen) {
        const uint8_t *e = rec + su;
        size_t elen = e[2];
        if (elen < 4 || su + elen > reclen)
            break;
        if (e[0] == 'N' && e[1] == 'M' && elen >= 5 && !(e[4] & 0x06)) {
            size_t k = elen - 5;
            if (n + k >= cap)
                return 0;
            memcpy(out + n, e + 5, k);
            n += k;
            if (!(e[4] & 0x01))
                break; /* no CONTINUE: the name is complete */
        } else if (e[0] == 'S' && e[1] == 'T') {
            break;
        }
        su += elen;
    }
    out[n] = 0;
    return n;
}

/* The ISO 9660 name without ";version" and a trailing '.' */
static size_t iso_name(const uint8_t *rec, char *out, size_t cap)
{
    size_t idlen = rec[32];
    if (idlen >= cap)
        return 0;
    memcpy(out, rec + 33, idlen);
    size_t n = idlen;
    for (size_t i = 0; i < idlen; i++)
        if (out[i] == ';') {
            n = i;
            break;
        }
    if (n && out[n - 1] == '.')
        n--;
    out[n] = 0;
    return n;
}

/* True when an ISO 9660 name is what a mastering tool makes of want: the same ignoring case,
 * or with each character that is not a d-character replaced by '_' (".disk" -> "_DISK"). */
static bool iso_name_matches(const char *iso, size_t n, const char *want, size_t wn)
{
    if (same_ignoring_case(iso, n, want, wn))
        return true;
    if (n != wn)
        return false;
    for (size_t i = 0; i < n; i++) {
        int w = lower((unsigned char)want[i]);
        bool d = (w >= 'a' && w <= 'z') || (w >= '0' && w <= '9') || w == '_';
        if (lower((unsigned char)iso[i]) != (d ? w : '_'))
            return false;
    }
    return true;
}

/* The SUSP skip length from the root's "." record (SP entry), 0 without SUSP. */
static unsigned susp_skip(const uint8_t *dot, size_t reclen)
{
    size_t su = 34; /* "." has a one-byte identifier, no padding */
    if (su + 7 <= reclen && dot[su] == 'S' && dot[su + 1] == 'P' && dot[su + 4] == 0xBE &&
        dot[su + 5] == 0xEF)
        return dot[su + 6];
    return 0;
}

int hk_iso_read_file(const struct hk_iso_source *src, const struct hk_iso_info *info,
                     const char *path, void *buf, size_t max, size_t *len)
{
    *len = 0;
    if (!info->root_lba || !info->root_bytes)
        return ENOENT;
    uint32_t lba = info->root_lba, bytes = info->root_bytes;
    bool is_dir = true;
    unsigned skip = 0;
    bool first_dir = true;
    uint8_t *dir = NULL;
    int ret = ENOENT;
    const char *p = path;
    for (;;) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        const char *end = strchr(p, '/');
        size_t wn = end ? (size_t)(end - p) : strlen(p);
        if (!is_dir) {
            ret = ENOTDIR;
            goto out;
        }
        if (bytes > ISO_MAX_DIR) {
            ret = EFBIG;
            goto out;
        }
        free(dir);
        dir = malloc(bytes ? bytes : 1);
        if (!dir) {
            ret = ENOMEM;
            goto out;
        }
        int err = read_at(src, (uint64_t)lba * SECTOR, dir, bytes);
        if (err) {
            ret = err;
            goto out;
        }
        bool found = false;
        for (size_t o = 0; o + 34 <= bytes;) {
            const uint8_t *rec = dir + o;
            size_t reclen = rec[0];
            if (reclen == 0) { /* records do not cross sectors: on to the next one */
                o = (o / SECTOR + 1) * SECTOR;
                continue;
            }
            if (reclen < 34 || o + reclen > bytes || 33u + rec[32] > reclen)
                break;
            o += reclen;
            if (rec[32] == 1 && (rec[33] == 0 || rec[33] == 1)) {
                if (first_dir && rec[33] == 0)
                    skip = susp_skip(rec, reclen);
                continue; /* "." and ".." */
            }
            char name[256];
            size_t n = rock_ridge_name(rec, reclen, skip, name, sizeof(name));
            bool match = n ? (n == wn && memcmp(name, p, wn) == 0) : false;
            if (!match && (n = iso_name(rec, name, sizeof(name))) > 0)
                match = iso_name_matches(name, n, p, wn);
            if (!match)
                continue;
            lba = hk_le32(rec + 2);
            bytes = hk_le32(rec + 10);
            is_dir = (rec[25] & 0x02) != 0;
            found = true;
            break;
        }
        first_dir = false;
        if (!found) {
            ret = ENOENT;
            goto out;
        }
        p += wn;
    }
    if (is_dir) {
        ret = EISDIR;
        goto out;
    }
    if (bytes > max) {
        ret = EFBIG;
        goto out;
    }
    ret = read_at(src, (uint64_t)lba * SECTOR, buf, bytes);
    if (!ret)
        *len = bytes;
out:
    free(dir);
    return ret;
}

/* ---- files on the host ---- */

int hk_iso_open(const char *path, int *fd_out, uint64_t *size)
{
    *fd_out = -1;
    *size = 0;
    /* O_NONBLOCK: a FIFO must not wait for a writer, a device not for its medium */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0)
        return errno;
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int e = errno;
        close(fd);
        return e;
    }
    int e = 0;
    if (S_ISDIR(st.st_mode)) {
        e = EISDIR;
    } else if (S_ISREG(st.st_mode)) {
        *size = st.st_size > 0 ? (uint64_t)st.st_size : 0;
    } else if (S_ISBLK(st.st_mode)) {
        off_t end = lseek(fd, 0, SEEK_END);
        if (end < 0)
            e = errno;
        else
            *size = (uint64_t)end;
    } else {
        e = ENODEV; /* FIFO, socket, character device */
    }
    if (e) {
        close(fd);
        return e;
    }
    /* reads block normally from here on (a regular file or disk never waits for a peer) */
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    *fd_out = fd;
    return 0;
}

int hk_iso_read_fd(void *opaque, uint64_t off, void *buf, size_t len)
{
    int fd = *(const int *)opaque;
    size_t done = 0;
    while (done < len) {
        ssize_t n = pread(fd, (uint8_t *)buf + done, len - done, (off_t)(off + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno;
        if (n == 0)
            return EIO; /* the file shrank */
        done += (size_t)n;
    }
    return 0;
}
