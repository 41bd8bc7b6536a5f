#include "vcpu.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "hako/bytes.h"
#include "vm.h"

/* One step of restoring the power-on state: the first that fails names itself and its errno. */
static void set_state(struct hk_vcpu *v, const char **failed, int *err, const char *name,
                      unsigned long req, void *arg)
{
    if (*failed)
        return;
    if (ioctl(v->fd, req, arg) < 0) {
        *failed = name;
        *err = errno;
    }
}

/* Writes the power-on MSRs; KVM stops at the first one it refuses, so the rest are written after
 * it (a refused MSR is a warning: the others still count). Returns -1 with errno when the call
 * itself failed (nothing was written), else the number refused. */
static int set_power_on_msrs(struct hk_vcpu *v)
{
    struct kvm_msrs *m = v->init_msrs;
    unsigned refused = 0;
    if (!m || !m->nmsrs)
        return 0;
    int done = ioctl(v->fd, KVM_SET_MSRS, m);
    if (done < 0)
        return -1;
    if (done == (int)m->nmsrs)
        return 0;
    /* one entry at a time (storage for a kvm_msrs with one entry, without a GNU extension) */
    uint64_t store[(sizeof(struct kvm_msrs) + sizeof(struct kvm_msr_entry)) / sizeof(uint64_t) + 1];
    struct kvm_msrs *one = (struct kvm_msrs *)store;
    for (unsigned i = (unsigned)done; i < m->nmsrs; i++) {
        memset(store, 0, sizeof(store));
        one->nmsrs = 1;
        one->entries[0] = m->entries[i];
        if (ioctl(v->fd, KVM_SET_MSRS, one) != 1) {
            hk_warn(v->vm->log, "vCPU %d: reset cannot restore MSR 0x%x", v->id,
                    m->entries[i].index);
            refused++;
        }
    }
    return (int)refused;
}

/* Restores the power-on state captured at creation, as QEMU's KVM_PUT_RESET_STATE does: nested
 * state, registers, FPU, XCRs, MSRs (KVM's paravirtual ones included: kvmclock, steal time, async
 * page faults and PV-EOI stop writing into guest memory), LAPIC, events (no pending NMI, exception
 * or interrupt), debug registers and the run state. Called on the vCPU's own thread. A vCPU whose
 * state could not be restored would run from whatever it held: the VM is stopped, with the step
 * that failed and its own errno (one MSR KVM refuses is only a warning). */
static void apply_power_on_state(struct hk_vcpu *v)
{
    struct hk_vm *vm = v->vm;
    /* complete any I/O the kernel still has pending before the state is overwritten */
    __atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
    ioctl(v->fd, KVM_RUN, 0); /* returns EINTR by design: immediate_exit */
    const char *failed = NULL;
    int err = 0;
    /* out of VMX/SVM operation first: the registers below are L1's */
    if (v->init_nested)
        set_state(v, &failed, &err, "KVM_SET_NESTED_STATE", KVM_SET_NESTED_STATE, v->init_nested);
    set_state(v, &failed, &err, "KVM_SET_SREGS", KVM_SET_SREGS, &v->init_sregs);
    set_state(v, &failed, &err, "KVM_SET_REGS", KVM_SET_REGS, &v->init_regs);
    set_state(v, &failed, &err, "KVM_SET_FPU", KVM_SET_FPU, &v->init_fpu);
    if (v->have_xcrs)
        set_state(v, &failed, &err, "KVM_SET_XCRS", KVM_SET_XCRS, &v->init_xcrs);
    if (!failed && set_power_on_msrs(v) < 0) {
        failed = "KVM_SET_MSRS";
        err = errno;
    }
    set_state(v, &failed, &err, "KVM_SET_LAPIC", KVM_SET_LAPIC, &v->init_lapic);
    /* the events as at power-on: nothing pending or injected, NMIs unmasked, out of SMM */
    struct kvm_vcpu_events ev = v->init_events;
    ev.flags = KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SIPI_VECTOR |
               (v->init_events.flags & (KVM_VCPUEVENT_VALID_SHADOW | KVM_VCPUEVENT_VALID_SMM));
    set_state(v, &failed, &err, "KVM_SET_VCPU_EVENTS", KVM_SET_VCPU_EVENTS, &ev);
    if (v->have_debugregs)
        set_state(v, &failed, &err, "KVM_SET_DEBUGREGS", KVM_SET_DEBUGREGS, &v->init_debugregs);
    set_state(v, &failed, &err, "KVM_SET_MP_STATE", KVM_SET_MP_STATE, &v->init_mp);
    if (!failed)
        return;
    char why[200];
    snprintf(why, sizeof(why), "vCPU %d: restoring the power-on state at reset failed: %s: %s",
             v->id, failed, strerror(err));
    hk_err(vm->log, "%s", why);
    hk_vm_request_stop(vm, 3, why);
}

