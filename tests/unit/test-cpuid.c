/* The CPUID table each vCPU gets (vmm/core/cpuid.c), fed with KVM_GET_SUPPORTED_CPUID tables of an
 * Intel host (recorded) and an AMD host of Linux 6.1 (written from the kernel's code; see the data
 * files' headers), for 1, 2 and 16 vCPUs: the topology leaves 0xB/0x1F (subleaves 0, 1 and the
 * end), leaf 4's sharing bits, 0x80000008 ECX, 0x8000001E, leaf 1 (APIC ID, count, HTT, TSC
 * deadline), and the topology Linux 6.1 derives from them (one package, N cores).
 *
 * And the topology fields next to what a Linux guest read under QEMU 7.2 TCG with
 * -smp 2,sockets=1,cores=2 (an Intel model next to the Intel table, an AMD one next to the AMD
 * table).
 *
 * usage: test-cpuid INTEL.txt AMD.txt QEMU-INTEL.txt QEMU-AMD.txt */
#include "check.h"

#include <errno.h>

#include "core/cpuid.h"

static const char *intel_path, *amd_path, *qemu_intel_path, *qemu_amd_path;

static struct kvm_cpuid2 *load(const char *path)
{
    FILE *f = fopen(path, "r");
    CHECK(f != NULL);
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        return NULL;
    }
    struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + 256 * sizeof(c->entries[0]));
    char line[256];
    while (c && fgets(line, sizeof(line), f)) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        struct kvm_cpuid_entry2 e = {0};
        int n = sscanf(line, "leaf 0x%x index 0x%x flags 0x%x: eax=0x%x ebx=0x%x ecx=0x%x edx=0x%x",
                       &e.function, &e.index, &e.flags, &e.eax, &e.ebx, &e.ecx, &e.edx);
        CHECK_EQ(n, 7);
        if (n == 7 && c->nent < 256)
            c->entries[c->nent++] = e;
    }
    fclose(f);
    CHECK(c && c->nent > 10);
    return c;
}

static struct kvm_cpuid_entry2 *find_mut(struct kvm_cpuid2 *c, unsigned fn, unsigned idx)
{
    return (struct kvm_cpuid_entry2 *)hk_cpuid_find(c, fn, idx);
}

static unsigned count_fn(const struct kvm_cpuid2 *c, unsigned fn)
{
    unsigned n = 0;
    for (unsigned i = 0; i < c->nent; i++)
        n += c->entries[i].function == fn;
    return n;
}

static unsigned order(unsigned n)
{
    unsigned b = 0;
    while ((1u << b) < n)
        b++;
    return b;
}

/* Leaves 0xB / 0x1F: SMT level of 1 thread, core level of n, then the end; EDX the x2APIC ID. */
static void check_topology_leaf(const struct kvm_cpuid2 *c, unsigned fn, unsigned n, unsigned id)
{
    CHECK_EQ(count_fn(c, fn), 3);
    const struct kvm_cpuid_entry2 *s0 = hk_cpuid_find(c, fn, 0), *s1 = hk_cpuid_find(c, fn, 1),
                                  *s2 = hk_cpuid_find(c, fn, 2);
    CHECK(s0 && s1 && s2);
    if (!s0 || !s1 || !s2)
        return;
    CHECK(s0->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX);
    CHECK(s1->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX);
    CHECK(s2->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX);
    CHECK_EQ(s0->eax & 0x1F, 0);
    CHECK_EQ(s0->ebx & 0xFFFF, 1);
    CHECK_EQ(s0->ecx, 0x100); /* level 0, type SMT */
    CHECK_EQ(s0->edx, id);
    CHECK_EQ(s1->eax & 0x1F, order(n));
    CHECK_EQ(s1->ebx & 0xFFFF, n); /* logical processors at core level: the package */
    CHECK_EQ(s1->ecx, 0x201);      /* level 1, type core */
    CHECK_EQ(s1->edx, id);
    CHECK_EQ(s2->ebx & 0xFFFF, 0);
    CHECK_EQ((s2->ecx >> 8) & 0xFF, 0); /* type invalid: no more levels */
    CHECK_EQ(s2->ecx & 0xFF, 2);
    CHECK_EQ(s2->edx, id);
}

/* What Linux 6.1's detect_extended_topology() makes of leaf 0xB (or 0x1F): package and core IDs
 * from the APIC ID. */
