#include "png.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static uint32_t crc_table_entry(uint32_t c)
{
    for (int k = 0; k < 8; k++)
        c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    return c;
}

static uint32_t crc32_update(uint32_t crc, const uint8_t *p, size_t n)
{
    crc = ~crc;
    for (size_t i = 0; i < n; i++)
        crc = crc_table_entry((crc ^ p[i]) & 0xFF) ^ (crc >> 8);
    return ~crc;
}

struct bits {
    uint8_t *p;
    size_t len, cap;
    uint32_t acc;
    unsigned nacc;
    int oom;
};

static void put_byte(struct bits *b, uint8_t v)
{
    if (b->len == b->cap) {
        size_t ncap = b->cap ? b->cap * 2 : 65536;
        uint8_t *np = realloc(b->p, ncap);
        if (!np) {
            b->oom = 1;
            return;
        }
        b->p = np;
        b->cap = ncap;
    }
    b->p[b->len++] = v;
}

/* LSB-first bit packing as deflate requires */
static void put_bits(struct bits *b, uint32_t v, unsigned n)
{
    b->acc |= v << b->nacc;
    b->nacc += n;
    while (b->nacc >= 8) {
        put_byte(b, (uint8_t)b->acc);
        b->acc >>= 8;
        b->nacc -= 8;
    }
}

/* Huffman codes are sent most significant bit first */
static void put_code(struct bits *b, uint32_t code, unsigned n)
{
    uint32_t r = 0;
    for (unsigned i = 0; i < n; i++)
        r |= ((code >> i) & 1) << (n - 1 - i);
    put_bits(b, r, n);
}

static void put_literal(struct bits *b, unsigned v)
{
    if (v < 144)
        put_code(b, 0x30 + v, 8);
    else if (v < 256)
        put_code(b, 0x190 + (v - 144), 9);
    else if (v < 280)
        put_code(b, v - 256, 7);
    else
        put_code(b, 0xC0 + (v - 280), 8);
}

static const uint16_t len_base[29] = {3,  4,  5,  6,   7,   8,   9,   10,  11, 13,
                                      15, 17, 19, 23,  27,  31,  35,  43,  51, 59,
                                      67, 83, 99, 115, 131, 163, 195, 227, 258};