/* Parks while the VM is paused or resetting. Returns false when the thread must exit. */
static bool wait_runnable(struct hk_vcpu *v)
{
    struct hk_vm *vm = v->vm;
    pthread_mutex_lock(&vm->run_lock);
    __atomic_store_n(&v->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
    bool counted = false;
    while (!vm->quit && (vm->pause_req || vm->reset_req || v->reset_gen != vm->reset_gen)) {
        if (v->reset_gen != vm->reset_gen) {
            unsigned gen = vm->reset_gen;
            pthread_mutex_unlock(&vm->run_lock);
            apply_power_on_state(v);
            pthread_mutex_lock(&vm->run_lock);
            v->reset_gen = gen;
            vm->applied++;
            pthread_cond_broadcast(&vm->run_cond);
            continue;
        }
        if (!counted) {
            vm->parked++;
            counted = true;
            pthread_cond_broadcast(&vm->run_cond);
        }
        pthread_cond_wait(&vm->run_cond, &vm->run_lock);
    }
    if (counted)
        vm->parked--;
    bool go = !vm->quit;
    if (go)
        __atomic_store_n(&v->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
    pthread_mutex_unlock(&vm->run_lock);
    return go;
}

/* A single IN/OUT on a register-passing port: the handler sees and changes the registers. */
static bool handle_regs_io(struct hk_vcpu *v, unsigned size, uint8_t *p)
{
    struct kvm_run *run = v->run;
    struct hk_vm *vm = v->vm;
    for (unsigned i = 0; i < vm->nregs_ports; i++) {
        const struct hk_regs_port *rp = &vm->regs_ports[i];
        if (rp->port != run->io.port)
            continue;
        struct kvm_regs regs;
        if (ioctl(v->fd, KVM_GET_REGS, &regs) < 0)
            return false;
        bool out = run->io.direction == KVM_EXIT_IO_OUT;
        rp->fn(rp->opaque, &regs, size, out);
        if (!out)
            hk_put_le(p, regs.rax, size);
        /* the kernel completes the IN into RAX on the next KVM_RUN, over this value */
        ioctl(v->fd, KVM_SET_REGS, &regs);
        return true;
    }
    return false;
}

static void handle_io(struct hk_vcpu *v)
{
    struct kvm_run *run = v->run;
    unsigned size = run->io.size;
    uint64_t total = (uint64_t)run->io.count * size;
    if ((size != 1 && size != 2 && size != 4) || run->io.data_offset > v->run_size ||
        total > v->run_size - run->io.data_offset)
        return;
    uint8_t *p = (uint8_t *)run + run->io.data_offset;
    if (run->io.count == 1 && v->vm->nregs_ports && handle_regs_io(v, size, p))
        return;
    for (uint32_t i = 0; i < run->io.count; i++, p += size) {
        if (run->io.direction == KVM_EXIT_IO_OUT) {
            hk_bus_write(&v->vm->pio, run->io.port, size, hk_get_le(p, size));
        } else {
            uint64_t val;
            hk_bus_read(&v->vm->pio, run->io.port, size, &val);
            hk_put_le(p, val, size);
        }
    }
}

static void handle_mmio(struct hk_vcpu *v)
{
    struct kvm_run *run = v->run;
    unsigned len = run->mmio.len;
    if (len == 0 || len > 8)
        return;
    if (run->mmio.is_write) {
        hk_bus_write(&v->vm->mmio, run->mmio.phys_addr, len, hk_get_le(run->mmio.data, len));
    } else {
        uint64_t val;
        hk_bus_read(&v->vm->mmio, run->mmio.phys_addr, len, &val);
        hk_put_le(run->mmio.data, val, len);
    }
}

/* Where the vCPU is (CS:RIP as a linear address) and the HK_FACT_INSN_MAX bytes there, for
 * diagnostics. Returns how many bytes were read: HK_FACT_INSN_MAX, or 0. */
static size_t describe_rip(struct hk_vcpu *v, uint64_t *rip_out, uint8_t insn[HK_FACT_INSN_MAX])
{
    struct kvm_regs regs;
    struct kvm_sregs sregs;
    *rip_out = 0;
    if (ioctl(v->fd, KVM_GET_REGS, &regs) < 0 || ioctl(v->fd, KVM_GET_SREGS, &sregs) < 0)
        return 0;
    uint64_t linear = sregs.cs.base + regs.rip;
    if (!(sregs.efer & (1u << 10)) || !sregs.cs.l)
        linear &= 0xffffffffull;
    *rip_out = linear;
    int ok;
    if (sregs.cr0 & 0x80000000u)
        ok = hk_vm_read_linear(v, linear, insn, HK_FACT_INSN_MAX) == 0;
    else
        ok = hk_mem_read(&v->vm->mem, linear, insn, HK_FACT_INSN_MAX) == 0;
    return ok ? HK_FACT_INSN_MAX : 0;
}

/* The bytes in hex for people ("9b db e3"), "(unreadable)" when there are none. */
static const char *hex_bytes(const uint8_t *b, size_t n, char out[3 * HK_FACT_INSN_MAX])
{
    if (!n)
        return "(unreadable)";
    size_t pos = 0;
    for (size_t i = 0; i < n && i < HK_FACT_INSN_MAX; i++)
        pos +=
            (size_t)snprintf(out + pos, 3 * HK_FACT_INSN_MAX - pos, "%s%02x", i ? " " : "", b[i]);
    return out;
}

static void handle_internal_error(struct hk_vcpu *v)
{
    struct hk_vm *vm = v->vm;
    uint64_t rip;
    uint8_t insn[HK_FACT_INSN_MAX];
    struct kvm_run *run = v->run;
    size_t n = describe_rip(v, &rip, insn);
    /* newer kernels put the instruction bytes in the exit itself; guest memory is preferred
     * (some hosts report stale bytes there) */
    if (n == 0 && run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION &&
        run->internal.ndata >= 3 && run->internal.ndata <= 16 && (run->internal.data[0] & 1)) {
        unsigned len = (unsigned)(run->internal.data[1] & 0xff);
        if (len > 0 && len <= 15 && (unsigned)run->internal.ndata * 8 >= 16 + len) {
            memcpy(insn, &run->internal.data[2], len);
            n = len;
        }
    }
    char hex[3 * HK_FACT_INSN_MAX];
    const char *bytes = hex_bytes(insn, n, hex);
    hk_fact_insn(&vm->facts, HK_FACT_INTERNAL_ERROR, run->internal.suberror, (int64_t)rip, v->id,
                 insn, n, "%s", bytes);
    hk_err(vm->log, "vCPU %d: KVM internal error %u (%s) at 0x%llx, instruction bytes: %s", v->id,
           run->internal.suberror,
           run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION ? "emulation failure" : "other",
           (unsigned long long)rip, bytes);
    char why[160];
    snprintf(why, sizeof(why),
             "the host's KVM could not run the guest's instruction at 0x%llx (%s)",
             (unsigned long long)rip, bytes);
    hk_vm_request_stop(vm, 3, why);
}

void *hk_vcpu_thread(void *arg)
{
    struct hk_vcpu *v = arg;
    struct hk_vm *vm = v->vm;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, HK_KICK_SIGNAL);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);

    while (wait_runnable(v)) {
        int r = ioctl(v->fd, KVM_RUN, 0);
        if (r < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            char why[128];
            snprintf(why, sizeof(why), "KVM_RUN failed on vCPU %d: %s", v->id, strerror(errno));
            hk_err(vm->log, "%s", why);
            hk_vm_request_stop(vm, 3, why);
            break;
        }
        v->exits++;
        struct kvm_run *run = v->run;
        switch (run->exit_reason) {
        case KVM_EXIT_IO: handle_io(v); break;
        case KVM_EXIT_MMIO: handle_mmio(v); break;
        case KVM_EXIT_INTR: break;
        case KVM_EXIT_SHUTDOWN: {
            uint64_t rip;
            uint8_t insn[HK_FACT_INSN_MAX];
            char hex[3 * HK_FACT_INSN_MAX];
            size_t n = describe_rip(v, &rip, insn);
            hk_fact_insn(&vm->facts, HK_FACT_TRIPLE_FAULT, 0, (int64_t)rip, v->id, insn, n, "%s",
                         hex_bytes(insn, n, hex));
            hk_warn(vm->log, "vCPU %d: triple fault at 0x%llx", v->id, (unsigned long long)rip);
            hk_vm_request_reset(vm, "triple fault");
            break;
        }
        case KVM_EXIT_HLT:
            /* only without an in-kernel LAPIC; treat as a pause point */
            break;
        case KVM_EXIT_SYSTEM_EVENT:
            if (run->system_event.type == KVM_SYSTEM_EVENT_RESET)
                hk_vm_request_reset(vm, "system reset event");
            else
                hk_vm_request_stop(vm, 0, "system event: power off");
            break;
        case KVM_EXIT_INTERNAL_ERROR: handle_internal_error(v); break;
        case KVM_EXIT_FAIL_ENTRY: {
            char why[128];
            snprintf(why, sizeof(why), "KVM could not enter the guest (reason 0x%llx)",
                     (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
            hk_err(vm->log, "vCPU %d: %s", v->id, why);
            hk_vm_request_stop(vm, 3, why);
            break;
        }
        default: {
            char why[96];
            snprintf(why, sizeof(why), "unexpected KVM exit %u on vCPU %d", run->exit_reason,
                     v->id);
            hk_err(vm->log, "%s", why);
            hk_vm_request_stop(vm, 3, why);
            break;
        }
        }
    }
    pthread_mutex_lock(&vm->run_lock);
    vm->exited++;
    pthread_cond_broadcast(&vm->run_cond);
    pthread_mutex_unlock(&vm->run_lock);
    return NULL;
}