static void linux_topology(const struct kvm_cpuid2 *c, unsigned *pkg, unsigned *core,
                           unsigned *threads)
{
    unsigned leaf =
        hk_cpuid_find(c, 0x1F, 0) && (hk_cpuid_find(c, 0x1F, 0)->ebx & 0xFFFF) ? 0x1F : 0xB;
    const struct kvm_cpuid_entry2 *s0 = hk_cpuid_find(c, leaf, 0);
    *pkg = *core = *threads = ~0u;
    if (!s0 || !(s0->ebx & 0xFFFF))
        return; /* no extended topology: Linux falls back to leaf 1/4 */
    unsigned apic = s0->edx, ht_width = s0->eax & 0x1F, core_plus_width = ht_width;
    *threads = s0->ebx & 0xFFFF;
    for (unsigned sub = 1; sub < 8; sub++) {
        const struct kvm_cpuid_entry2 *s = hk_cpuid_find(c, leaf, sub);
        if (!s || !((s->ecx >> 8) & 0xFF))
            break;
        core_plus_width = s->eax & 0x1F;
    }
    *pkg = apic >> core_plus_width;
    *core = (apic & ((1u << core_plus_width) - 1)) >> ht_width;
}

static void check_common(const struct kvm_cpuid2 *sup, const struct kvm_cpuid2 *c, unsigned n,
                         unsigned id, const struct hk_cpuid_caps *caps)
{
    CHECK(c->nent <= 256); /* KVM_MAX_CPUID_ENTRIES */
    const struct kvm_cpuid_entry2 *l1 = hk_cpuid_find(c, 1, 0);
    CHECK(l1 != NULL);
    if (l1) {
        CHECK_EQ(l1->ebx >> 24, id);
        CHECK_EQ((l1->ebx >> 16) & 0xFF, n > 1 ? n : 0);
        CHECK_EQ(l1->ebx & 0xFFFF, hk_cpuid_find(sup, 1, 0)->ebx & 0xFFFF);
        CHECK_EQ((l1->edx >> 28) & 1, n > 1);
        CHECK(l1->ecx & (1u << 31)); /* hypervisor */
        if (caps->tsc_deadline)
            CHECK(l1->ecx & (1u << 24));
        else
            CHECK_EQ(l1->ecx & (1u << 24), hk_cpuid_find(sup, 1, 0)->ecx & (1u << 24));
    }
    if (hk_cpuid_find(sup, 0xB, 0))
        check_topology_leaf(c, 0xB, n, id);
    if (hk_cpuid_find(sup, 0x1F, 0))
        check_topology_leaf(c, 0x1F, n, id);
    unsigned pkg, core, threads;
    linux_topology(c, &pkg, &core, &threads);
    CHECK_EQ(pkg, 0);
    CHECK_EQ(core, id);
    CHECK_EQ(threads, 1);
    /* leaves without per-vCPU or topology content are KVM's */
    const unsigned same[] = {0, 7, 0xD, 0x80000000, 0x40000001};
    for (unsigned i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
        const struct kvm_cpuid_entry2 *a = hk_cpuid_find(sup, same[i], 0),
                                      *b = hk_cpuid_find(c, same[i], 0);
        CHECK(a && b && memcmp(a, b, sizeof(*a)) == 0);
    }
    /* hidden: the architectural PMU and SEV */
    const struct kvm_cpuid_entry2 *pmu = hk_cpuid_find(c, 0xA, 0);
    CHECK(!pmu || (pmu->eax | pmu->ebx | pmu->ecx | pmu->edx) == 0);
}

