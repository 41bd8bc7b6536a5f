/*
 * Disc images built byte by byte for the app's unit tests: an ISO 9660 primary volume descriptor,
 * an El Torito boot record and catalog (BIOS and/or EFI entries, optional extra sections), and a
 * FAT12 EFI boot image holding \EFI\BOOT\<loader>. 48 sectors of 2048 bytes.
 */
#pragma once

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#include "hako-media.h"

#define SECTOR 2048u

typedef struct {
    guint8 *data;
    gsize size;
} Img;

static inline void put16(guint8 *p, guint v)
{
    p[0] = v & 0xFF;
    p[1] = (v >> 8) & 0xFF;
}

static inline void put32(guint8 *p, guint32 v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (v >> (8 * i)) & 0xFF;
}

static inline void put_both32(guint8 *p, guint32 v)
{
    put32(p, v);
    p[4] = (v >> 24) & 0xFF;
    p[5] = (v >> 16) & 0xFF;
    p[6] = (v >> 8) & 0xFF;
    p[7] = v & 0xFF;
}

static inline void put_field(guint8 *p, gsize len, const char *s)
{
    memset(p, ' ', len);
    memcpy(p, s, MIN(strlen(s), len));
}

/* A FAT12 volume of 64 512-byte sectors: root → EFI/ → BOOT/ → loader (8.3 name, 11 chars). */
static inline void build_fat(guint8 *fat, const char *loader83)
{
    memset(fat, 0, 64 * 512);
    guint8 *bs = fat;
    bs[0] = 0xEB;
    bs[1] = 0x3C;
    bs[2] = 0x90;
    memcpy(bs + 3, "MSDOS5.0", 8);
    put16(bs + 11, 512); /* bytes per sector */
    bs[13] = 1;          /* sectors per cluster */
    put16(bs + 14, 1);   /* reserved */
    bs[16] = 2;          /* FATs */
    put16(bs + 17, 16);  /* root entries: one sector */
    put16(bs + 19, 64);  /* total sectors */
    bs[21] = 0xF0;
    put16(bs + 22, 1); /* sectors per FAT */
    bs[510] = 0x55;
    bs[511] = 0xAA;
    /* FAT12 at sector 1 (and its copy at 2): clusters 2, 3, 4 end their chains */
    for (int copy = 0; copy < 2; copy++) {
        guint8 *f = fat + 512 * (1 + copy);
        f[0] = 0xF0;
        f[1] = 0xFF;
        f[2] = 0xFF; /* clusters 0, 1 */
        /* clusters 2 and 3 share bytes 3-5; 4 and 5 bytes 6-8 */
        f[3] = 0xFF;
        f[4] = 0xFF;
        f[5] = 0xFF;
        f[6] = 0xFF;
        f[7] = 0x0F;
    }
    /* root directory at sector 3; data (cluster 2) at sector 4 */
    guint8 *root = fat + 512 * 3;
    memcpy(root, "HAKOEFI    ", 11);
    root[11] = 0x08; /* volume label */
    memcpy(root + 32, "EFI        ", 11);
    root[32 + 11] = 0x10;
    put16(root + 32 + 26, 2);
    guint8 *efi = fat + 512 * 4; /* cluster 2 */
    memcpy(efi, ".          ", 11);
    efi[11] = 0x10;
    put16(efi + 26, 2);
    memcpy(efi + 32, "..         ", 11);
    efi[32 + 11] = 0x10;
    /* a long-name entry before BOOT, which the reader must skip */
    efi[64] = 0x41;
    efi[64 + 11] = 0x0F;
    memcpy(efi + 96, "BOOT       ", 11);
    efi[96 + 11] = 0x10;
    put16(efi + 96 + 26, 3);
    guint8 *boot = fat + 512 * 5; /* cluster 3 */
    memcpy(boot, ".          ", 11);
    boot[11] = 0x10;
    memcpy(boot + 32, "..         ", 11);
    boot[32 + 11] = 0x10;
    memcpy(boot + 64, "DELETED EFI", 11);
    boot[64] = 0xE5;
    memcpy(boot + 96, loader83, 11);
    boot[96 + 11] = 0x20;
    put16(boot + 96 + 26, 4);
    put32(boot + 96 + 28, 4);
    memcpy(fat + 512 * 6, "MZ!!", 4); /* cluster 4 */
}

typedef struct {
    gboolean bios;
    const char *efi_loader;     /* NULL: no EFI entry; "": EFI entry whose image is not FAT */
    gboolean efi_in_validation; /* EFI as the initial entry (EFI-only discs) */
    gboolean extra_sections;    /* a 0x90 PowerPC section with an extension entry first */
    const char *volume_id, *publisher, *application, *system;
    gboolean el_torito;
} Spec;

