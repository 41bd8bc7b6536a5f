/*
 * Synthetic OVMF and SeaBIOS images for tests, laid out as the real ones are (see
 * hako/firmware.h): CODE starts with a firmware volume and ends with the reset vector (NOP NOP
 * JMP rel16 into the code, as the 4 MiB build does); VARS is an empty authenticated variable
 * store behind a valid NV firmware-volume header (GUID, attributes, revision, checksum); a unified
 * image is VARS followed by CODE; SeaBIOS ends with a far JMP. Plain C (the engine's and the
 * app's tests both use it).
 */
#ifndef HAKO_TEST_FWIMAGES_H
#define HAKO_TEST_FWIMAGES_H

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FWIMG_CODE_1M 0xE0000u
#define FWIMG_CODE_2M 0x1E0000u
#define FWIMG_CODE_4M 0x37C000u
#define FWIMG_VARS_2M 0x20000u /* the 1 and 2 MiB builds */
#define FWIMG_VARS_4M 0x84000u

static inline void fwimg_le(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* An empty variable store of size bytes (valid for OVMF's PlatformValidateNvVarStore). */
static inline void fwimg_vars(uint8_t *v, size_t size)
{
    static const uint8_t nv[16] = {0x8d, 0x2b, 0xf1, 0xff, 0x96, 0x76, 0x8b, 0x4c,
                                   0xa9, 0x85, 0x27, 0x47, 0x07, 0x5b, 0x4f, 0x50};
    static const uint8_t auth[16] = {0x78, 0x2c, 0xf3, 0xaa, 0x7b, 0x94, 0x9a, 0x43,
                                     0xa1, 0x80, 0x2e, 0x14, 0x4e, 0xc3, 0x77, 0x92};
    memset(v, 0xFF, size);
    memset(v, 0, 0x48);
    memcpy(v + 0x10, nv, 16);
    fwimg_le(v + 0x20, size, 8);
    memcpy(v + 0x28, "_FVH", 4);
    fwimg_le(v + 0x2C, 0x4FEFF, 4);
    fwimg_le(v + 0x30, 0x48, 2);
    v[0x37] = 2;
    uint16_t sum = 0;
    for (unsigned i = 0; i < 0x48; i += 2)
        sum = (uint16_t)(sum + (v[i] | v[i + 1] << 8));
    fwimg_le(v + 0x32, (uint16_t)(0x10000 - sum), 2);
    memcpy(v + 0x48, auth, 16);
    fwimg_le(v + 0x48 + 16, (uint32_t)(size / 2 - 0x48), 4); /* the store; FTW spare after it */
    v[0x48 + 20] = 0x5A;
    v[0x48 + 21] = 0xFE;
    memset(v + 0x48 + 22, 0, 6);
}

/* Firmware code of size bytes: a (non-NV) firmware volume at the start, the reset vector at the
 * end jumping 0x100 bytes back (where a CLI sits), as a CPU at reset would take it. */
static inline void fwimg_code(uint8_t *c, size_t size)
{
    memset(c, 0, size);
    fwimg_le(c + 0x20, size, 8);
    memcpy(c + 0x28, "_FVH", 4);
    c[size - 16] = 0x90;
    c[size - 15] = 0x90;
    c[size - 14] = 0xE9; /* jmp rel16 from 0xFFF2: to 0xFFF5 + rel */
    fwimg_le(c + size - 13, (uint16_t)(0xFF00 - 0xFFF5), 2);
    c[size - 0x100] = 0xFA;
}

/* A SeaBIOS-like image: a far jump at the reset vector. */
static inline void fwimg_bios(uint8_t *b, size_t size)
{
    memset(b, 0, size);
    static const uint8_t far[] = {0xEA, 0x5B, 0xE0, 0x00, 0xF0};
    memcpy(b + size - 16, far, sizeof(far));
}

enum fwimg_kind { FWIMG_CODE, FWIMG_VARS, FWIMG_UNIFIED, FWIMG_BIOS, FWIMG_ZERO };

/* Creates the folders of path (like mkdir -p of its dirname). */
static inline void fwimg_mkdirs(const char *path)
{
    char *p = strdup(path);
    if (!p)
        abort();
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = 0;
        if (mkdir(p, 0755) < 0 && errno != EEXIST)
            abort();
        *s = '/';
    }
    free(p);
}

/* Writes an image of kind to path (folders made); UNIFIED: size is the code part, the 0x20000
 * store goes in front. Returns the buffer written (free() it) so tests can patch and rewrite. */
static inline uint8_t *fwimg_make(enum fwimg_kind kind, size_t size, size_t *len)
{
    size_t n = kind == FWIMG_UNIFIED ? size + FWIMG_VARS_2M : size;
    uint8_t *b = malloc(n);
    if (!b)
        abort();
    switch (kind) {
    case FWIMG_CODE: fwimg_code(b, n); break;
    case FWIMG_VARS: fwimg_vars(b, n); break;
    case FWIMG_UNIFIED:
        fwimg_vars(b, FWIMG_VARS_2M);
        fwimg_code(b + FWIMG_VARS_2M, size);
        break;
    case FWIMG_BIOS: fwimg_bios(b, n); break;
    case FWIMG_ZERO: memset(b, 0, n); break;
    }
    *len = n;
    return b;
}

static inline void fwimg_write_buf(const char *path, const uint8_t *b, size_t n)
{
    fwimg_mkdirs(path);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        abort();
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(fd, b + done, n - done);
        if (w <= 0)
            abort();
        done += (size_t)w;
    }
    close(fd);
}

static inline void fwimg_write(const char *path, enum fwimg_kind kind, size_t size)
{
    size_t n;
    uint8_t *b = fwimg_make(kind, size, &n);
    fwimg_write_buf(path, b, n);
    free(b);
}

#endif