static const uint8_t len_extra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                      2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
static const uint32_t dist_base[30] = {
    1,   2,   3,   4,   5,   7,    9,    13,   17,   25,   33,   49,   65,    97,    129,
    193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
static const uint8_t dist_extra[30] = {0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
                                       6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};

static void put_match(struct bits *b, unsigned len, uint32_t dist)
{
    int li = 28;
    while (len_base[li] > len)
        li--;
    put_literal(b, 257 + (unsigned)li);
    put_bits(b, len - len_base[li], len_extra[li]);
    int di = 29;
    while (dist_base[di] > dist)
        di--;
    put_code(b, (uint32_t)di, 5);
    put_bits(b, dist - dist_base[di], dist_extra[di]);
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static int chunk(FILE *out, const char *type, const uint8_t *data, size_t len)
{
    uint8_t hdr[8];
    put_be32(hdr, (uint32_t)len);
    memcpy(hdr + 4, type, 4);
    uint32_t crc = crc32_update(0, (const uint8_t *)type, 4);
    if (len)
        crc = crc32_update(crc, data, len);
    uint8_t c[4];
    put_be32(c, crc);
    if (fwrite(hdr, 1, 8, out) != 8 || (len && fwrite(data, 1, len, out) != len) ||
        fwrite(c, 1, 4, out) != 4)
        return -1;
    return 0;
}

int hk_png_write(FILE *out, const uint8_t *rgb, uint32_t width, uint32_t height)
{
    if (!width || !height || width > 16384 || height > 16384)
        return -1;
    size_t row = (size_t)width * 3 + 1;
    size_t n = row * height;
    uint8_t *raw = malloc(n);
    if (!raw)
        return -1;
    for (uint32_t y = 0; y < height; y++) {
        raw[y * row] = 0; /* filter: none */
        memcpy(raw + y * row + 1, rgb + (size_t)y * width * 3, (size_t)width * 3);
    }

    struct bits b = {0};
    put_byte(&b, 0x78); /* zlib: deflate, 32 KiB window */
    put_byte(&b, 0x01);
    put_bits(&b, 1, 1); /* final block */
    put_bits(&b, 1, 2); /* fixed Huffman */
    size_t i = 0;
    while (i < n) {
        unsigned best = 0;
        uint32_t best_d = 0;
        const uint32_t cands[2] = {3, (uint32_t)row};
        for (int c = 0; c < 2; c++) {
            uint32_t d = cands[c];
            if (d > i || d > 32768)
                continue;
            unsigned l = 0;
            while (l < 258 && i + l < n && raw[i + l] == raw[i + l - d])
                l++;
            if (l > best) {
                best = l;
                best_d = d;
            }
        }
        if (best >= 3) {
            put_match(&b, best, best_d);
            i += best;
        } else {
            put_literal(&b, raw[i]);
            i++;
        }
    }
    put_literal(&b, 256);
    if (b.nacc)
        put_bits(&b, 0, 8 - b.nacc);
    uint32_t a = 1, s2 = 0;
    for (size_t k = 0; k < n; k++) {
        a = (a + raw[k]) % 65521;
        s2 = (s2 + a) % 65521;
    }
    uint8_t adler[4];
    put_be32(adler, (s2 << 16) | a);
    for (int k = 0; k < 4; k++)
        put_byte(&b, adler[k]);
    free(raw);
    if (b.oom) {
        free(b.p);
        return -1;
    }

    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    uint8_t ihdr[13];
    put_be32(ihdr, width);
    put_be32(ihdr + 4, height);
    ihdr[8] = 8;  /* bit depth */
    ihdr[9] = 2;  /* truecolour */
    ihdr[10] = 0; /* deflate */
    ihdr[11] = 0; /* adaptive filtering */
    ihdr[12] = 0; /* no interlace */
    int r = fwrite(sig, 1, 8, out) == 8 ? 0 : -1;
    if (!r)
        r = chunk(out, "IHDR", ihdr, sizeof(ihdr));
    if (!r)
        r = chunk(out, "IDAT", b.p, b.len);
    if (!r)
        r = chunk(out, "IEND", NULL, 0);
    free(b.p);
    return r;
}

int hk_png_write_file(const char *path, const uint8_t *rgb, uint32_t width, uint32_t height)
{
    /* never written through: an existing name must be a regular file (not a symbolic link, FIFO
     * or device), and the picture goes to a new file in the same folder that then replaces the
     * name (rename: another name of the old file, a hard link, keeps its contents) */
    struct stat st;
    if (!path || !path[0]) {
        errno = ENOENT;
        return -1;
    }
    if (lstat(path, &st) == 0) {
        if (S_ISLNK(st.st_mode)) {
            errno = ELOOP;
            return -1;
        }
        if (!S_ISREG(st.st_mode)) {
            errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
            return -1;
        }
    } else if (errno != ENOENT) {
        return -1;
    }
    char tmp[4096];
    int fd = -1;
    for (unsigned i = 0; i < 100 && fd < 0; i++) {
        if (snprintf(tmp, sizeof(tmp), "%s.tmp-%ld-%u", path, (long)getpid(), i) >=
            (int)sizeof(tmp)) {
            errno = ENAMETOOLONG;
            return -1;
        }
        /* O_EXCL: a name that exists (a symbolic link planted there included) is not used */
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0644);
        if (fd < 0 && errno != EEXIST)
            return -1;
    }
    if (fd < 0)
        return -1;
    FILE *f = fdopen(fd, "wb");
    if (!f) {
        int e = errno;
        close(fd);
        unlink(tmp);
        errno = e;
        return -1;
    }
    int r = hk_png_write(f, rgb, width, height);
    int e = errno;
    if (fclose(f) != 0) {
        e = errno;
        r = -1;
    }
    if (r == 0 && rename(tmp, path) < 0) {
        e = errno;
        r = -1;
    }
    if (r < 0) {
        unlink(tmp);
        errno = e ? e : EIO;
    }
    return r;
}
