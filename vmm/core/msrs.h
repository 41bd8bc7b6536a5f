/*
 * The MSRs that make up a vCPU's power-on state: what the engine reads right after creating a vCPU
 * and writes back at every reset (with the power-on registers, FPU, LAPIC, events, debug registers
 * and nested state; see core/vm.c and core/vcpu.c).
 *
 * KVM resets its paravirtual MSRs only at vCPU creation and INIT, and the boot processor never gets
 * an INIT: unless they are written back, a guest that enabled kvmclock, steal time, async page
 * faults or PV-EOI and then reset (the app's Reset, a panic reboot, sysrq-b, a triple fault) has
 * KVM keep writing into pages of the old kernel, now the new firmware's or kernel's memory. QEMU
 * writes them at KVM_PUT_RESET_STATE; so does the engine, for those KVM knows
 * (KVM_GET_MSR_INDEX_LIST).
 *
 * IA32_MISC_ENABLE comes up with fast strings (bit 0) set, as on real processors and in QEMU,
 * kvmtool and Firecracker; KVM's default (0x1800) leaves it clear and Linux then disables ERMS and
 * REP_GOOD ("Disabled fast string operations").
 */
#ifndef HK_CORE_MSRS_H
#define HK_CORE_MSRS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HK_MSR_IA32_MISC_ENABLE    0x1A0u
#define HK_MISC_ENABLE_FAST_STRING (1ull << 0)
#define HK_MSR_KVM_WALL_CLOCK      0x11u
#define HK_MSR_KVM_SYSTEM_TIME     0x12u
#define HK_MSR_KVM_WALL_CLOCK_NEW  0x4b564d00u
#define HK_MSR_KVM_SYSTEM_TIME_NEW 0x4b564d01u
#define HK_MSR_KVM_ASYNC_PF_EN     0x4b564d02u
#define HK_MSR_KVM_STEAL_TIME      0x4b564d03u
#define HK_MSR_KVM_PV_EOI_EN       0x4b564d04u
#define HK_MSR_KVM_POLL_CONTROL    0x4b564d05u
#define HK_MSR_KVM_ASYNC_PF_INT    0x4b564d06u

/* Whether index is one of KVM's paravirtual MSRs the power-on state covers. */
bool hk_msr_is_paravirtual(uint32_t index);

/* The MSRs whose power-on values are kept: the architectural ones (SYSENTER, PAT, MTRRs,
 * MISC_ENABLE, the syscall and segment-base MSRs; the caller drops those KVM refuses to read) and
 * the paravirtual ones found in kvm_list (KVM_GET_MSR_INDEX_LIST, n entries). Writes at most max
 * indices to out and returns how many there are. */
size_t hk_power_on_msrs(const uint32_t *kvm_list, size_t n, uint32_t *out, size_t max);

/* The power-on value of an MSR, given the value KVM reports right after creating the vCPU. */
uint64_t hk_power_on_msr_value(uint32_t index, uint64_t kvm_value);

#endif