static void test_intel(void)
{
    struct kvm_cpuid2 *sup = load(intel_path);
    if (!sup)
        return;
    CHECK_EQ(hk_cpuid_vendor(sup), HK_CPU_INTEL);
    /* as KVM hands it: subleaf 0 of 0xB zeroed, no subleaf 1 */
    CHECK_EQ(count_fn(sup, 0xB), 1);
    struct hk_cpuid_caps caps = {.tsc_deadline = true};
    const unsigned counts[] = {1, 2, 16};
    for (unsigned k = 0; k < 3; k++) {
        unsigned n = counts[k];
        for (unsigned id = 0; id < n; id++) {
            struct kvm_cpuid2 *c = hk_cpuid_for_vcpu(sup, n, id, &caps);
            CHECK(c != NULL);
            if (!c)
                continue;
            check_common(sup, c, n, id, &caps);
            /* leaf 4: cores per package - 1 in 31:26; L1/L2 private, L3 shared by the package */
            unsigned caches = 0;
            for (unsigned sub = 0; sub < 8; sub++) {
                const struct kvm_cpuid_entry2 *e = hk_cpuid_find(c, 4, sub);
                if (!e || !(e->eax & 0x1F))
                    break;
                caches++;
                unsigned level = (e->eax >> 5) & 7, sharing = ((e->eax >> 14) & 0xFFF) + 1;
                CHECK_EQ(e->eax >> 26, n - 1);
                CHECK_EQ(sharing, level >= 3 ? 1u << order(n) : 1);
                CHECK_EQ(e->eax & 0x3FFF, hk_cpuid_find(sup, 4, sub)->eax & 0x3FFF);
                /* what Linux derives: the L3 of every vCPU has one ID (apicid >> order) */
                if (level == 3)
                    CHECK_EQ(id >> order(sharing), 0);
            }
            CHECK_EQ(caches, 4);
            /* 0x80000008 ECX as QEMU has it for Intel models too */
            CHECK_EQ(hk_cpuid_find(c, 0x80000008, 0)->ecx & 0xF0FF, order(n) << 12 | (n - 1));
            free(c);
        }
    }
    /* a 6.1 kernel does not list TSC deadline: the capability sets it, its absence leaves it off */
    find_mut(sup, 1, 0)->ecx &= ~(1u << 24);
    struct kvm_cpuid2 *c = hk_cpuid_for_vcpu(sup, 2, 1, &caps);
    CHECK(c && (hk_cpuid_find(c, 1, 0)->ecx & (1u << 24)));
    free(c);
    struct hk_cpuid_caps none = {0};
    c = hk_cpuid_for_vcpu(sup, 2, 1, &none);
    CHECK(c && !(hk_cpuid_find(c, 1, 0)->ecx & (1u << 24)));
    free(c);
    free(sup);
}

static void test_amd(void)
{
    struct kvm_cpuid2 *sup = load(amd_path);
    if (!sup)
        return;
    CHECK_EQ(hk_cpuid_vendor(sup), HK_CPU_AMD);
    /* give 0x8000001D the host's cache data (6.1 zeroes it; a kernel that passes it through must
     * not leak the host's sharing counts either): L1d shared by 2 threads, L3 by 16 */
    struct kvm_cpuid_entry2 *d = find_mut(sup, 0x8000001D, 0);
    d->eax = (1u << 14) | (1 << 5) | 1;
    d->flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
    struct kvm_cpuid2 *sup2 =
        realloc(sup, sizeof(*sup) + (sup->nent + 1) * sizeof(sup->entries[0]));
    CHECK(sup2 != NULL);
    if (!sup2) {
        free(sup);
        return;
    }
    sup = sup2;
    sup->entries[sup->nent++] = (struct kvm_cpuid_entry2){.function = 0x8000001D,
                                                          .index = 1,
                                                          .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
                                                          .eax = (15u << 14) | (3 << 5) | 3};
    struct hk_cpuid_caps caps = {.tsc_deadline = true};
    const unsigned counts[] = {1, 2, 16};
    for (unsigned k = 0; k < 3; k++) {
        unsigned n = counts[k];
        for (unsigned id = 0; id < n; id++) {
            struct kvm_cpuid2 *c = hk_cpuid_for_vcpu(sup, n, id, &caps);
            CHECK(c != NULL);
            if (!c)
                continue;
            check_common(sup, c, n, id, &caps);
            /* 0x80000001: CmpLegacy with more than one core; TOPOEXT stays */
            const struct kvm_cpuid_entry2 *x1 = hk_cpuid_find(c, 0x80000001, 0);
            CHECK_EQ((x1->ecx >> 1) & 1, n > 1);
            CHECK(x1->ecx & (1u << 22));
            /* 0x80000008 ECX: NC = cores - 1, ApicIdSize; the host's 128 threads are gone */
            const struct kvm_cpuid_entry2 *x8 = hk_cpuid_find(c, 0x80000008, 0);
            CHECK_EQ(x8->ecx & 0xFF, n - 1);
            CHECK_EQ((x8->ecx >> 12) & 0xF, order(n));
            CHECK_EQ(x8->eax, hk_cpuid_find(sup, 0x80000008, 0)->eax);
            /* 0x8000001E: extended APIC ID, core ID, one thread per core, node 0 of 1 */
            const struct kvm_cpuid_entry2 *x1e = hk_cpuid_find(c, 0x8000001E, 0);
            CHECK(x1e != NULL);
            if (x1e) {
                CHECK_EQ(x1e->eax, id);
                CHECK_EQ(x1e->ebx & 0xFF, id);
                CHECK_EQ((x1e->ebx >> 8) & 0xFF, 0);
                CHECK_EQ(x1e->ecx & 0x7FF, 0);
            }
            /* 0x8000001D: L1 private, L3 shared by the package */
            CHECK_EQ((hk_cpuid_find(c, 0x8000001D, 0)->eax >> 14) & 0xFFF, 0);
            CHECK_EQ((hk_cpuid_find(c, 0x8000001D, 1)->eax >> 14) & 0xFFF, n - 1);
            /* Linux 6.1 amd_get_topology: max cores from NC, core ID from 0x8000001E EBX */
            CHECK_EQ((x8->ecx & 0xFF) + 1, n);
            free(c);
        }
    }
    /* 6.1 does not list TSC deadline on AMD either */
    struct hk_cpuid_caps none = {0};
    struct kvm_cpuid2 *c = hk_cpuid_for_vcpu(sup, 2, 0, &none);
    CHECK(c && !(hk_cpuid_find(c, 1, 0)->ecx & (1u << 24)));
    free(c);
    free(sup);
}

