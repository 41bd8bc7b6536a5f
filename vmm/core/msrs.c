#include "msrs.h"

/* architectural MSRs of the power-on state; the engine reads each at creation */
static const uint32_t architectural[] = {
    0x174,      0x175,      0x176, /* SYSENTER_CS/ESP/EIP */
    0x277,                         /* PAT */
    0x2FF,                         /* MTRR default type */
    0x200,      0x201,      0x202,
    0x203,      0x204,      0x205,
    0x206,      0x207, /* variable MTRRs */
    0x208,      0x209,      0x20A,
    0x20B,      0x20C,      0x20D,
    0x20E,      0x20F,      0x250,
    0x258,      0x259, /* fixed MTRRs */
    0x268,      0x269,      0x26A,
    0x26B,      0x26C,      0x26D,
    0x26E,      0x26F,      HK_MSR_IA32_MISC_ENABLE,
    0xC0000081, 0xC0000082, 0xC0000083,
    0xC0000084,             /* STAR, LSTAR, CSTAR, SFMASK */
    0xC0000102, 0xC0000103, /* KERNEL_GS_BASE, TSC_AUX */
};

/* KVM's paravirtual MSRs, in the order QEMU writes them at reset: the async-PF vector before the
 * async-PF enable that needs it */
static const uint32_t paravirtual[] = {
    HK_MSR_KVM_SYSTEM_TIME,    HK_MSR_KVM_WALL_CLOCK,   HK_MSR_KVM_SYSTEM_TIME_NEW,
    HK_MSR_KVM_WALL_CLOCK_NEW, HK_MSR_KVM_ASYNC_PF_INT, HK_MSR_KVM_ASYNC_PF_EN,
    HK_MSR_KVM_PV_EOI_EN,      HK_MSR_KVM_STEAL_TIME,   HK_MSR_KVM_POLL_CONTROL,
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

bool hk_msr_is_paravirtual(uint32_t index)
{
    for (size_t i = 0; i < COUNT(paravirtual); i++)
        if (paravirtual[i] == index)
            return true;
    return false;
}

size_t hk_power_on_msrs(const uint32_t *kvm_list, size_t n, uint32_t *out, size_t max)
{
    size_t k = 0;
    for (size_t i = 0; i < COUNT(architectural); i++, k++)
        if (k < max)
            out[k] = architectural[i];
    for (size_t i = 0; i < COUNT(paravirtual); i++) {
        bool known = false;
        for (size_t j = 0; j < n && !known; j++)
            known = kvm_list[j] == paravirtual[i];
        if (!known)
            continue;
        if (k < max)
            out[k] = paravirtual[i];
        k++;
    }
    return k;
}

uint64_t hk_power_on_msr_value(uint32_t index, uint64_t kvm_value)
{
    if (index == HK_MSR_IA32_MISC_ENABLE)
        return kvm_value | HK_MISC_ENABLE_FAST_STRING;
    return kvm_value;
}
