/* The strict number parsers every part of Hako shares (vmm/common/size.c): sizes, memory sizes
 * (a bare number is MiB), whole numbers in a range, seconds, resolutions. No sign, space,
 * exponent, inf/nan, trailing text or wrap-around gets through. */
#include "check.h"

#include "hako/size.h"

static void test_sizes(void)
{
    uint64_t v = 7;
    CHECK_EQ(hk_parse_size("512", &v), 0);
    CHECK_EQ(v, 512);
    CHECK_EQ(hk_parse_size("20G", &v), 0);
    CHECK_EQ(v, 20ull << 30);
    CHECK_EQ(hk_parse_size("20GiB", &v), 0);
    CHECK_EQ(v, 20ull << 30);
    CHECK_EQ(hk_parse_size("20gb", &v), 0);
    CHECK_EQ(v, 20ull << 30);
    CHECK_EQ(hk_parse_size("3B", &v), 0);
    CHECK_EQ(v, 3);
    CHECK_EQ(hk_parse_size("16383P", &v), -1);
    CHECK_EQ(hk_parse_size("16777215T", &v), 0);
    CHECK_EQ(hk_parse_size("16777216T", &v), -1); /* 2^64: overflow, not 0 */
    CHECK_EQ(hk_parse_size("18446744073709551615", &v), 0);
    CHECK_EQ(v, UINT64_MAX);
    CHECK_EQ(hk_parse_size("18446744073709551616", &v), -1);
    v = 7;
    static const char *const bad[] = {"",  "-1",  "+1",  " 1",  "1 ",  "1.5G", "1e3", "0x10",
                                      "G", "1GG", "1Bi", "1iB", "nan", "inf",  "1K2"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (hk_parse_size(bad[i], &v) != -1)
            fprintf(stderr, "size '%s' accepted\n", bad[i]);
        CHECK_EQ(hk_parse_size(bad[i], &v), -1);
    }
    CHECK_EQ(v, 7); /* untouched on error */
    CHECK_EQ(hk_parse_size(NULL, &v), -1);
}

static void test_memory(void)
{
    uint64_t v;
    CHECK_EQ(hk_parse_memory("512", &v), 0);
    CHECK_EQ(v, 512ull << 20);
    CHECK_EQ(hk_parse_memory("1048576", &v), 0); /* MiB, not bytes */
    CHECK_EQ(v, 1ull << 40);
    CHECK_EQ(hk_parse_memory("1048576K", &v), 0);
    CHECK_EQ(v, 1ull << 30);
    CHECK_EQ(hk_parse_memory("17592186044416", &v), -1); /* MiB: overflows 2^64 bytes */
    uint64_t mib;
    CHECK_EQ(hk_parse_memory_mib("2G", &mib), 0);
    CHECK_EQ(mib, 2048);
    CHECK_EQ(hk_parse_memory_mib("1536", &mib), 0);
    CHECK_EQ(mib, 1536);
    CHECK_EQ(hk_parse_memory_mib("512K", &mib), -1); /* under a MiB */
    CHECK_EQ(hk_parse_memory_mib("0", &mib), -1);
    CHECK_EQ(hk_parse_memory_mib(" 2G", &mib), -1);
}

