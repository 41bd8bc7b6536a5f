#include "cpuid.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define LEAF_TOPO_SMT    1u /* leaf 0xB/0x1F ECX[15:8] level types */
#define LEAF_TOPO_CORE   2u
#define CPUID1_EDX_HTT   (1u << 28)
#define CPUID1_ECX_TSCD  (1u << 24)
#define CPUID1_ECX_HV    (1u << 31)
#define EXT1_ECX_CMPLEG  (1u << 1)
#define EXT1_ECX_TOPOEXT (1u << 22)

enum hk_cpu_vendor hk_cpuid_vendor(const struct kvm_cpuid2 *c)
{
    const struct kvm_cpuid_entry2 *e = hk_cpuid_find(c, 0, 0);
    if (!e)
        return HK_CPU_OTHER;
    if (e->ebx == 0x756e6547 && e->edx == 0x49656e69 && e->ecx == 0x6c65746e) /* GenuineIntel */
        return HK_CPU_INTEL;
    if (e->ebx == 0x68747541 && e->edx == 0x69746e65 && e->ecx == 0x444d4163) /* AuthenticAMD */
        return HK_CPU_AMD;
    if (e->ebx == 0x6f677948 && e->edx == 0x6e65476e && e->ecx == 0x656e6975) /* HygonGenuine */
        return HK_CPU_AMD;
    return HK_CPU_OTHER;
}

const struct kvm_cpuid_entry2 *hk_cpuid_find(const struct kvm_cpuid2 *c, unsigned function,
                                             unsigned index)
{
    for (unsigned i = 0; i < c->nent; i++) {
        const struct kvm_cpuid_entry2 *e = &c->entries[i];
        if (e->function != function)
            continue;
        if (!(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) || e->index == index)
            return e;
    }
    return NULL;
}

/* Bits of the APIC ID that number the cores of the package (threads take none). */
static unsigned core_bits(unsigned ncpus)
{
    unsigned b = 0;
    while ((1u << b) < ncpus)
        b++;
    return b;
}

/* Leaves 0xB and 0x1F: SMT level (one thread per core), core level (the package), then the end. */
static void topology_leaf(struct kvm_cpuid_entry2 out[3], unsigned function, unsigned ncpus,
                          uint32_t apic)
{
    for (unsigned i = 0; i < 3; i++) {
        memset(&out[i], 0, sizeof(out[i]));
        out[i].function = function;
        out[i].index = i;
        out[i].flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
        out[i].edx = apic;
    }
    out[0].eax = 0; /* APIC ID bits to shift off to reach the core level */
    out[0].ebx = 1; /* logical processors at this level */
    out[0].ecx = LEAF_TOPO_SMT << 8 | 0;
    out[1].eax = core_bits(ncpus);
    out[1].ebx = ncpus;
    out[1].ecx = LEAF_TOPO_CORE << 8 | 1;
    out[2].ecx = 2; /* level type 0: no further level */
}

/* Leaf 4 / 0x8000001D EAX[25:14]: how many logical processors share this cache, less one. */
static uint32_t sharing_field(uint32_t eax, uint32_t sharing_minus_one)
{
    return (eax & ~(0xFFFu << 14)) | (sharing_minus_one & 0xFFFu) << 14;
}