/* Sectors: 16 PVD, 17 boot record, 18 terminator, 20 catalog, 21 BIOS image, 24.. FAT image
 * (16 sectors), 48 total. */
static inline Img build_iso(const Spec *s)
{
    Img img;
    img.size = 48 * SECTOR;
    img.data = g_malloc0(img.size);
    guint8 *pvd = img.data + 16 * SECTOR;
    pvd[0] = 1;
    memcpy(pvd + 1, "CD001", 5);
    pvd[6] = 1;
    put_field(pvd + 8, 32, s->system ? s->system : "LINUX");
    put_field(pvd + 40, 32, s->volume_id ? s->volume_id : "HAKO_TEST");
    put_both32(pvd + 80, 48);
    put16(pvd + 128, SECTOR);
    pvd[130] = SECTOR >> 8;
    put_field(pvd + 318, 128, s->publisher ? s->publisher : "");
    put_field(pvd + 446, 128, "");
    put_field(pvd + 574, 128, s->application ? s->application : "");
    guint8 *br = img.data + 17 * SECTOR;
    guint8 *term = img.data + 18 * SECTOR;
    if (s->el_torito) {
        br[0] = 0;
        memcpy(br + 1, "CD001", 5);
        br[6] = 1;
        memcpy(br + 7, "EL TORITO SPECIFICATION", 23);
        put32(br + 0x47, 20);
    } else {
        term = br;
    }
    term[0] = 255;
    memcpy(term + 1, "CD001", 5);
    term[6] = 1;

    guint8 *cat = img.data + 20 * SECTOR;
    gboolean efi = s->efi_loader != NULL;
    cat[0] = 1;
    cat[1] = (s->efi_in_validation || !s->bios) && efi ? 0xEF : 0x00;
    memcpy(cat + 4, "HAKO", 4);
    cat[30] = 0x55;
    cat[31] = 0xAA;
    guint16 sum = 0;
    for (int i = 0; i < 32; i += 2)
        sum += (guint16)(cat[i] | (cat[i + 1] << 8));
    put16(cat + 28, (guint16)(0x10000 - sum));
    guint8 *e = cat + 32;
    gboolean initial_is_efi = cat[1] == 0xEF;
    e[0] = 0x88;
    put16(e + 6, initial_is_efi ? 1 : 4);
    put32(e + 8, initial_is_efi ? 24 : 21);
    e += 32;
    if (s->extra_sections) {
        e[0] = 0x90;
        e[1] = HAKO_ELTORITO_PPC;
        put16(e + 2, 1);
        e += 32;
        e[0] = 0x88;
        e[1] = 0x20; /* an extension entry follows */
        put32(e + 8, 30);
        e += 32;
        e[0] = 0x44;
        e += 32;
    }
    if (efi && s->bios && !initial_is_efi) {
        e[0] = 0x91;
        e[1] = 0xEF;
        put16(e + 2, 1);
        e += 32;
        e[0] = 0x88;
        put16(e + 6, 1);
        put32(e + 8, 24);
    } else if (s->extra_sections) {
        e[0] = 0x91; /* an empty final section */
        e[1] = 0x00;
    }
    memcpy(img.data + 21 * SECTOR, "\xFA\xEB\xFE", 3);
    if (efi && *s->efi_loader)
        build_fat(img.data + 24 * SECTOR, s->efi_loader);
    return img;
}

/* Writes the image as name in a fresh temporary folder (parallel test runs do not collide). */
static inline char *write_temp(const Img *img, const char *name)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *dir = g_dir_make_tmp("hako-test-XXXXXX", &err);
    g_assert_no_error(err);
    char *path = g_build_filename(dir, name, NULL);
    g_assert_true(g_file_set_contents(path, (const char *)img->data, (gssize)img->size, &err));
    return path;
}

static inline void remove_temp(const char *path)
{
    g_autofree char *dir = g_path_get_dirname(path);
    g_unlink(path);
    g_rmdir(dir);
}

static inline HakoMedia *media_for(const Spec *s, const char *name)
{
    Img img = build_iso(s);
    g_autofree char *path = write_temp(&img, name);
    g_free(img.data);
    g_autoptr(GFile) f = g_file_new_for_path(path);
    g_autoptr(GError) err = NULL;
    HakoMedia *m = hako_media_new_for_file(f, NULL, &err);
    g_assert_no_error(err);
    remove_temp(path);
    return m;
}
