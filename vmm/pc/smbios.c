#include "smbios.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hako/bytes.h"

struct buf {
    uint8_t *p;
    size_t len, cap;
    bool oom;
    uint16_t handle;
    unsigned count, max_struct;
};

static void put(struct buf *b, const void *data, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 1024;
        while (cap < b->len + n)
            cap *= 2;
        uint8_t *q = realloc(b->p, cap);
        if (!q) {
            b->oom = true;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
}

/* One structure: the formatted area (type, length and handle are filled in here) and its strings
 * (NULL-terminated list; string numbers in the formatted area count from 1). Returns its handle. */
static uint16_t add(struct buf *b, uint8_t type, uint8_t *fmt, uint8_t len,
                    const char *const *strings)
{
    uint16_t handle = b->handle++;
    fmt[0] = type;
    fmt[1] = len;
    hk_put_le(fmt + 2, handle, 2);
    size_t start = b->len;
    put(b, fmt, len);
    bool any = false;
    for (unsigned i = 0; strings && strings[i]; i++) {
        put(b, strings[i], strlen(strings[i]) + 1);
        any = true;
    }
    put(b, "\0", any ? 1 : 2);
    b->count++;
    if (b->len - start > b->max_struct)
        b->max_struct = (unsigned)(b->len - start);
    return handle;
}

int hk_smbios_build(const struct hk_smbios_params *p, struct hk_smbios *out)
{
    memset(out, 0, sizeof(*out));
    struct buf b = {.handle = 0x100};
    uint8_t f[64];
    const char *version = p->version && p->version[0] ? p->version : "1.0";

    /* type 1: system */
    memset(f, 0, sizeof(f));
    f[4] = 1; /* manufacturer */
    f[5] = 2; /* product */
    f[6] = 3; /* version */
    /* serial 0; the UUID with its first three fields little-endian (SMBIOS 2.6 and later; all
     * zeros when the VM has none); wake-up: power switch; SKU 0; family */
    if (p->uuid) {
        static const uint8_t order[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};
        for (unsigned i = 0; i < 16; i++)
            f[8 + i] = p->uuid[order[i]];
    }
    f[24] = 0x06;
    f[26] = 4;
    const char *s1[] = {"Hako", "Hako Virtual Machine", version, "Virtual Machine", NULL};
    add(&b, 1, f, 27, s1);

    /* type 3: chassis, "other", all states safe */
    memset(f, 0, sizeof(f));
    f[4] = 1;
    f[5] = 0x01;
    f[9] = 0x03;
    f[10] = 0x03;
    f[11] = 0x03;
    f[12] = 0x02;
    const char *s3[] = {"Hako", NULL};
    add(&b, 3, f, 21, s3);

    /* type 4: one processor (socket) with a core per vCPU, one thread each: the topology CPUID
     * gives the guest (core/cpuid.h). 2.6 layout (0x2A bytes) with the core and thread counts. */
    unsigned n = p->ncpus ? p->ncpus : 1, n8 = n > 255 ? 255 : n;
    memset(f, 0, sizeof(f));
    f[4] = 1;                       /* socket designation */
    f[5] = 0x03;                    /* central processor */
    f[6] = 0x01;                    /* family: other */
    f[7] = 2;                       /* manufacturer */
    hk_put_le(f + 0x14, 2000, 2);   /* max speed, MHz */
    hk_put_le(f + 0x16, 2000, 2);   /* current speed */
    f[0x18] = 0x41;                 /* socket populated, CPU enabled */
    f[0x19] = 0x01;                 /* upgrade: other */
    hk_put_le(f + 0x1A, 0xFFFF, 2); /* no cache information */
    hk_put_le(f + 0x1C, 0xFFFF, 2);
    hk_put_le(f + 0x1E, 0xFFFF, 2);
    f[0x23] = (uint8_t)n8;                                 /* core count */
    f[0x24] = (uint8_t)n8;                                 /* cores enabled */
    f[0x25] = (uint8_t)n8;                                 /* threads: one per core */
    hk_put_le(f + 0x26, 0x0004 | (n > 1 ? 0x0008 : 0), 2); /* 64-bit capable, multi-core */
    hk_put_le(f + 0x28, 0x0001, 2);                        /* family 2: other */
    const char *s4[] = {"CPU 0", "Hako", NULL};
    add(&b, 4, f, 0x2A, s4);

    /* type 16: the memory array; 17: devices of up to 16 GiB; 19: the mapped ranges */
    uint64_t ram = p->below_4g + p->above_4g;
    uint64_t ram_mb = (ram + (1 << 20) - 1) >> 20;
    unsigned ndev = (unsigned)((ram_mb + 16383) / 16384);
    memset(f, 0, sizeof(f));
    f[4] = 0x01; /* location: other */
    f[5] = 0x03; /* system memory */
    f[6] = 0x03; /* no error correction */
    uint64_t kib = ram >> 10;
    hk_put_le(f + 7, kib >= 0x80000000ull ? 0x80000000u : kib, 4);
    hk_put_le(f + 11, 0xFFFE, 2);
    hk_put_le(f + 13, ndev, 2);
    uint16_t array = add(&b, 16, f, 15, NULL);
    for (unsigned i = 0; i < ndev; i++) {
        uint64_t mb = i + 1 < ndev ? 16384 : ram_mb - 16384ull * i;
        char loc[16];
        snprintf(loc, sizeof(loc), "DIMM %u", i);
        memset(f, 0, sizeof(f));
        hk_put_le(f + 4, array, 2);
        hk_put_le(f + 6, 0xFFFE, 2);
        hk_put_le(f + 8, 64, 2);
        hk_put_le(f + 10, 64, 2);
        hk_put_le(f + 12, mb, 2); /* MB (at most 16384 here) */
        f[14] = 0x09;             /* DIMM */
        f[16] = 1;                /* device locator */
        f[18] = 0x07;             /* RAM */
        hk_put_le(f + 19, 0x0002, 2);
        const char *s17[] = {loc, NULL};
        add(&b, 17, f, 21, s17);
    }
    uint64_t ranges[2][2] = {{0, p->below_4g}, {1ull << 32, p->above_4g}};
    for (unsigned r = 0; r < 2; r++) {
        if (!ranges[r][1])
            continue;
        memset(f, 0, sizeof(f));
        hk_put_le(f + 4, ranges[r][0] >> 10, 4);
        hk_put_le(f + 8, ((ranges[r][0] + ranges[r][1]) >> 10) - 1, 4);
        hk_put_le(f + 12, array, 2);
        f[14] = 1;
        add(&b, 19, f, 15, NULL);
    }

    /* type 32: no errors detected; type 127: the end */
    memset(f, 0, sizeof(f));
    add(&b, 32, f, 11, NULL);
    memset(f, 0, sizeof(f));
    add(&b, 127, f, 4, NULL);
    if (b.oom || b.len > 0xFFFF) {
        free(b.p);
        return -1;
    }

    /* the 2.1-style entry point SeaBIOS and OVMF take from fw_cfg (address 0: they place it) */
    uint8_t *a = out->anchor;
    memset(a, 0, sizeof(out->anchor));
    memcpy(a, "_SM_", 4);
    a[5] = 0x1F;
    a[6] = 2;
    a[7] = 8;
    hk_put_le(a + 8, b.max_struct, 2);
    memcpy(a + 0x10, "_DMI_", 5);
    hk_put_le(a + 0x16, b.len, 2);
    hk_put_le(a + 0x1C, b.count, 2);
    a[0x1E] = 0x28;
    uint8_t sum = 0;
    for (unsigned i = 0x10; i < 0x1F; i++)
        sum = (uint8_t)(sum + a[i]);
    a[0x15] = (uint8_t)-sum;
    sum = 0;
    for (unsigned i = 0; i < 0x1F; i++)
        sum = (uint8_t)(sum + a[i]);
    a[4] = (uint8_t)-sum;
    out->tables = b.p;
    out->tables_len = b.len;
    return 0;
}

void hk_smbios_free(struct hk_smbios *s)
{
    free(s->tables);
    s->tables = NULL;
    s->tables_len = 0;
}

int hk_uuid_parse(const char *s, uint8_t out[16])
{
    unsigned n = 0;
    for (unsigned i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return -1;
            continue;
        }
        int hi = hk_hexval(s[i]);
        if (hi < 0)
            return -1;
        int lo = hk_hexval(s[++i]);
        if (lo < 0)
            return -1;
        out[n++] = (uint8_t)(hi << 4 | lo);
    }
    return s[36] == '\0' ? 0 : -1;
}