struct kvm_cpuid2 *hk_cpuid_for_vcpu(const struct kvm_cpuid2 *supported, unsigned ncpus,
                                     unsigned id, const struct hk_cpuid_caps *caps)
{
    if (!supported || ncpus < 1 || ncpus > 255 || id >= ncpus) {
        errno = EINVAL;
        return NULL;
    }
    /* room for the inserted subleaves: 0xB and 0x1F become three entries each */
    size_t cap = (size_t)supported->nent + 6;
    struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + cap * sizeof(c->entries[0]));
    if (!c) {
        errno = ENOMEM;
        return NULL;
    }
    enum hk_cpu_vendor vendor = hk_cpuid_vendor(supported);
    const struct kvm_cpuid_entry2 *ext1 = hk_cpuid_find(supported, 0x80000001, 0);
    bool topoext = vendor == HK_CPU_AMD && ext1 && (ext1->ecx & EXT1_ECX_TOPOEXT);
    uint32_t apic = id;
    unsigned bits = core_bits(ncpus);
    bool done_b = false, done_1f = false;

    for (unsigned i = 0; i < supported->nent; i++) {
        struct kvm_cpuid_entry2 e = supported->entries[i];
        switch (e.function) {
        case 1:
            e.ebx = (e.ebx & 0xFFFFu) | apic << 24 | (ncpus > 1 ? ncpus << 16 : 0);
            if (ncpus > 1)
                e.edx |= CPUID1_EDX_HTT;
            else
                e.edx &= ~CPUID1_EDX_HTT;
            e.ecx |= CPUID1_ECX_HV;
            if (caps && caps->tsc_deadline)
                e.ecx |= CPUID1_ECX_TSCD;
            break;
        case 4:
            if (e.eax & 0x1F) { /* a cache (type 0: no more caches) */
                unsigned level = (e.eax >> 5) & 7;
                uint32_t cores = ncpus - 1 > 63 ? 63 : ncpus - 1;
                e.eax = sharing_field(e.eax, level >= 3 ? (1u << bits) - 1 : 0);
                e.eax = (e.eax & 0x03FFFFFFu) | cores << 26;
            }
            break;
        case 0xA:
            /* no architectural PMU: guests leave its MSRs alone */
            e.eax = e.ebx = e.ecx = e.edx = 0;
            break;
        case 0xB:
        case 0x1F: {
            bool *done = e.function == 0xB ? &done_b : &done_1f;
            if (!*done) {
                topology_leaf(&c->entries[c->nent], e.function, ncpus, apic);
                c->nent += 3;
                *done = true;
            }
            continue; /* KVM's own subleaves are replaced */
        }
        case 0x80000001:
            if (vendor == HK_CPU_AMD) {
                if (ncpus > 1)
                    e.ecx |= EXT1_ECX_CMPLEG;
                else
                    e.ecx &= ~EXT1_ECX_CMPLEG;
            }
            break;
        case 0x80000008:
            /* NC (cores - 1) and ApicIdSize: AMD's; reserved on Intel, where QEMU fills them in
             * all the same. Linux 6.1 on AMD takes its core count from here (KVM passes the
             * host's). */
            e.ecx = (e.ecx & ~0xF0FFu) | bits << 12 | (ncpus - 1);
            break;
        case 0x8000001D:
            if (e.eax & 0x1F) {
                unsigned level = (e.eax >> 5) & 7;
                e.eax = sharing_field(e.eax, level >= 3 ? ncpus - 1 : 0);
            }
            break;
        case 0x8000001E:
            if (topoext) {
                e.eax = apic;         /* extended APIC ID */
                e.ebx = apic & 0xFFu; /* core ID; threads per core - 1 = 0 in 15:8 */
                e.ecx = 0;            /* node 0, one node per processor */
                e.edx = 0;
            }
            break;
        case 0x8000001F:
            /* AMD memory encryption: this is not an SEV guest. OVMF's reset vector reads the
             * SEV status MSR when this leaf offers SEV (QEMU hides it the same way). */
            e.eax = e.ebx = e.ecx = e.edx = 0;
            break;
        default: break;
        }
        c->entries[c->nent++] = e;
    }
    return c;
}

int hk_cpuid_write_text(FILE *f, unsigned vcpu, const struct kvm_cpuid2 *c)
{
    for (unsigned i = 0; i < c->nent; i++) {
        const struct kvm_cpuid_entry2 *e = &c->entries[i];
        if (fprintf(f,
                    "vcpu %u leaf 0x%08x index 0x%x: eax=0x%08x ebx=0x%08x ecx=0x%08x edx=0x%08x\n",
                    vcpu, e->function, e->index, e->eax, e->ebx, e->ecx, e->edx) < 0)
            return -1;
    }
    return 0;
}

int hk_cpuid_write_supported(FILE *f, const struct kvm_cpuid2 *c)
{
    for (unsigned i = 0; i < c->nent; i++) {
        const struct kvm_cpuid_entry2 *e = &c->entries[i];
        if (fprintf(
                f,
                "leaf 0x%08x index 0x%x flags 0x%x: eax=0x%08x ebx=0x%08x ecx=0x%08x edx=0x%08x\n",
                e->function, e->index, e->flags, e->eax, e->ebx, e->ecx, e->edx) < 0)
            return -1;
    }
    return 0;
}
