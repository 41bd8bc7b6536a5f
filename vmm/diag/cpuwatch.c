#include "cpuwatch.h"

#include <string.h>
#include <sys/ioctl.h>

#include "../core/loop.h"

#define RFLAGS_IF 0x200ull

static void tick(void *opaque)
{
    hk_cpuwatch_tick(opaque);
}

void hk_cpuwatch_set_healthy(struct hk_cpuwatch *w, bool (*fn)(void *opaque), void *opaque)
{
    w->healthy = fn;
    w->healthy_opaque = opaque;
}

bool hk_cpuwatch_tick(struct hk_cpuwatch *w)
{
    struct hk_vm *vm = w->vm;
    bool healthy = w->healthy && w->healthy(w->healthy_opaque);
    if (healthy != w->resting) {
        w->resting = healthy;
        hk_info(vm->log, "vCPU watch: %s",
                healthy ? "the guest's operating system drives the display: the vCPUs are no "
                          "longer paused to be sampled"
                        : "sampling the vCPUs again");
    }
    if (!healthy)
        return hk_cpuwatch_sample(w);
    w->skipped++;
    w->last_ns = 0; /* the next sample starts a new quiet period */
    w->quiet_ns = 0;
    w->dead_samples = 0;
    pthread_mutex_lock(&vm->run_lock);
    uint64_t resets = vm->resets;
    pthread_mutex_unlock(&vm->run_lock);
    hk_cpuwatch_judge_resets(w, resets, hk_now_ns());
    return false;
}

void hk_cpuwatch_init(struct hk_cpuwatch *w, struct hk_vm *vm)
{
    memset(w, 0, sizeof(*w));
    w->vm = vm;
    if (vm->loop && !vm->nokvm) {
        w->timer = hk_timer_new(vm->loop, tick, w);
        if (w->timer)
            hk_timer_arm(w->timer, HK_CPUWATCH_PERIOD_NS, HK_CPUWATCH_PERIOD_NS);
    }
}

void hk_cpuwatch_stop(struct hk_cpuwatch *w)
{
    if (w->timer)
        hk_timer_arm(w->timer, 0, 0);
}

static bool stuck(const struct hk_cpu_sample *c)
{
    return (c->mp_state == KVM_MP_STATE_HALTED && !c->irq_enabled) ||
           c->mp_state == KVM_MP_STATE_INIT_RECEIVED || c->mp_state == KVM_MP_STATE_UNINITIALIZED;
}

void hk_cpuwatch_judge(struct hk_cpuwatch *w, const struct hk_cpu_sample *s, unsigned ncpus,
                       uint64_t resets, uint64_t now_ns, uint64_t elapsed_ns)
{
    struct hk_facts *facts = &w->vm->facts;
    w->samples++;

    /* the machine is dead: the boot CPU halted with interrupts off and nobody else runs */
    bool dead = ncpus > 0 && s[0].mp_state == KVM_MP_STATE_HALTED && !s[0].irq_enabled;
    for (unsigned i = 1; dead && i < ncpus; i++)
        dead = stuck(&s[i]);
    if (dead) {
        if (++w->dead_samples >= HK_CPUWATCH_HALT_SAMPLES && !w->halt_reported) {
            w->halt_reported = true;
            hk_fact(facts, HK_FACT_HALT_IRQ_OFF, (int64_t)ncpus, (int64_t)s[0].rip, 0,
                    "the CPU executed HLT with interrupts disabled: nothing can wake it");
        }
    } else {
        w->dead_samples = 0;
        w->halt_reported = false;
    }

    /* the boot CPU runs without a single exit to the engine, in a small loop */
    bool running = ncpus > 0 && s[0].mp_state == KVM_MP_STATE_RUNNABLE;
    if (running && s[0].exits == w->last_exits && w->samples > 1) {
        if (w->quiet_ns == 0) {
            w->rip_lo = w->rip_hi = s[0].rip;
        } else {
            if (s[0].rip < w->rip_lo)
                w->rip_lo = s[0].rip;
            if (s[0].rip > w->rip_hi)
                w->rip_hi = s[0].rip;
        }
        w->quiet_ns += elapsed_ns;
        if (w->quiet_ns >= HK_CPUWATCH_SPIN_NS && w->rip_hi - w->rip_lo < HK_CPUWATCH_SPIN_RANGE &&
            !w->spin_reported) {
            w->spin_reported = true;
            hk_fact(
                facts, HK_FACT_CPU_SPIN, (int64_t)(w->quiet_ns / 1000000000ull), (int64_t)s[0].rip,
                0, "the CPU has looped at 0x%llx for %llu s without touching any device",
                (unsigned long long)s[0].rip, (unsigned long long)(w->quiet_ns / 1000000000ull));
        }
    } else {
        w->quiet_ns = 0;
    }
    if (ncpus > 0)
        w->last_exits = s[0].exits;

    hk_cpuwatch_judge_resets(w, resets, now_ns);
}

