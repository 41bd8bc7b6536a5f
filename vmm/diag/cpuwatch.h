/*
 * Watches the vCPUs from the event thread for the ends that leave a screen dark without any device
 * noticing: the machine halted with interrupts disabled (HLT with IF = 0 on the boot CPU while
 * every other CPU is halted the same way or waits for INIT/SIPI: nothing but an NMI can wake it),
 * the boot CPU spinning in a small loop without a single exit to the engine for a long time
 * (firmware dead loops such as edk2's CpuDeadLoop), and reset loops.
 *
 * Once a second it parks the vCPUs (hk_vm_pause: they leave KVM_RUN, a halted one included),
 * reads KVM_GET_MP_STATE / KVM_GET_REGS / KVM_GET_SREGS, and lets them run again. Everything it
 * concludes becomes a fact (HALT_IRQ_OFF, CPU_SPIN, RESET_LOOP).
 *
 * Parking costs the guest (every vCPU leaves KVM_RUN each second), and the diagnoses are for a
 * screen that stays dark. So once the guest is healthy - the board says so through the healthy
 * callback: its operating system drives the display - it stops parking the vCPUs and only keeps
 * counting resets (which needs no parking). A reset makes the guest start over in its firmware,
 * and the board's callback says "not healthy" again: sampling resumes.
 */
#ifndef HK_DIAG_CPUWATCH_H
#define HK_DIAG_CPUWATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "../core/vm.h"

#define HK_CPUWATCH_PERIOD_NS    1000000000ull
#define HK_CPUWATCH_SPIN_NS      10000000000ull /* no exit for this long: spinning */
#define HK_CPUWATCH_SPIN_RANGE   4096           /* ...with every sampled RIP this close together */
#define HK_CPUWATCH_HALT_SAMPLES 2              /* consecutive samples of a dead machine */
#define HK_CPUWATCH_LOOP_RESETS  5              /* this many resets... */
#define HK_CPUWATCH_LOOP_NS      10000000000ull /* ...within this long: a reset loop */

struct hk_timer;

/* What one sample saw of a vCPU. */
struct hk_cpu_sample {
    uint32_t mp_state; /* KVM_MP_STATE_* */
    bool irq_enabled;  /* RFLAGS.IF */
    uint64_t rip;      /* linear address (CS base + RIP) */
    uint64_t exits;    /* exits to the engine so far */
};

struct hk_cpuwatch {
    struct hk_vm *vm;
    struct hk_timer *timer;
    /* boot CPU spin tracking */
    uint64_t last_exits;
    uint64_t quiet_ns; /* time without exits so far */
    uint64_t rip_lo, rip_hi;
    bool spin_reported;
    /* dead machine */
    unsigned dead_samples;
    bool halt_reported;
    /* resets */
    uint64_t seen_resets;
    uint64_t reset_ns[HK_CPUWATCH_LOOP_RESETS];
    unsigned reset_pos;
    bool loop_reported;
    uint64_t samples;
    uint64_t last_ns; /* when the last sample was taken */
    /* healthy: the vCPUs are left alone (see above) */
    bool (*healthy)(void *opaque);
    void *healthy_opaque;
    bool resting;     /* the last tick found the guest healthy */
    uint64_t skipped; /* ticks without parking the vCPUs */
};

/* Sets the watch up; with a loop it samples once a period from then on. */
void hk_cpuwatch_init(struct hk_cpuwatch *w, struct hk_vm *vm);
void hk_cpuwatch_stop(struct hk_cpuwatch *w);
/* The board's word on the guest's health, asked each period on the loop thread. */
void hk_cpuwatch_set_healthy(struct hk_cpuwatch *w, bool (*fn)(void *opaque), void *opaque);
/* One period: a sample, or, while the guest is healthy, only the reset count. Returns whether
 * the vCPUs were sampled. */
bool hk_cpuwatch_tick(struct hk_cpuwatch *w);
/* One sample of every vCPU (loop thread). Returns false when the VM was not running. */
bool hk_cpuwatch_sample(struct hk_cpuwatch *w);
/* The reset-loop conclusion alone (without samples). */
void hk_cpuwatch_judge_resets(struct hk_cpuwatch *w, uint64_t resets, uint64_t now_ns);
/* The conclusions from one set of samples taken at now_ns (pure; used by unit tests). */
void hk_cpuwatch_judge(struct hk_cpuwatch *w, const struct hk_cpu_sample *s, unsigned ncpus,
                       uint64_t resets, uint64_t now_ns, uint64_t elapsed_ns);

#endif