/* One register of the reference (what the guest read under QEMU): regs[vcpu][] by leaf/index. */
struct ref_entry {
    unsigned vcpu, leaf, index;
    uint32_t r[4];
};

static unsigned load_ref(const char *path, struct ref_entry *out, unsigned max)
{
    FILE *f = fopen(path, "r");
    CHECK(f != NULL);
    if (!f)
        return 0;
    char line[256];
    unsigned n = 0;
    while (n < max && fgets(line, sizeof(line), f)) {
        struct ref_entry e;
        if (sscanf(line, "vcpu %u leaf 0x%x index 0x%x: eax=0x%x ebx=0x%x ecx=0x%x edx=0x%x",
                   &e.vcpu, &e.leaf, &e.index, &e.r[0], &e.r[1], &e.r[2], &e.r[3]) == 7)
            out[n++] = e;
    }
    fclose(f);
    return n;
}

static const uint32_t *ref_regs(const struct ref_entry *ref, unsigned n, unsigned vcpu,
                                unsigned leaf, unsigned index)
{
    for (unsigned i = 0; i < n; i++)
        if (ref[i].vcpu == vcpu && ref[i].leaf == leaf && ref[i].index == index)
            return ref[i].r;
    return NULL;
}

/* The topology fields of vCPU `vcpu`'s table c against the reference; returns how many compared. */
static unsigned compare_topology(const struct kvm_cpuid2 *c, const struct ref_entry *ref,
                                 unsigned n, unsigned vcpu, enum hk_cpu_vendor vendor)
{
    struct field {
        unsigned leaf, index, reg;
        uint32_t mask;
    } fields[] = {
        {1, 0, 1, 0xFFFF0000}, /* APIC ID, logical processors per package */
        {1, 0, 3, 1u << 28},   /* HTT */
        {0xB, 0, 0, 0x1F},           {0xB, 0, 1, 0xFFFF},
        {0xB, 0, 2, 0xFFFF},         {0xB, 0, 3, ~0u},
        {0xB, 1, 0, 0x1F},           {0xB, 1, 1, 0xFFFF},
        {0xB, 1, 2, 0xFFFF},         {0xB, 1, 3, ~0u},
        {0xB, 2, 0, 0x1F},           {0xB, 2, 1, 0xFFFF},
        {0xB, 2, 2, 0xFFFF},         {0xB, 2, 3, ~0u},
        {0x80000008, 0, 2, 0xF0FF},  /* NC, ApicIdSize */
        {0x80000001, 0, 2, 1u << 1}, /* CmpLegacy */
        {4, 0, 0, 0xFFFFC000},       {4, 1, 0, 0xFFFFC000},
        {4, 2, 0, 0xFFFFC000},       {4, 3, 0, 0xFFFFC000}, /* cores, sharing (Intel) */
        {0x8000001E, 0, 0, ~0u},     {0x8000001E, 0, 1, 0xFFFF},
        {0x8000001E, 0, 2, 0x7FF},
    };
    unsigned compared = 0;
    for (unsigned i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        const struct field *fl = &fields[i];
        if (fl->leaf == 4 && vendor != HK_CPU_INTEL)
            continue;
        if (fl->leaf == 0x8000001E && vendor != HK_CPU_AMD)
            continue;
        const uint32_t *want = ref_regs(ref, n, vcpu, fl->leaf, fl->index);
        const struct kvm_cpuid_entry2 *e = hk_cpuid_find(c, fl->leaf, fl->index);
        CHECK(want != NULL && e != NULL);
        if (!want || !e)
            continue;
        uint32_t got[4] = {e->eax, e->ebx, e->ecx, e->edx};
        if ((got[fl->reg] & fl->mask) != (want[fl->reg] & fl->mask))
            fprintf(stderr, "vcpu %u leaf 0x%x.%u reg %u: engine 0x%08x, QEMU 0x%08x (mask 0x%x)\n",
                    vcpu, fl->leaf, fl->index, fl->reg, got[fl->reg], want[fl->reg], fl->mask);
        CHECK_EQ(got[fl->reg] & fl->mask, want[fl->reg] & fl->mask);
        compared++;
    }
    return compared;
}

