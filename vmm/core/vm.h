/*
 * The virtual machine: KVM VM + vCPU threads, the guest memory map, the PIO and MMIO buses,
 * interrupt lines, the event loop, reset and stop. This is the interface every device model is
 * written against.
 *
 * A VM can also be made without KVM (hk_vm_init_nokvm) for unit tests: buses, memory map, facts and
 * log work; interrupt levels are recorded in irq_level[] instead of reaching a kernel irqchip.
 */
#ifndef HK_CORE_VM_H
#define HK_CORE_VM_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "bus.h"
#include "cpuid.h"
#include "log.h"
#include "loop.h"
#include "mem.h"
#include "facts.h"

#define HK_MAX_CPUS       16
#define HK_MAX_GSI        24
#define HK_MAX_RESET      64
#define HK_RESET_STORM    100           /* this many resets... */
#define HK_RESET_STORM_NS 5000000000ull /* ...within this long stop the VM */

struct hk_vm;

enum hk_vm_state { HK_VM_CREATED, HK_VM_RUNNING, HK_VM_PAUSED, HK_VM_STOPPED };

struct hk_vcpu {
    struct hk_vm *vm;
    int id;
    int fd;
    struct kvm_run *run;
    size_t run_size;
    pthread_t thread;
    bool thread_started;
    unsigned reset_gen; /* last reset generation this vCPU applied */
    /* power-on state captured right after creation, restored on reset */
    struct kvm_regs init_regs;
    struct kvm_sregs init_sregs;
    struct kvm_fpu init_fpu;
    struct kvm_lapic_state init_lapic;
    struct kvm_mp_state init_mp;
    struct kvm_vcpu_events init_events;
    struct kvm_xcrs init_xcrs;
    bool have_xcrs;
    struct kvm_debugregs init_debugregs;
    bool have_debugregs;
    struct kvm_nested_state *init_nested; /* NULL where KVM exposes no nested state */
    struct kvm_msrs *init_msrs;           /* core/msrs.h */
    uint64_t exits;
};

struct hk_reset_hook {
    void (*fn)(void *opaque);
    void *opaque;
};

/* Port I/O whose arguments and results travel in the vCPU's general registers (the VMware backdoor
 * of the vmmouse): fn gets the registers as the guest left them at the IN/OUT and may change them;
 * for an IN, the low `size` bytes of regs->rax afterwards are the value read. vCPU thread. */
typedef void (*hk_regs_io_fn)(void *opaque, struct kvm_regs *regs, unsigned size, bool is_write);
struct hk_regs_port {
    uint16_t port;
    hk_regs_io_fn fn;
    void *opaque;
};
#define HK_MAX_REGS_PORTS 4

/* The owner's answer to an event the VM cannot handle itself (see hk_vm_ops). */
struct hk_vm_ops {
    void *opaque;
    /* called on the loop thread after a full reset */
    void (*after_reset)(void *opaque);
};

struct hk_vm {
    struct hk_log *log;
    struct hk_facts facts;
    struct hk_loop *loop;
    struct hk_bus pio, mmio;
    struct hk_mem mem;
    int kvm_fd, vm_fd; /* -1 without KVM */
    bool nokvm;
    bool async_teardown; /* hand the kernel's teardown to a helper at destroy (engine exit) */

    unsigned ncpus;
    struct hk_vcpu vcpu[HK_MAX_CPUS];
    struct kvm_cpuid2 *cpuid;        /* what KVM supports (KVM_GET_SUPPORTED_CPUID) */
    struct hk_cpuid_caps cpuid_caps; /* and what it offers beyond that table */
    uint32_t *kvm_msrs;              /* KVM_GET_MSR_INDEX_LIST */
    size_t nkvm_msrs;

    /* memslots */
    pthread_mutex_t slot_lock;
    uint64_t slot_used[8]; /* bitmap, 512 slots */

    /* interrupts: lines are shared, so each GSI is the OR of its sources */
    pthread_mutex_t irq_lock;
    int irq_level[HK_MAX_GSI];    /* current line levels (also what unit tests look at) */
    uint64_t irq_src[HK_MAX_GSI]; /* asserted sources per line */
    unsigned irq_pulses[HK_MAX_GSI];
    struct kvm_irqchip init_chip[3];
    struct kvm_pit_state2 init_pit;

    /* run control */
    pthread_mutex_t run_lock;
    pthread_cond_t run_cond;
    enum hk_vm_state state;
    bool quit, pause_req, reset_req;
    unsigned parked;    /* vCPU threads parked */
    unsigned applied;   /* vCPUs that applied the current reset generation */
    unsigned reset_gen; /* bumped after every reset */
    unsigned exited;    /* vCPU threads that have left */
    int exit_code;      /* engine exit status once stopped */
    char stop_reason[256];
    char reset_reason[96];
    uint64_t resets;
    uint64_t storm_t0; /* start of the current reset-storm window */
    unsigned storm_resets;

