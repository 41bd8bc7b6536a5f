/* The MSRs of a vCPU's power-on state (vmm/core/msrs.c): the architectural ones, KVM's paravirtual
 * ones where KVM lists them (the list recorded from this development host's
 * KVM_GET_MSR_INDEX_LIST, and one from a KVM without steal time or poll control), and
 * IA32_MISC_ENABLE with fast strings. */
#include "check.h"

#include "core/msrs.h"

/* KVM_GET_MSR_INDEX_LIST on the development host (Linux 6.18, Intel) */
static const uint32_t host_list[] = {
    0x174,      0x175,      0x176,      0xc0000081, 0xc0000083, 0xc0000102, 0xc0000084, 0xc0000082,
    0x10,       0x277,      0xc0010117, 0x3a,       0x48,       0x122,      0x1d9,      0x1db,
    0x1dc,      0x1dd,      0x1de,      0x12,       0x11,       0x4b564d01, 0x4b564d00, 0x4b564d02,
    0x4b564d03, 0x4b564d04, 0x4b564d06, 0x4b564d07, 0x3b,       0x6e0,      0x10a,      0x345,
    0x1a0,      0x17a,      0x17b,      0x34,       0xce,       0x140,      0xc001011f, 0x1fc,
    0x8b,       0xc0010015, 0x4b564d05,
};

static bool has(const uint32_t *l, size_t n, uint32_t msr)
{
    for (size_t i = 0; i < n; i++)
        if (l[i] == msr)
            return true;
    return false;
}

static size_t position(const uint32_t *l, size_t n, uint32_t msr)
{
    for (size_t i = 0; i < n; i++)
        if (l[i] == msr)
            return i;
    return n;
}

static void test_paravirtual(void)
{
    uint32_t out[96];
    size_t n = hk_power_on_msrs(host_list, sizeof(host_list) / sizeof(host_list[0]), out, 96);
    CHECK(n <= 96);
    static const uint32_t pv[] = {0x11,       0x12,       0x4b564d00, 0x4b564d01, 0x4b564d02,
                                  0x4b564d03, 0x4b564d04, 0x4b564d05, 0x4b564d06};
    for (size_t i = 0; i < sizeof(pv) / sizeof(pv[0]); i++) {
        CHECK(has(out, n, pv[i]));
        CHECK(hk_msr_is_paravirtual(pv[i]));
    }
    /* the async-PF acknowledgement is not state; KVM's reset leaves it alone */
    CHECK(!has(out, n, 0x4b564d07));
    /* the async-PF vector is written before the enable that needs it */
    CHECK(position(out, n, 0x4b564d06) < position(out, n, 0x4b564d02));
    /* architectural ones stay */
    CHECK(has(out, n, 0x1A0));
    CHECK(has(out, n, 0x277));
    CHECK(has(out, n, 0x2FF));
    CHECK(has(out, n, 0xC0000082));
    /* no duplicates */
    for (size_t i = 0; i < n; i++)
        CHECK_EQ(position(out, n, out[i]), i);
}

static void test_only_what_kvm_knows(void)
{
    /* an older KVM: kvmclock and async PF, no steal time, PV-EOI, poll control or PF vector */
    static const uint32_t old[] = {0x174, 0x11, 0x12, 0x4b564d00, 0x4b564d01, 0x4b564d02};
    uint32_t out[96];
    size_t n = hk_power_on_msrs(old, 6, out, 96);
    CHECK(has(out, n, 0x12) && has(out, n, 0x4b564d01) && has(out, n, 0x4b564d02));
    CHECK(!has(out, n, 0x4b564d03) && !has(out, n, 0x4b564d04) && !has(out, n, 0x4b564d05) &&
          !has(out, n, 0x4b564d06));
    /* no list at all (KVM_GET_MSR_INDEX_LIST failed): the architectural ones only */
    size_t bare = hk_power_on_msrs(NULL, 0, out, 96);
    CHECK(bare < n);
    CHECK(!has(out, bare, 0x12));
    /* a short buffer still tells the full count */
    CHECK_EQ(hk_power_on_msrs(host_list, sizeof(host_list) / sizeof(host_list[0]), out, 4),
             hk_power_on_msrs(host_list, sizeof(host_list) / sizeof(host_list[0]), out, 96));
}

static void test_fast_strings(void)
{
    /* KVM's IA32_MISC_ENABLE default: BTS and PEBS unavailable, fast strings off */
    CHECK_EQ(hk_power_on_msr_value(0x1A0, 0x1800), 0x1801);
    CHECK_EQ(hk_power_on_msr_value(0x1A0, 0x1801), 0x1801);
    /* others as KVM made them (poll control powers on as 1) */
    CHECK_EQ(hk_power_on_msr_value(0x4b564d05, 1), 1);
    CHECK_EQ(hk_power_on_msr_value(0x4b564d03, 0), 0);
}

TEST_MAIN(TEST(test_paravirtual), TEST(test_only_what_kvm_knows), TEST(test_fast_strings))