static void test_qemu_reference(void)
{
    const char *tables[2] = {intel_path, amd_path}, *refs[2] = {qemu_intel_path, qemu_amd_path};
    for (unsigned k = 0; k < 2; k++) {
        struct kvm_cpuid2 *sup = load(tables[k]);
        static struct ref_entry ref[128];
        unsigned n = load_ref(refs[k], ref, 128);
        CHECK(n > 10);
        if (!sup)
            continue;
        enum hk_cpu_vendor vendor = hk_cpuid_vendor(sup);
        struct hk_cpuid_caps caps = {.tsc_deadline = true};
        for (unsigned vcpu = 0; vcpu < 2; vcpu++) {
            struct kvm_cpuid2 *c = hk_cpuid_for_vcpu(sup, 2, vcpu, &caps);
            CHECK(c != NULL);
            if (c)
                CHECK(compare_topology(c, ref, n, vcpu, vendor) >= 16);
            free(c);
        }
        free(sup);
    }
}

static void test_bad_arguments(void)
{
    struct kvm_cpuid2 *sup = load(intel_path);
    if (!sup)
        return;
    struct hk_cpuid_caps caps = {0};
    errno = 0;
    CHECK(hk_cpuid_for_vcpu(sup, 2, 2, &caps) == NULL && errno == EINVAL);
    CHECK(hk_cpuid_for_vcpu(sup, 0, 0, &caps) == NULL);
    CHECK(hk_cpuid_for_vcpu(NULL, 1, 0, &caps) == NULL);
    free(sup);
}

static void test_text(void)
{
    struct kvm_cpuid2 *sup = load(intel_path);
    if (!sup)
        return;
    struct hk_cpuid_caps caps = {.tsc_deadline = true};
    struct kvm_cpuid2 *c = hk_cpuid_for_vcpu(sup, 2, 1, &caps);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    CHECK(c && f && hk_cpuid_write_text(f, 1, c) == 0);
    if (f)
        fclose(f);
    CHECK(buf && strstr(buf, "vcpu 1 leaf 0x0000000b index 0x1: eax=0x00000001 ebx=0x00000002 "
                             "ecx=0x00000201 edx=0x00000001\n"));
    unsigned lines = 0;
    for (size_t i = 0; buf && i < len; i++)
        lines += buf[i] == '\n';
    CHECK_EQ(lines, c ? c->nent : 0);
    free(buf);
    free(c);
    free(sup);
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: %s INTEL.txt AMD.txt QEMU-INTEL.txt QEMU-AMD.txt\n", argv[0]);
        return 2;
    }
    intel_path = argv[1];
    amd_path = argv[2];
    qemu_intel_path = argv[3];
    qemu_amd_path = argv[4];
    static const struct hk_test_case tests[] = {TEST(test_intel), TEST(test_amd),
                                                TEST(test_qemu_reference), TEST(test_bad_arguments),
                                                TEST(test_text)};
    return hk_test_run(tests, sizeof(tests) / sizeof(tests[0]));
}
