/*
 * The CPUID table each vCPU gets: a pure function of what KVM supports (KVM_GET_SUPPORTED_CPUID),
 * the number of vCPUs and the vCPU's id, so that it can be tested with recorded tables and no KVM.
 *
 * The topology the guest sees is one socket with N cores of one thread each; the APIC ID of vCPU i
 * is i (KVM's default). KVM's supported table carries no usable topology (since commit
 * 45e966fcca03, also in the 6.1 and 5.10 stable trees, leaves 0xB/0x1F have only a zeroed subleaf 0
 * and 0x8000001E is zeroed; leaf 4, 0x8000001D, 0x80000008 ECX and leaf 1 EBX carry the *host's*
 * sharing counts), so the engine writes every topology field itself, as QEMU (target/i386/cpu.c)
 * and Firecracker (docs/cpu_templates/cpuid-normalization.md) do:
 *
 *   1          EBX[31:24] APIC ID, EBX[23:16] logical processors per package, EDX[28] HTT when N >
 * 1; ECX[31] hypervisor; ECX[24] TSC deadline when KVM_CAP_TSC_DEADLINE_TIMER (KVM only lists it
 * itself since 2024) 4          (Intel) EAX[31:26] cores per package - 1, EAX[25:14] logical
 * processors sharing the cache - 1 (0 for L1/L2, the package for L3) 0xB, 0x1F  subleaf 0 SMT (1
 * thread), subleaf 1 core (N), subleaf 2 the end; EDX the x2APIC ID 0x80000001 ECX[1] CmpLegacy on
 * AMD when N > 1, as QEMU 0x80000008 (AMD) ECX[7:0] cores - 1, ECX[15:12] APIC ID bits of the core
 * field 0x8000001D (AMD) EAX[25:14] as leaf 4 0x8000001E (AMD, when TOPOEXT) EAX extended APIC ID,
 * EBX core ID / threads per core - 1, ECX node 0 of 1
 *
 * and hides what the engine does not offer: the architectural PMU (0xA) and AMD memory encryption
 * (0x8000001F).
 */
#ifndef HK_CORE_CPUID_H
#define HK_CORE_CPUID_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stdio.h>

/* What KVM offers beyond its CPUID table. */
struct hk_cpuid_caps {
    bool tsc_deadline; /* KVM_CAP_TSC_DEADLINE_TIMER (with the in-kernel LAPIC Hako always has) */
};

enum hk_cpu_vendor { HK_CPU_OTHER, HK_CPU_INTEL, HK_CPU_AMD };

/* The vendor leaf 0 names (Hygon counts as AMD). */
enum hk_cpu_vendor hk_cpuid_vendor(const struct kvm_cpuid2 *c);

/* The table for vCPU `id` of `ncpus` (1..255, id < ncpus), newly allocated (free()), or NULL with
 * errno set (EINVAL, ENOMEM). */
struct kvm_cpuid2 *hk_cpuid_for_vcpu(const struct kvm_cpuid2 *supported, unsigned ncpus,
                                     unsigned id, const struct hk_cpuid_caps *caps);

/* The entry for (function, index), or NULL. Entries without KVM_CPUID_FLAG_SIGNIFCANT_INDEX match
 * any index. */
const struct kvm_cpuid_entry2 *hk_cpuid_find(const struct kvm_cpuid2 *c, unsigned function,
                                             unsigned index);

/* Writes one line per entry: "vcpu N leaf 0xLLLLLLLL index 0xI: eax=0x… ebx=0x… ecx=0x… edx=0x…".
 * Returns 0 or -1 (write error). */
int hk_cpuid_write_text(FILE *f, unsigned vcpu, const struct kvm_cpuid2 *c);

/* Writes a KVM_GET_SUPPORTED_CPUID table, one line per entry with its flags:
 * "leaf 0xLLLLLLLL index 0xI flags 0xF: eax=0x… ebx=0x… ecx=0x… edx=0x…". 0 or -1. */
int hk_cpuid_write_supported(FILE *f, const struct kvm_cpuid2 *c);

#endif
