/*
 * Disc images built byte by byte for tests (plain C: the app's unit tests and the disc reader's
 * fuzz target use it): an ISO 9660 primary volume descriptor with a root directory holding
 * .disk/info and README.TXT (with Rock Ridge names, or ISO 9660 names only), an El Torito boot
 * record and catalog (BIOS and/or EFI entries, optional extra sections), and a FAT12 EFI boot
 * image holding \EFI\BOOT\<loader>. 48 sectors of 2048 bytes.
 */
#ifndef HAKO_TEST_ISOIMAGE_H
#define HAKO_TEST_ISOIMAGE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SECTOR 2048u

typedef struct {
    uint8_t *data;
    size_t size;
} Img;

static inline void put16(uint8_t *p, unsigned v)
{
    p[0] = v & 0xFF;
    p[1] = (v >> 8) & 0xFF;
}

static inline void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (v >> (8 * i)) & 0xFF;
}

static inline void put_both32(uint8_t *p, uint32_t v)
{
    put32(p, v);
    p[4] = (v >> 24) & 0xFF;
    p[5] = (v >> 16) & 0xFF;
    p[6] = (v >> 8) & 0xFF;
    p[7] = v & 0xFF;
}

static inline void put_field(uint8_t *p, size_t len, const char *s)
{
    memset(p, ' ', len);
    memcpy(p, s, (strlen(s) < len ? strlen(s) : len));
}

/* A FAT12 volume of 64 512-byte sectors: root → EFI/ → BOOT/ → loader (8.3 name, 11 chars). */
static inline void build_fat(uint8_t *fat, const char *loader83)
{
    memset(fat, 0, 64 * 512);
    uint8_t *bs = fat;
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
        uint8_t *f = fat + 512 * (1 + copy);
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
    uint8_t *root = fat + 512 * 3;
    memcpy(root, "HAKOEFI    ", 11);
    root[11] = 0x08; /* volume label */
    memcpy(root + 32, "EFI        ", 11);
    root[32 + 11] = 0x10;
    put16(root + 32 + 26, 2);
    uint8_t *efi = fat + 512 * 4; /* cluster 2 */
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
    uint8_t *boot = fat + 512 * 5; /* cluster 3 */
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
    bool bios;
    const char *efi_loader; /* NULL: no EFI entry; "": EFI entry whose image is not FAT */
    bool efi_in_validation; /* EFI as the initial entry (EFI-only discs) */
    bool extra_sections;    /* a 0x90 PowerPC section with an extension entry first */
    const char *volume_id, *publisher, *application, *system;
    bool el_torito;
    bool no_rock_ridge; /* ISO 9660 names only (_DISK/INFO.;1 instead of .disk/info) */
} Spec;

/* One ECMA-119 directory record at p (9.1); returns its length. rr: a Rock Ridge NM name; sp: the
 * SUSP "SP" entry that marks the root's "." record. */
static inline size_t iso_dirrec(uint8_t *p, uint32_t lba, uint32_t len, bool dir, const char *id,
                                size_t idlen, const char *rr, bool sp)
{
    size_t n = 33 + idlen + ((idlen & 1) ? 0 : 1);
    memset(p, 0, n + (sp ? 7 : 0) + (rr ? 5 + strlen(rr) : 0) + 1);
    put_both32(p + 2, lba);
    put_both32(p + 10, len);
    p[25] = dir ? 0x02 : 0x00;
    p[28] = 1; /* volume sequence number, both-endian */
    p[31] = 1;
    p[32] = (uint8_t)idlen;
    memcpy(p + 33, id, idlen);
    if (sp) {
        static const uint8_t e[7] = {'S', 'P', 7, 1, 0xBE, 0xEF, 0};
        memcpy(p + n, e, sizeof(e));
        n += sizeof(e);
    }
    if (rr) {
        size_t k = strlen(rr);
        p[n] = 'N';
        p[n + 1] = 'M';
        p[n + 2] = (uint8_t)(5 + k);
        p[n + 3] = 1;
        p[n + 4] = 0;
        memcpy(p + n + 5, rr, k);
        n += 5 + k;
    }
    n += n & 1;
    p[0] = (uint8_t)n;
    return n;
}

#define ISO_TEST_INFO   "Hako Test Linux 1.0 \"Tester\" - Release amd64 (20260101)\n"
#define ISO_TEST_README "A disc for Hako's tests.\n"

/* The root directory (sector 19) with README.TXT (sector 41) and .disk/ (sector 22) holding info
 * (sector 23). */
static inline void build_dirs(uint8_t *img, bool rr)
{
    uint8_t *root = img + 19 * SECTOR, *disk = img + 22 * SECTOR;
    size_t o = 0;
    o += iso_dirrec(root + o, 19, SECTOR, true, "\0", 1, NULL, rr);
    o += iso_dirrec(root + o, 19, SECTOR, true, "\1", 1, NULL, false);
    o += iso_dirrec(root + o, 41, (uint32_t)strlen(ISO_TEST_README), false, "README.TXT;1", 12,
                    rr ? "README.txt" : NULL, false);
    iso_dirrec(root + o, 22, SECTOR, true, "_DISK", 5, rr ? ".disk" : NULL, false);
    o = 0;
    o += iso_dirrec(disk + o, 22, SECTOR, true, "\0", 1, NULL, false);
    o += iso_dirrec(disk + o, 19, SECTOR, true, "\1", 1, NULL, false);
    iso_dirrec(disk + o, 23, (uint32_t)strlen(ISO_TEST_INFO), false, "INFO.;1", 7,
               rr ? "info" : NULL, false);
    memcpy(img + 23 * SECTOR, ISO_TEST_INFO, strlen(ISO_TEST_INFO));
    memcpy(img + 41 * SECTOR, ISO_TEST_README, strlen(ISO_TEST_README));
}

/* Sectors: 16 PVD, 17 boot record, 18 terminator, 19 root directory, 20 catalog, 21 BIOS image,
 * 22 .disk/, 23 .disk/info, 24.. FAT image (16 sectors), 41 README.TXT, 48 total. */
static inline Img build_iso(const Spec *s)
{
    Img img;
    img.size = 48 * SECTOR;
    img.data = calloc(1, img.size);
    if (!img.data)
        abort();
    uint8_t *pvd = img.data + 16 * SECTOR;
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
    iso_dirrec(pvd + 156, 19, SECTOR, true, "\0", 1, NULL, false);
    build_dirs(img.data, !s->no_rock_ridge);
    uint8_t *br = img.data + 17 * SECTOR;
    uint8_t *term = img.data + 18 * SECTOR;
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

    uint8_t *cat = img.data + 20 * SECTOR;
    bool efi = s->efi_loader != NULL;
    cat[0] = 1;
    cat[1] = (s->efi_in_validation || !s->bios) && efi ? 0xEF : 0x00;
    memcpy(cat + 4, "HAKO", 4);
    cat[30] = 0x55;
    cat[31] = 0xAA;
    uint16_t sum = 0;
    for (int i = 0; i < 32; i += 2)
        sum += (uint16_t)(cat[i] | (cat[i + 1] << 8));
    put16(cat + 28, (uint16_t)(0x10000 - sum));
    uint8_t *e = cat + 32;
    bool initial_is_efi = cat[1] == 0xEF;
    e[0] = 0x88;
    put16(e + 6, initial_is_efi ? 1 : 4);
    put32(e + 8, initial_is_efi ? 24 : 21);
    e += 32;
    if (s->extra_sections) {
        e[0] = 0x90;
        e[1] = 0x01;
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

#endif