static void test_uint(void)
{
    uint64_t v;
    CHECK_EQ(hk_parse_uint("16", 10, 1, 16, &v), 0);
    CHECK_EQ(v, 16);
    CHECK_EQ(hk_parse_uint("17", 10, 1, 16, &v), -1);
    CHECK_EQ(hk_parse_uint("0", 10, 1, 16, &v), -1);
    CHECK_EQ(hk_parse_uint("0x10", 10, 0, 100, &v), -1);
    CHECK_EQ(hk_parse_uint("0x10", 0, 0, 100, &v), 0);
    CHECK_EQ(v, 16);
    CHECK_EQ(hk_parse_uint("0xffff", 0, 1, 0xFFFF, &v), 0);
    CHECK_EQ(hk_parse_uint("0x10000", 0, 1, 0xFFFF, &v), -1);
    CHECK_EQ(hk_parse_uint("0x", 0, 0, 100, &v), -1);
    CHECK_EQ(hk_parse_uint("-1", 10, 0, UINT64_MAX, &v), -1);
    CHECK_EQ(hk_parse_uint("4294967297", 10, 0, 0xFFFFFFFF, &v), -1); /* no wrap to 1 */
    CHECK_EQ(hk_parse_uint("99999999999999999999", 10, 0, UINT64_MAX, &v), -1);
    CHECK_EQ(hk_parse_uint("1 ", 10, 0, 9, &v), -1);
    CHECK_EQ(hk_parse_uint("", 10, 0, 9, &v), -1);
}

static void test_seconds(void)
{
    uint64_t ns;
    CHECK_EQ(hk_parse_seconds("5", 0, UINT64_MAX, &ns), 0);
    CHECK_EQ(ns, 5000000000ull);
    CHECK_EQ(hk_parse_seconds("0.25", 0, UINT64_MAX, &ns), 0);
    CHECK_EQ(ns, 250000000ull);
    CHECK_EQ(hk_parse_seconds(".5", 0, UINT64_MAX, &ns), 0);
    CHECK_EQ(ns, 500000000ull);
    CHECK_EQ(hk_parse_seconds("5.", 0, UINT64_MAX, &ns), 0);
    CHECK_EQ(ns, 5000000000ull);
    CHECK_EQ(hk_parse_seconds("0.000000001", 0, UINT64_MAX, &ns), 0);
    CHECK_EQ(ns, 1);
    static const char *const bad[] = {"nan", "inf", "1e-300", "1e3",          "-1",
                                      "+1",  " 1",  "1 ",     "0x10",         "0x1p3",
                                      ".",   "",    "1..2",   "0.0000000001", "99999999999"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (hk_parse_seconds(bad[i], 0, 10000000000000000000ull, &ns) != -1)
            fprintf(stderr, "seconds '%s' accepted\n", bad[i]);
        CHECK_EQ(hk_parse_seconds(bad[i], 0, 10000000000000000000ull, &ns), -1);
    }
    CHECK_EQ(hk_parse_seconds("0", 1, 10, &ns), -1); /* below the minimum */
    CHECK_EQ(hk_scan_seconds("2.5:esc", 0, UINT64_MAX, &ns), 3);
    CHECK_EQ(ns, 2500000000ull);
    CHECK_EQ(hk_scan_seconds(":esc", 0, UINT64_MAX, &ns), 0);
}

static void test_resolution(void)
{
    unsigned w = 1, h = 1;
    CHECK_EQ(hk_parse_resolution("1280x800", 64, 4095, &w, &h), 0);
    CHECK_EQ(w, 1280);
    CHECK_EQ(h, 800);
    CHECK_EQ(hk_parse_resolution("640X480", 64, 4095, &w, &h), 0);
    CHECK_EQ(hk_parse_resolution("4294968576x800", 64, 4095, &w, &h), -1); /* wrapped to 1280 */
    CHECK_EQ(hk_parse_resolution("-1x800", 64, 4095, &w, &h), -1);
    CHECK_EQ(hk_parse_resolution("1280x800 ", 64, 4095, &w, &h), -1);
    CHECK_EQ(hk_parse_resolution("1280x", 64, 4095, &w, &h), -1);
    CHECK_EQ(hk_parse_resolution("x800", 64, 4095, &w, &h), -1);
    CHECK_EQ(hk_parse_resolution("4096x800", 64, 4095, &w, &h), -1);
    CHECK_EQ(w, 640);
}

TEST_MAIN(TEST(test_sizes), TEST(test_memory), TEST(test_uint), TEST(test_seconds),
          TEST(test_resolution))