void hk_cpuwatch_judge_resets(struct hk_cpuwatch *w, uint64_t resets, uint64_t now_ns)
{
    /* reset loop: HK_CPUWATCH_LOOP_RESETS resets within HK_CPUWATCH_LOOP_NS */
    while (w->seen_resets < resets) {
        w->seen_resets++;
        w->reset_ns[w->reset_pos++ % HK_CPUWATCH_LOOP_RESETS] = now_ns;
    }
    if (w->seen_resets >= HK_CPUWATCH_LOOP_RESETS && !w->loop_reported) {
        uint64_t oldest = w->reset_ns[w->reset_pos % HK_CPUWATCH_LOOP_RESETS];
        if (now_ns - oldest <= HK_CPUWATCH_LOOP_NS) {
            w->loop_reported = true;
            hk_fact(&w->vm->facts, HK_FACT_RESET_LOOP, (int64_t)w->seen_resets,
                    (int64_t)(HK_CPUWATCH_LOOP_NS / 1000000000ull), 0,
                    "the machine keeps resetting (%llu resets so far)",
                    (unsigned long long)w->seen_resets);
        }
    }
}

bool hk_cpuwatch_sample(struct hk_cpuwatch *w)
{
    struct hk_vm *vm = w->vm;
    struct hk_cpu_sample s[HK_MAX_CPUS];
    uint64_t now = hk_now_ns();
    pthread_mutex_lock(&vm->run_lock);
    bool running = vm->state == HK_VM_RUNNING && !vm->quit && !vm->reset_req;
    uint64_t resets = vm->resets;
    pthread_mutex_unlock(&vm->run_lock);
    if (!running)
        return false;
    hk_vm_pause(vm);
    pthread_mutex_lock(&vm->run_lock);
    bool parked = vm->state == HK_VM_PAUSED && !vm->quit;
    pthread_mutex_unlock(&vm->run_lock);
    unsigned n = vm->ncpus;
    bool ok = parked;
    for (unsigned i = 0; ok && i < n; i++) {
        struct hk_vcpu *v = &vm->vcpu[i];
        struct kvm_mp_state mp;
        struct kvm_regs regs;
        struct kvm_sregs sregs;
        if (ioctl(v->fd, KVM_GET_MP_STATE, &mp) < 0 || ioctl(v->fd, KVM_GET_REGS, &regs) < 0 ||
            ioctl(v->fd, KVM_GET_SREGS, &sregs) < 0) {
            ok = false;
            break;
        }
        s[i].mp_state = mp.mp_state;
        s[i].irq_enabled = (regs.rflags & RFLAGS_IF) != 0;
        uint64_t rip = sregs.cs.base + regs.rip;
        if (!(sregs.efer & (1u << 10)) || !sregs.cs.l)
            rip &= 0xFFFFFFFFull;
        s[i].rip = rip;
        s[i].exits = v->exits;
    }
    if (parked)
        hk_vm_resume(vm);
    if (!ok)
        return false;
    uint64_t elapsed = w->last_ns ? now - w->last_ns : 0;
    w->last_ns = now;
    hk_cpuwatch_judge(w, s, n, resets, now, elapsed);
    return true;
}
