/* SMBIOS tables for fw_cfg: the entry point (signatures, checksums, length, count, largest
 * structure), every structure well-formed (formatted area, strings, double NUL), and what they
 * say: manufacturer/product strings, one processor with a core per vCPU, memory devices adding up
 * to the RAM, mapped ranges below and above 4 GiB, the end marker last. */
#include "check.h"

#include "pc/smbios.h"

static uint32_t le(const uint8_t *p, unsigned n)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint32_t)p[i] << (8 * i);
    return v;
}

/* The n-th string (1-based) of the structure at s, or "" */
static const char *str(const uint8_t *s, unsigned n)
{
    const char *p = (const char *)s + s[1];
    for (unsigned i = 1; n && *p; i++) {
        if (i == n)
            return p;
        p += strlen(p) + 1;
    }
    return "";
}

struct summary {
    unsigned count, cpus, dimms, ranges, max_struct, ends;
    unsigned cores, cores_enabled, threads, cpu_len;
    uint64_t dimm_mb;
    uint32_t range_start[2], range_end[2];
    const uint8_t *sys;
    int last_type;
};

static void walk(const struct hk_smbios *t, struct summary *s)
{
    memset(s, 0, sizeof(*s));
    size_t off = 0;
    while (off < t->tables_len) {
        const uint8_t *h = t->tables + off;
        CHECK(off + 4 <= t->tables_len && h[1] >= 4 && off + h[1] + 2 <= t->tables_len);
        if (!(off + 4 <= t->tables_len && h[1] >= 4 && off + h[1] + 2 <= t->tables_len))
            return;
        size_t end = off + h[1];
        /* strings end with a double NUL */
        while (end + 1 < t->tables_len && !(t->tables[end] == 0 && t->tables[end + 1] == 0))
            end++;
        end += 2;
        if (end - off > s->max_struct)
            s->max_struct = (unsigned)(end - off);
        s->count++;
        s->last_type = h[0];
        switch (h[0]) {
        case 1: s->sys = h; break;
        case 4:
            s->cpus++;
            s->cpu_len = h[1];
            if (h[1] >= 0x26) {
                s->cores = h[0x23];
                s->cores_enabled = h[0x24];
                s->threads = h[0x25];
            }
            break;
        case 17:
            s->dimms++;
            s->dimm_mb += le(h + 12, 2);
            break;
        case 19:
            if (s->ranges < 2) {
                s->range_start[s->ranges] = le(h + 4, 4);
                s->range_end[s->ranges] = le(h + 8, 4);
            }
            s->ranges++;
            break;
        case 127: s->ends++; break;
        }
        off = end;
    }
    CHECK_EQ(off, t->tables_len);
}

static void check_anchor(const struct hk_smbios *t, const struct summary *s)
{
    const uint8_t *a = t->anchor;
    CHECK(memcmp(a, "_SM_", 4) == 0 && memcmp(a + 0x10, "_DMI_", 5) == 0);
    uint8_t sum = 0;
    for (unsigned i = 0; i < 0x1F; i++)
        sum = (uint8_t)(sum + a[i]);
    CHECK_EQ(sum, 0);
    sum = 0;
    for (unsigned i = 0x10; i < 0x1F; i++)
        sum = (uint8_t)(sum + a[i]);
    CHECK_EQ(sum, 0);
    CHECK_EQ(a[5], 0x1F);
    CHECK(a[6] == 2 && a[7] == 8);
    CHECK_EQ(le(a + 0x16, 2), t->tables_len);
    CHECK_EQ(le(a + 0x1C, 2), s->count);
    CHECK_EQ(le(a + 8, 2), s->max_struct);
}