    struct hk_reset_hook reset_hooks[HK_MAX_RESET];
    unsigned nreset_hooks;
    struct hk_regs_port regs_ports[HK_MAX_REGS_PORTS]; /* set up before hk_vm_start */
    unsigned nregs_ports;
    struct hk_vm_ops ops;
};

/* Creates the KVM VM with irqchip + PIT and the vCPUs (not yet running). Returns 0 or -1 with the
 * reason in log->last_error. */
int hk_vm_init(struct hk_vm *vm, struct hk_log *log, struct hk_loop *loop, unsigned ncpus);
/* What the in-kernel PIT does with timer ticks the guest has not taken yet: deliver them later, one
 * per acknowledged interrupt (as QEMU's default, keeping tick-counting guests' clocks right), or
 * drop them. Returns 0 or -1. */
enum hk_lost_ticks { HK_LOST_TICKS_DELAY, HK_LOST_TICKS_DISCARD };
int hk_vm_set_lost_ticks(struct hk_vm *vm, enum hk_lost_ticks policy);
/* Whether this host runs KVM without hardware virtualization (no VT-x/AMD-V in the CPU the engine
 * sees, as under PVM): then guest ring-0 code is emulated instruction by instruction. */
bool hk_host_emulates_ring0(void);
/* Writes DIR/cpuid.txt (each of ncpus vCPUs' CPUID table as hk_vm_init would set it, core/cpuid.h)
 * and DIR/kvm-supported-cpuid.txt (KVM_GET_SUPPORTED_CPUID, the format tests/unit/data records),
 * creating DIR. Needs /dev/kvm; no VM is made. Returns 0 or -1 with the reason logged. */
int hk_vm_dump_cpuid(const char *dir, unsigned ncpus, struct hk_log *log);
/* For unit tests: no /dev/kvm involved. */
void hk_vm_init_nokvm(struct hk_vm *vm, struct hk_log *log, struct hk_loop *loop);
void hk_vm_destroy(struct hk_vm *vm);

/* Maps host memory into the guest (memslot + memory map entry). Returns the slot or -1. */
int hk_vm_map(struct hk_vm *vm, uint64_t gpa, uint64_t size, void *hva, unsigned flags,
              const char *name);
/* Unmaps the region at gpa. */
void hk_vm_unmap(struct hk_vm *vm, uint64_t gpa);
/* Dirty bitmap (one bit per 4 KiB page) of the slot mapped at gpa since the last call. 0 or -1. */
int hk_vm_dirty_log(struct hk_vm *vm, uint64_t gpa, uint64_t *bitmap);

/* Drives interrupt line gsi for one source. Sources are numbered per line (0..63); the line is
 * asserted while any source asserts it. */
void hk_vm_set_irq(struct hk_vm *vm, unsigned gsi, unsigned source, int level);
/* An edge: raise and lower (for edge-triggered ISA devices). */
void hk_vm_pulse_irq(struct hk_vm *vm, unsigned gsi, unsigned source);
/* Delivers a message-signalled interrupt as a device's memory write would (0, or -1 with errno).
 * Without KVM (unit tests) it is a no-op that succeeds. */
int hk_vm_signal_msi(struct hk_vm *vm, uint64_t address, uint32_t data);
/* Registers an irqfd for gsi (returns 0 or -1). */
int hk_vm_irqfd(struct hk_vm *vm, int fd, unsigned gsi, int resamplefd);
/* Registers a KVM ioeventfd. */
int hk_vm_ioeventfd(struct hk_vm *vm, int fd, uint64_t addr, unsigned len, bool pio, bool assign);

/* Reset hooks run (on the loop thread, vCPUs parked) in registration order. Returns 0, or -1 (and
 * an error logged) when the table is full: the caller must not build a machine without it. */
int hk_vm_on_reset(struct hk_vm *vm, void (*fn)(void *opaque), void *opaque);
/* Claims a register-passing I/O port (see hk_regs_io_fn); before hk_vm_start. 0 or -1. */
int hk_vm_add_regs_port(struct hk_vm *vm, uint16_t port, hk_regs_io_fn fn, void *opaque);

/* Starts the vCPU threads. */
int hk_vm_start(struct hk_vm *vm);
/* Thread-safe requests; they take effect on the loop thread. */
void hk_vm_request_reset(struct hk_vm *vm, const char *why);
void hk_vm_request_stop(struct hk_vm *vm, int exit_code, const char *why);
void hk_vm_pause(struct hk_vm *vm);  /* loop thread; waits until parked */
void hk_vm_resume(struct hk_vm *vm); /* loop thread */
/* Stops and joins the vCPU threads (loop thread, after hk_loop_run returned). */
void hk_vm_join(struct hk_vm *vm);
/* Performs a reset now (loop thread). */
void hk_vm_do_reset(struct hk_vm *vm);

/* Reads guest memory at a linear address of vCPU cpu's current context (for diagnostics). */
int hk_vm_read_linear(struct hk_vcpu *v, uint64_t linear, void *buf, size_t len);

#endif
