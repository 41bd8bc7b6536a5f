/*
 * /dev/kvm probes (see hako-kvm-probe.h).
 */
#include "hako-kvm-probe.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define GUEST_MEM  0x10000u
#define GUEST_CODE 0x1000u
#define DONE_PORT  0x80

int hako_kvm_probe_api_version(int kvm_fd)
{
    int v = ioctl(kvm_fd, KVM_GET_API_VERSION, 0);
    return v < 0 ? -1 : v;
}

char *hako_kvm_probe_missing_caps(int kvm_fd)
{
    static const struct {
        int cap;
        const char *name;
    } caps[] = {
        {KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY"},
        {KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP"},
        {KVM_CAP_PIT2, "KVM_CAP_PIT2"},
        {KVM_CAP_IRQ_ROUTING, "KVM_CAP_IRQ_ROUTING"},
        {KVM_CAP_IRQFD, "KVM_CAP_IRQFD"},
        {KVM_CAP_IOEVENTFD, "KVM_CAP_IOEVENTFD"},
        {KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR"},
        {KVM_CAP_SET_IDENTITY_MAP_ADDR, "KVM_CAP_SET_IDENTITY_MAP_ADDR"},
        {KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID"},
        {KVM_CAP_READONLY_MEM, "KVM_CAP_READONLY_MEM"},
        {KVM_CAP_MP_STATE, "KVM_CAP_MP_STATE"},
    };
    GString *s = g_string_new(NULL);
    for (gsize i = 0; i < G_N_ELEMENTS(caps); i++) {
        if (ioctl(kvm_fd, KVM_CHECK_EXTENSION, caps[i].cap) > 0)
            continue;
        if (s->len)
            g_string_append(s, ", ");
        g_string_append(s, caps[i].name);
    }
    return g_string_free(s, FALSE);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef struct {
    int vm, vcpu;
    struct kvm_run *run;
    size_t run_size;
    guint8 *mem;
} Probe;

static void probe_close(Probe *p)
{
    if (p->run && p->run != MAP_FAILED)
        munmap(p->run, p->run_size);
    if (p->mem && p->mem != MAP_FAILED)
        munmap(p->mem, GUEST_MEM);
    if (p->vcpu >= 0)
        close(p->vcpu);
    if (p->vm >= 0)
        close(p->vm);
}

/* One batch of n iterations; seconds elapsed, or < 0 with *reason. */
static double run_batch(Probe *p, guint32 n, char **reason)
{
    struct kvm_regs regs;
    memset(&regs, 0, sizeof(regs));
    regs.rip = GUEST_CODE;
    regs.rflags = 0x2;
    regs.rcx = n;
    if (ioctl(p->vcpu, KVM_SET_REGS, &regs) < 0) {
        *reason = g_strdup_printf("KVM_SET_REGS: %s", g_strerror(errno));
        return -1;
    }
    double t0 = now();
    for (;;) {
        if (ioctl(p->vcpu, KVM_RUN, 0) < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            *reason = g_strdup_printf("KVM_RUN: %s", g_strerror(errno));
            return -1;
        }
        break;
    }
    double t = now() - t0;
    if (p->run->exit_reason == KVM_EXIT_IO && p->run->io.port == DONE_PORT)
        return t;
    if (p->run->exit_reason == KVM_EXIT_INTERNAL_ERROR)
        *reason = g_strdup_printf("the test guest stopped with a KVM internal error (suberror %u)",
                                  p->run->internal.suberror);
    else
        *reason = g_strdup_printf("the test guest stopped unexpectedly (KVM exit reason %u)",
                                  p->run->exit_reason);
    return -1;
}

gboolean hako_kvm_probe_cpl0_speed(int kvm_fd, double target, double *ips, char **reason)
{
    /* real mode at 0x1000: 66 49 dec ecx / 75 fc jnz -4 / e6 80 out 0x80, al / f4 hlt */
    static const guint8 code[] = {0x66, 0x49, 0x75, 0xFC, 0xE6, DONE_PORT, 0xF4};
    Probe p = {.vm = -1, .vcpu = -1};
    gboolean ok = FALSE;

    p.vm = ioctl(kvm_fd, KVM_CREATE_VM, 0);
    if (p.vm < 0) {
        *reason = g_strdup_printf("KVM_CREATE_VM: %s", g_strerror(errno));
        goto out;
    }
    (void)ioctl(p.vm, KVM_SET_TSS_ADDR, 0xFFFBD000ul); /* Intel real mode needs it; harmless */
    p.mem = mmap(NULL, GUEST_MEM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p.mem == MAP_FAILED) {
        *reason = g_strdup_printf("mmap: %s", g_strerror(errno));
        goto out;
    }
    memcpy(p.mem + GUEST_CODE, code, sizeof(code));
    struct kvm_userspace_memory_region region = {
        .slot = 0,
        .guest_phys_addr = 0,
        .memory_size = GUEST_MEM,
        .userspace_addr = (guint64)(uintptr_t)p.mem,
    };
    if (ioctl(p.vm, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
        *reason = g_strdup_printf("KVM_SET_USER_MEMORY_REGION: %s", g_strerror(errno));
        goto out;
    }
    p.vcpu = ioctl(p.vm, KVM_CREATE_VCPU, 0);
    int sz = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (p.vcpu < 0 || sz <= 0) {
        *reason = g_strdup_printf("KVM_CREATE_VCPU: %s", g_strerror(errno));
        goto out;
    }
    p.run_size = (size_t)sz;
    p.run = mmap(NULL, p.run_size, PROT_READ | PROT_WRITE, MAP_SHARED, p.vcpu, 0);
    if (p.run == MAP_FAILED) {
        *reason = g_strdup_printf("mmap kvm_run: %s", g_strerror(errno));
        goto out;
    }
    struct kvm_sregs sregs;
    if (ioctl(p.vcpu, KVM_GET_SREGS, &sregs) < 0) {
        *reason = g_strdup_printf("KVM_GET_SREGS: %s", g_strerror(errno));
        goto out;
    }
    sregs.cs.base = 0;
    sregs.cs.selector = 0;
    if (ioctl(p.vcpu, KVM_SET_SREGS, &sregs) < 0) {
        *reason = g_strdup_printf("KVM_SET_SREGS: %s", g_strerror(errno));
        goto out;
    }

    /* Grow the batch until it lasts at least a fifth of the target, then size the final batch
     * from the rate seen so far. */
    guint64 n = 1000;
    double t = 0;
    for (int round = 0; round < 16; round++) {
        t = run_batch(&p, (guint32)n, reason);
        if (t < 0)
            goto out;
        if (t >= target / 5 || n >= 0x7FFFFFFFull)
            break;
        double grow = t > 0 ? (target / 5) / t : 64;
        n = (guint64)((double)n * CLAMP(grow * 1.2, 2.0, 64.0));
        n = MIN(n, 0x7FFFFFFFull);
    }
    double rate = (2.0 * (double)n + 1) / t;
    guint64 final_n = (guint64)(rate * target / 2);
    final_n = CLAMP(final_n, 1000, 0x7FFFFFFFull);
    t = run_batch(&p, (guint32)final_n, reason);
    if (t <= 0) {
        if (t == 0)
            *reason = g_strdup("the clock did not advance");
        goto out;
    }
    *ips = (2.0 * (double)final_n + 1) / t;
    ok = TRUE;
out:
    probe_close(&p);
    return ok;
}