static void test_small(void)
{
    struct hk_smbios_params p = {2, 1ull << 30, 0, "0.1.0", NULL};
    struct hk_smbios t;
    CHECK_EQ(hk_smbios_build(&p, &t), 0);
    struct summary s;
    walk(&t, &s);
    check_anchor(&t, &s);
    /* one socket with a core per vCPU, as CPUID says (not a socket per vCPU) */
    CHECK_EQ(s.cpus, 1);
    CHECK_EQ(s.cpu_len, 0x2A);
    CHECK_EQ(s.cores, 2);
    CHECK_EQ(s.cores_enabled, 2);
    CHECK_EQ(s.threads, 2);
    CHECK_EQ(s.dimms, 1);
    CHECK_EQ(s.dimm_mb, 1024);
    CHECK_EQ(s.ranges, 1);
    CHECK_EQ(s.range_start[0], 0);
    CHECK_EQ(s.range_end[0], (1u << 20) - 1); /* KiB, inclusive */
    CHECK(s.sys != NULL);
    if (s.sys) {
        CHECK_STR(str(s.sys, s.sys[4]), "Hako");
        CHECK_STR(str(s.sys, s.sys[5]), "Hako Virtual Machine");
        CHECK_STR(str(s.sys, s.sys[6]), "0.1.0");
        static const uint8_t zero[16];
        CHECK(memcmp(s.sys + 8, zero, 16) == 0); /* no UUID given: all zeros */
    }
    CHECK_EQ(s.ends, 1);
    CHECK_EQ(s.last_type, 127);
    hk_smbios_free(&t);
}

static void test_large(void)
{
    /* 40 GiB: 3.5 GiB below the PCI hole, the rest above 4 GiB; three 16 GiB-or-less devices */
    uint64_t below = 0xE0000000ull, above = (40ull << 30) - below;
    struct hk_smbios_params p = {16, below, above, NULL, NULL};
    struct hk_smbios t;
    CHECK_EQ(hk_smbios_build(&p, &t), 0);
    struct summary s;
    walk(&t, &s);
    check_anchor(&t, &s);
    CHECK_EQ(s.cpus, 1);
    CHECK_EQ(s.cores, 16);
    CHECK_EQ(s.threads, 16);
    CHECK_EQ(s.dimms, 3);
    CHECK_EQ(s.dimm_mb, 40 * 1024);
    CHECK_EQ(s.ranges, 2);
    CHECK_EQ(s.range_end[0], (uint32_t)(below >> 10) - 1);
    CHECK_EQ(s.range_start[1], 4u << 20);
    CHECK_EQ(s.range_end[1], (uint32_t)(((4ull << 30) + above) >> 10) - 1);
    hk_smbios_free(&t);
}

static void test_uuid(void)
{
    uint8_t u[16];
    CHECK_EQ(hk_uuid_parse("8c6b9a3e-2f41-4d5c-9e07-1b2a3c4d5e6f", u), 0);
    static const uint8_t want[16] = {0x8c, 0x6b, 0x9a, 0x3e, 0x2f, 0x41, 0x4d, 0x5c,
                                     0x9e, 0x07, 0x1b, 0x2a, 0x3c, 0x4d, 0x5e, 0x6f};
    CHECK(memcmp(u, want, 16) == 0);
    CHECK_EQ(hk_uuid_parse("8C6B9A3E-2F41-4D5C-9E07-1B2A3C4D5E6F", u), 0);
    CHECK(memcmp(u, want, 16) == 0);
    static const char *const bad[] = {"",
                                      "8c6b9a3e",
                                      "8c6b9a3e-2f41-4d5c-9e07-1b2a3c4d5e6",
                                      "8c6b9a3e-2f41-4d5c-9e07-1b2a3c4d5e6f0",
                                      "8c6b9a3e2f41-4d5c-9e07-1b2a3c4d5e6f0",
                                      "8c6b9a3e-2f41-4d5c-9e07_1b2a3c4d5e6f",
                                      "8c6b9a3g-2f41-4d5c-9e07-1b2a3c4d5e6f",
                                      "{8c6b9a3e-2f41-4d5c-9e07-1b2a3c4d5e6f}",
                                      NULL};
    for (unsigned i = 0; bad[i]; i++)
        CHECK_EQ(hk_uuid_parse(bad[i], u), -1);

    /* SMBIOS 2.6+: time_low, time_mid and time_hi_and_version little-endian, the rest as is */
    struct hk_smbios_params p = {1, 256u << 20, 0, NULL, want};
    struct hk_smbios t;
    CHECK_EQ(hk_smbios_build(&p, &t), 0);
    struct summary s;
    walk(&t, &s);
    CHECK(s.sys != NULL);
    if (s.sys) {
        static const uint8_t wire[16] = {0x3e, 0x9a, 0x6b, 0x8c, 0x41, 0x2f, 0x5c, 0x4d,
                                         0x9e, 0x07, 0x1b, 0x2a, 0x3c, 0x4d, 0x5e, 0x6f};
        CHECK(memcmp(s.sys + 8, wire, 16) == 0);
    }
    hk_smbios_free(&t);
}

TEST_MAIN(TEST(test_small), TEST(test_large), TEST(test_uuid))
