#include "vm.h"

#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cpuid.h"
#include "msrs.h"
#include "teardown.h"
#include "vcpu.h"

/* Where the KVM identity map and TSS live: below the firmware flash, as on QEMU's pc machine. */
#define HK_IDENTITY_MAP_ADDR 0xFEFFC000ull
#define HK_TSS_ADDR          0xFEFFD000ull

static int alloc_slot(struct hk_vm *vm)
{
    int slot = -1;
    pthread_mutex_lock(&vm->slot_lock);
    for (int i = 0; i < 512; i++) {
        if (!(vm->slot_used[i / 64] & (1ull << (i % 64)))) {
            vm->slot_used[i / 64] |= 1ull << (i % 64);
            slot = i;
            break;
        }
    }
    pthread_mutex_unlock(&vm->slot_lock);
    return slot;
}

static void free_slot(struct hk_vm *vm, int slot)
{
    if (slot < 0 || slot >= 512)
        return;
    pthread_mutex_lock(&vm->slot_lock);
    vm->slot_used[slot / 64] &= ~(1ull << (slot % 64));
    pthread_mutex_unlock(&vm->slot_lock);
}

static void common_init(struct hk_vm *vm, struct hk_log *log, struct hk_loop *loop)
{
    memset(vm, 0, sizeof(*vm));
    vm->log = log;
    vm->loop = loop;
    vm->kvm_fd = vm->vm_fd = -1;
    hk_facts_init(&vm->facts);
    hk_bus_init(&vm->pio);
    hk_bus_init(&vm->mmio);
    hk_mem_init(&vm->mem);
    pthread_mutex_init(&vm->slot_lock, NULL);
    pthread_mutex_init(&vm->irq_lock, NULL);
    pthread_mutex_init(&vm->run_lock, NULL);
    pthread_cond_init(&vm->run_cond, NULL);
    vm->state = HK_VM_CREATED;
}

void hk_vm_init_nokvm(struct hk_vm *vm, struct hk_log *log, struct hk_loop *loop)
{
    common_init(vm, log, loop);
    vm->nokvm = true;
    vm->ncpus = 1;
}

static int set_gsi_routing(struct hk_vm *vm)
{
    /* PC routing: ISA IRQs to the PICs (not the cascade, 2), every GSI to the IOAPIC pin of the
     * same number except IRQ0 (the PIT), which the IOAPIC sees on pin 2. */
    size_t n = 16 + HK_MAX_GSI;
    struct kvm_irq_routing *r = calloc(1, sizeof(*r) + n * sizeof(r->entries[0]));
    if (!r)
        return -1;
    unsigned k = 0;
    for (unsigned i = 0; i < 16; i++) {
        if (i == 2)
            continue;
        r->entries[k].gsi = i;
        r->entries[k].type = KVM_IRQ_ROUTING_IRQCHIP;
        r->entries[k].u.irqchip.irqchip = i < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE;
        r->entries[k].u.irqchip.pin = i % 8;
        k++;
    }
    for (unsigned i = 0; i < HK_MAX_GSI; i++) {
        if (i == 2)
            continue;
        r->entries[k].gsi = i;
        r->entries[k].type = KVM_IRQ_ROUTING_IRQCHIP;
        r->entries[k].u.irqchip.irqchip = KVM_IRQCHIP_IOAPIC;
        r->entries[k].u.irqchip.pin = i == 0 ? 2 : i;
        k++;
    }
    r->nr = k;
    int ret = ioctl(vm->vm_fd, KVM_SET_GSI_ROUTING, r);
    free(r);
    return ret;
}

static struct kvm_cpuid2 *supported_cpuid(int kvm_fd)
{
    for (unsigned n = 128; n <= 4096; n *= 2) {
        struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));
        if (!c)
            return NULL;
        c->nent = n;
        if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0)
            return c;
        free(c);
        if (errno != E2BIG)
            return NULL;
    }
    return NULL;
}

/* The vCPU's CPUID: the topology and features the guest sees (core/cpuid.h). */
static int setup_cpuid(struct hk_vm *vm, struct hk_vcpu *v)
{
    struct kvm_cpuid2 *c =
        hk_cpuid_for_vcpu(vm->cpuid, vm->ncpus, (unsigned)v->id, &vm->cpuid_caps);
    if (!c)
        return -1;
    int ret = ioctl(v->fd, KVM_SET_CPUID2, c);
    free(c);
    return ret;
}

/* KVM_GET_MSR_INDEX_LIST: the MSRs this KVM saves and emulates. NULL when it cannot say. */
static uint32_t *msr_index_list(int kvm_fd, size_t *n)
{
    struct kvm_msr_list probe = {.nmsrs = 0};
    *n = 0;
    if (ioctl(kvm_fd, KVM_GET_MSR_INDEX_LIST, &probe) == 0 || errno != E2BIG || !probe.nmsrs)
        return NULL;
    struct kvm_msr_list *l = calloc(1, sizeof(*l) + probe.nmsrs * sizeof(l->indices[0]));
    if (!l)
        return NULL;
    l->nmsrs = probe.nmsrs;
    uint32_t *out = NULL;
    if (ioctl(kvm_fd, KVM_GET_MSR_INDEX_LIST, l) == 0 && (out = malloc(l->nmsrs * sizeof(*out)))) {
        memcpy(out, l->indices, l->nmsrs * sizeof(*out));
        *n = l->nmsrs;
    }
    free(l);
    return out;
}

/* The power-on values of the MSRs core/msrs.h lists, read right after creation, with the engine's
 * own power-on values (fast strings) written at once. Each is also written back once here: an MSR
 * KVM lets the engine read but not write (steal time where the host kernel keeps no scheduler
 * statistics, say) is left out of the reset list instead of failing every reset. */
static struct kvm_msrs *capture_msrs(struct hk_vm *vm, struct hk_vcpu *v)
{
    uint32_t idx[96];
    size_t n = hk_power_on_msrs(vm->kvm_msrs, vm->nkvm_msrs, idx, sizeof(idx) / sizeof(idx[0]));
    if (n > sizeof(idx) / sizeof(idx[0]))
        n = sizeof(idx) / sizeof(idx[0]);
    struct kvm_msrs *all = calloc(1, sizeof(*all) + n * sizeof(all->entries[0]));
    struct kvm_msrs *one = calloc(1, sizeof(*one) + sizeof(one->entries[0]));
    if (!all || !one) {
        free(all);
        free(one);
        errno = ENOMEM;
        return NULL;
    }
    /* one at a time: KVM stops at the first MSR it does not know */
    for (size_t i = 0; i < n; i++) {
        memset(one, 0, sizeof(*one) + sizeof(one->entries[0]));
        one->nmsrs = 1;
        one->entries[0].index = idx[i];
        if (ioctl(v->fd, KVM_GET_MSRS, one) != 1)
            continue;
        uint64_t kvm_value = one->entries[0].data;
        one->entries[0].data = hk_power_on_msr_value(idx[i], kvm_value);
        int set = ioctl(v->fd, KVM_SET_MSRS, one);
        if (set < 0) {
            /* the call failed (not KVM refusing the MSR, which returns 0): say so */
            int e = errno;
            hk_err(vm->log, "vCPU %d: cannot write its power-on MSRs: KVM_SET_MSRS: %s", v->id,
                   strerror(e));
            free(one);
            free(all);
            errno = e;
            return NULL;
        }
        if (set != 1) {
            if (one->entries[0].data != kvm_value)
                hk_warn(vm->log, "vCPU %d: KVM refuses MSR 0x%x = 0x%llx; keeping 0x%llx", v->id,
                        idx[i], (unsigned long long)one->entries[0].data,
                        (unsigned long long)kvm_value);
            else
                hk_debug(vm->log, "vCPU %d: MSR 0x%x cannot be written; not reset", v->id, idx[i]);
            one->entries[0].data = kvm_value;
            if (ioctl(v->fd, KVM_SET_MSRS, one) != 1)
                continue;
        }
        all->entries[all->nmsrs++] = one->entries[0];
    }
    free(one);
    return all;
}

/* The nested-virtualization state (VMX/SVM) at power-on, where KVM exposes it. */
static struct kvm_nested_state *capture_nested(struct hk_vm *vm, int vcpu_fd)
{
    int size = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NESTED_STATE);
    if (size < (int)sizeof(struct kvm_nested_state))
        return NULL;
    struct kvm_nested_state *st = calloc(1, (size_t)size);
    if (!st)
        return NULL;
    st->size = (uint32_t)size;
    if (ioctl(vcpu_fd, KVM_GET_NESTED_STATE, st) < 0) {
        hk_debug(vm->log, "KVM_GET_NESTED_STATE: %s", strerror(errno));
        free(st);
        return NULL;
    }
    return st;
}

static int create_vcpu(struct hk_vm *vm, unsigned id, int mmap_size)
{
    struct hk_vcpu *v = &vm->vcpu[id];
    v->vm = vm;
    v->id = (int)id;
    v->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)id);
    if (v->fd < 0) {
        hk_err(vm->log, "cannot create vCPU %u: %s", id, strerror(errno));
        return -1;
    }
    v->run_size = (size_t)mmap_size;
    v->run = mmap(NULL, v->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
    if (v->run == MAP_FAILED) {
        v->run = NULL;
        hk_err(vm->log, "cannot map vCPU %u run area: %s", id, strerror(errno));
        return -1;
    }
    if (setup_cpuid(vm, v) < 0) {
        hk_err(vm->log, "cannot set CPUID of vCPU %u: %s", id, strerror(errno));
        return -1;
    }
    if (ioctl(v->fd, KVM_GET_REGS, &v->init_regs) < 0 ||
        ioctl(v->fd, KVM_GET_SREGS, &v->init_sregs) < 0 ||
        ioctl(v->fd, KVM_GET_FPU, &v->init_fpu) < 0 ||
        ioctl(v->fd, KVM_GET_LAPIC, &v->init_lapic) < 0 ||
        ioctl(v->fd, KVM_GET_MP_STATE, &v->init_mp) < 0 ||
        ioctl(v->fd, KVM_GET_VCPU_EVENTS, &v->init_events) < 0) {
        hk_err(vm->log, "cannot read vCPU %u power-on state: %s", id, strerror(errno));
        return -1;
    }
    v->have_xcrs = ioctl(v->fd, KVM_GET_XCRS, &v->init_xcrs) == 0;
    v->have_debugregs = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_DEBUGREGS) > 0 &&
                        ioctl(v->fd, KVM_GET_DEBUGREGS, &v->init_debugregs) == 0;
    v->init_nested = capture_nested(vm, v->fd);
    v->init_msrs = capture_msrs(vm, v);
    if (!v->init_msrs) {
        if (errno == ENOMEM)
            hk_err(vm->log, "cannot read vCPU %u power-on MSRs: out of memory", id);
        return -1;
    }
    return 0;
}

static void kick_handler(int sig)
{
    (void)sig;
}

int hk_vm_set_lost_ticks(struct hk_vm *vm, enum hk_lost_ticks policy)
{
    if (vm->nokvm)
        return 0;
    struct kvm_reinject_control rc = {.pit_reinject = policy == HK_LOST_TICKS_DELAY};
    if (ioctl(vm->vm_fd, KVM_REINJECT_CONTROL, &rc) < 0) {
        hk_err(vm->log, "cannot set the PIT's lost-tick policy: %s", strerror(errno));
        return -1;
    }
    return 0;
}

bool hk_host_emulates_ring0(void)
{
#if defined(__x86_64__) || defined(__i386__)
    unsigned a, b, c, d;
    bool vmx = __get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 5));
    bool svm = __get_cpuid(0x80000001, &a, &b, &c, &d) && (c & (1u << 2));
    return !vmx && !svm;
#else
    return false;
#endif
}

int hk_vm_init(struct hk_vm *vm, struct hk_log *log, struct hk_loop *loop, unsigned ncpus)
{
    common_init(vm, log, loop);
    if (ncpus < 1 || ncpus > HK_MAX_CPUS) {
        hk_err(log, "--cpus must be between 1 and %d (got %u)", HK_MAX_CPUS, ncpus);
        return -1;
    }
    vm->ncpus = ncpus;

    vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (vm->kvm_fd < 0) {
        hk_err(log, "cannot open /dev/kvm: %s", strerror(errno));
        return -1;
    }
    int api = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
    if (api != KVM_API_VERSION) {
        hk_err(log, "unsupported KVM API version %d", api);
        return -1;
    }
    vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
    if (vm->vm_fd < 0) {
        hk_err(log, "cannot create a KVM virtual machine: %s", strerror(errno));
        return -1;
    }
    fcntl(vm->vm_fd, F_SETFD, FD_CLOEXEC);
    static const int needed[] = {KVM_CAP_IRQCHIP,       KVM_CAP_USER_MEMORY, KVM_CAP_SET_TSS_ADDR,
                                 KVM_CAP_PIT2,          KVM_CAP_IRQ_ROUTING, KVM_CAP_IOEVENTFD,
                                 KVM_CAP_IMMEDIATE_EXIT};
    for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
        if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, needed[i]) <= 0) {
            hk_err(log, "KVM lacks capability %d that Hako needs", needed[i]);
            return -1;
        }
    }
    uint64_t idmap = HK_IDENTITY_MAP_ADDR;
    if (ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap) < 0)
        hk_debug(log, "KVM_SET_IDENTITY_MAP_ADDR: %s (not needed on this host)", strerror(errno));
    if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)HK_TSS_ADDR) < 0)
        hk_debug(log, "KVM_SET_TSS_ADDR: %s (not needed on this host)", strerror(errno));
    if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0) {
        hk_err(log, "cannot create the in-kernel interrupt controllers: %s", strerror(errno));
        return -1;
    }
    struct kvm_pit_config pit = {.flags = KVM_PIT_SPEAKER_DUMMY};
    if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0) {
        hk_err(log, "cannot create the in-kernel PIT: %s", strerror(errno));
        return -1;
    }
    if (set_gsi_routing(vm) < 0) {
        hk_err(log, "cannot set interrupt routing: %s", strerror(errno));
        return -1;
    }
    for (unsigned i = 0; i < 3; i++) {
        vm->init_chip[i].chip_id = i;
        if (ioctl(vm->vm_fd, KVM_GET_IRQCHIP, &vm->init_chip[i]) < 0) {
            hk_err(log, "cannot read interrupt controller state: %s", strerror(errno));
            return -1;
        }
    }
    if (ioctl(vm->vm_fd, KVM_GET_PIT2, &vm->init_pit) < 0) {
        hk_err(log, "cannot read PIT state: %s", strerror(errno));
        return -1;
    }

    vm->cpuid_caps.tsc_deadline =
        ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_TSC_DEADLINE_TIMER) > 0;
    vm->kvm_msrs = msr_index_list(vm->kvm_fd, &vm->nkvm_msrs);
    vm->cpuid = supported_cpuid(vm->kvm_fd);
    if (!vm->cpuid) {
        hk_err(log, "cannot read the CPUID KVM supports: %s", strerror(errno));
        return -1;
    }
    int mmap_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (mmap_size < (int)sizeof(struct kvm_run)) {
        hk_err(log, "bad KVM vCPU mmap size %d", mmap_size);
        return -1;
    }
    for (unsigned i = 0; i < ncpus; i++)
        if (create_vcpu(vm, i, mmap_size) < 0)
            return -1;

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = kick_handler;
    sigemptyset(&sa.sa_mask);
    sigaction(HK_KICK_SIGNAL, &sa, NULL);
    return 0;
}

static int write_text(const char *dir, const char *name, struct hk_log *log,
                      int (*fn)(FILE *f, const void *arg), const void *arg)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) {
        hk_err(log, "dump-tables: cannot create %s: %s", path, strerror(errno));
        return -1;
    }
    int r = fn(f, arg);
    if (fclose(f) != 0 || r < 0) {
        hk_err(log, "dump-tables: cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

struct cpuid_dump {
    const struct kvm_cpuid2 *supported;
    unsigned ncpus;
    struct hk_cpuid_caps caps;
};

static int write_supported(FILE *f, const void *arg)
{
    const struct cpuid_dump *d = arg;
    struct utsname u;
    const struct kvm_cpuid_entry2 *v = hk_cpuid_find(d->supported, 0, 0);
    char vendor[13] = "";
    if (v) {
        memcpy(vendor, &v->ebx, 4);
        memcpy(vendor + 4, &v->edx, 4);
        memcpy(vendor + 8, &v->ecx, 4);
    }
    fprintf(f, "# KVM_GET_SUPPORTED_CPUID: %s, Linux %s; KVM_CAP_TSC_DEADLINE_TIMER %s\n", vendor,
            uname(&u) == 0 ? u.release : "?", d->caps.tsc_deadline ? "yes" : "no");
    return hk_cpuid_write_supported(f, d->supported);
}

static int write_vcpus(FILE *f, const void *arg)
{
    const struct cpuid_dump *d = arg;
    for (unsigned i = 0; i < d->ncpus; i++) {
        struct kvm_cpuid2 *c = hk_cpuid_for_vcpu(d->supported, d->ncpus, i, &d->caps);
        int r = c ? hk_cpuid_write_text(f, i, c) : -1;
        free(c);
        if (r < 0)
            return -1;
    }
    return 0;
}

int hk_vm_dump_cpuid(const char *dir, unsigned ncpus, struct hk_log *log)
{
    int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm < 0) {
        hk_err(log,
               "dump-tables: cpuid.txt needs /dev/kvm (the CPUID the host's KVM supports): "
               "cannot open it: %s",
               strerror(errno));
        return -1;
    }
    struct cpuid_dump d = {.supported = supported_cpuid(kvm), .ncpus = ncpus};
    d.caps.tsc_deadline = ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_TSC_DEADLINE_TIMER) > 0;
    close(kvm);
    if (!d.supported) {
        hk_err(log, "dump-tables: cannot read the CPUID KVM supports: %s", strerror(errno));
        return -1;
    }
    int r = -1;
    if (mkdir(dir, 0777) < 0 && errno != EEXIST)
        hk_err(log, "dump-tables: cannot create %s: %s", dir, strerror(errno));
    else if (write_text(dir, "kvm-supported-cpuid.txt", log, write_supported, &d) == 0 &&
             write_text(dir, "cpuid.txt", log, write_vcpus, &d) == 0)
        r = 0;
    free((void *)d.supported);
    return r;
}

void hk_vm_destroy(struct hk_vm *vm)
{
    if (!vm->nokvm && vm->vm_fd >= 0 && vm->async_teardown) {
        int fds[HK_MAX_CPUS + 2], n = 0;
        fds[n++] = vm->vm_fd;
        for (unsigned i = 0; i < HK_MAX_CPUS; i++)
            if (vm->vcpu[i].vm && vm->vcpu[i].fd >= 0)
                fds[n++] = vm->vcpu[i].fd;
        if (hk_async_teardown(fds, n) < 0)
            hk_debug(vm->log, "asynchronous teardown unavailable; tearing down in place");
    }
    for (unsigned i = 0; i < HK_MAX_CPUS; i++) {
        struct hk_vcpu *v = &vm->vcpu[i];
        if (v->run)
            munmap(v->run, v->run_size);
        if (v->vm && v->fd >= 0)
            close(v->fd);
        free(v->init_msrs);
        free(v->init_nested);
        v->run = NULL;
        v->init_msrs = NULL;
        v->init_nested = NULL;
    }
    free(vm->cpuid);
    vm->cpuid = NULL;
    free(vm->kvm_msrs);
    vm->kvm_msrs = NULL;
    if (vm->vm_fd >= 0)
        close(vm->vm_fd);
    if (vm->kvm_fd >= 0)
        close(vm->kvm_fd);
    vm->vm_fd = vm->kvm_fd = -1;
    hk_bus_destroy(&vm->pio);
    hk_bus_destroy(&vm->mmio);
    hk_mem_destroy(&vm->mem);
    hk_facts_destroy(&vm->facts);
    pthread_mutex_destroy(&vm->slot_lock);
    pthread_mutex_destroy(&vm->irq_lock);
    pthread_mutex_destroy(&vm->run_lock);
    pthread_cond_destroy(&vm->run_cond);
}

int hk_vm_map(struct hk_vm *vm, uint64_t gpa, uint64_t size, void *hva, unsigned flags,
              const char *name)
{
    int slot = -1;
    if ((gpa & 0xfff) || (size & 0xfff) || size == 0) {
        hk_warn(vm->log, "refusing unaligned mapping of %s at 0x%llx size 0x%llx", name,
                (unsigned long long)gpa, (unsigned long long)size);
        return -1;
    }
    if (!vm->nokvm) {
        slot = alloc_slot(vm);
        if (slot < 0)
            return -1;
    }
    if (hk_mem_add(&vm->mem, gpa, size, hva, flags, slot, name) < 0) {
        hk_warn(vm->log, "cannot map %s at 0x%llx: overlaps guest memory or out of slots", name,
                (unsigned long long)gpa);
        free_slot(vm, slot);
        return -1;
    }
    if (!vm->nokvm) {
        struct kvm_userspace_memory_region r = {
            .slot = (uint32_t)slot,
            .flags = ((flags & HK_MEM_READONLY) ? KVM_MEM_READONLY : 0) |
                     ((flags & HK_MEM_DIRTY_LOG) ? KVM_MEM_LOG_DIRTY_PAGES : 0),
            .guest_phys_addr = gpa,
            .memory_size = size,
            .userspace_addr = (uintptr_t)hva,
        };
        if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0) {
            hk_warn(vm->log, "KVM refused to map %s at 0x%llx: %s", name, (unsigned long long)gpa,
                    strerror(errno));
            hk_mem_remove(&vm->mem, gpa);
            free_slot(vm, slot);
            return -1;
        }
    }
    return vm->nokvm ? 0 : slot;
}

void hk_vm_unmap(struct hk_vm *vm, uint64_t gpa)
{
    int slot = hk_mem_remove(&vm->mem, gpa);
    if (slot < 0 || vm->nokvm)
        return;
    struct kvm_userspace_memory_region r = {.slot = (uint32_t)slot};
    ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r);
    free_slot(vm, slot);
}

int hk_vm_dirty_log(struct hk_vm *vm, uint64_t gpa, uint64_t *bitmap)
{
    struct hk_mem_region r;
    if (vm->nokvm || !hk_mem_find(&vm->mem, gpa, &r) || r.gpa != gpa || r.slot < 0 ||
        !(r.flags & HK_MEM_DIRTY_LOG))
        return -1;
    struct kvm_dirty_log d = {.slot = (uint32_t)r.slot, .dirty_bitmap = bitmap};
    return ioctl(vm->vm_fd, KVM_GET_DIRTY_LOG, &d);
}

void hk_vm_set_irq(struct hk_vm *vm, unsigned gsi, unsigned source, int level)
{
    if (gsi >= HK_MAX_GSI || source >= 64)
        return;
    pthread_mutex_lock(&vm->irq_lock);
    uint64_t before = vm->irq_src[gsi];
    if (level)
        vm->irq_src[gsi] |= 1ull << source;
    else
        vm->irq_src[gsi] &= ~(1ull << source);
    int now = vm->irq_src[gsi] != 0;
    if (now != (before != 0)) {
        vm->irq_level[gsi] = now;
        if (!vm->nokvm) {
            struct kvm_irq_level l = {.irq = gsi, .level = (uint32_t)now};
            ioctl(vm->vm_fd, KVM_IRQ_LINE, &l);
        }
    }
    pthread_mutex_unlock(&vm->irq_lock);
}

void hk_vm_pulse_irq(struct hk_vm *vm, unsigned gsi, unsigned source)
{
    if (gsi >= HK_MAX_GSI)
        return;
    pthread_mutex_lock(&vm->irq_lock);
    vm->irq_pulses[gsi]++;
    pthread_mutex_unlock(&vm->irq_lock);
    hk_vm_set_irq(vm, gsi, source, 1);
    hk_vm_set_irq(vm, gsi, source, 0);
}

int hk_vm_signal_msi(struct hk_vm *vm, uint64_t address, uint32_t data)
{
    if (vm->nokvm)
        return 0;
    /* the in-kernel LAPICs take the message as a device would write it */
    struct kvm_msi m = {
        .address_lo = (uint32_t)address, .address_hi = (uint32_t)(address >> 32), .data = data};
    return ioctl(vm->vm_fd, KVM_SIGNAL_MSI, &m) < 0 ? -1 : 0;
}

int hk_vm_irqfd(struct hk_vm *vm, int fd, unsigned gsi, int resamplefd)
{
    if (vm->nokvm)
        return -1;
    struct kvm_irqfd i = {.fd = (uint32_t)fd, .gsi = gsi};
    if (resamplefd >= 0) {
        i.flags = KVM_IRQFD_FLAG_RESAMPLE;
        i.resamplefd = (uint32_t)resamplefd;
    }
    return ioctl(vm->vm_fd, KVM_IRQFD, &i);
}

int hk_vm_ioeventfd(struct hk_vm *vm, int fd, uint64_t addr, unsigned len, bool pio, bool assign)
{
    if (vm->nokvm)
        return -1;
    struct kvm_ioeventfd e = {
        .addr = addr,
        .len = len,
        .fd = fd,
        .flags = (pio ? KVM_IOEVENTFD_FLAG_PIO : 0) | (assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN),
    };
    return ioctl(vm->vm_fd, KVM_IOEVENTFD, &e);
}

int hk_vm_on_reset(struct hk_vm *vm, void (*fn)(void *opaque), void *opaque)
{
    if (vm->nreset_hooks == HK_MAX_RESET) {
        /* a device left out of resets would keep its state across a reboot: say so, and the
         * caller does not build the machine */
        hk_err(vm->log, "too many reset handlers (at most %d)", HK_MAX_RESET);
        return -1;
    }
    vm->reset_hooks[vm->nreset_hooks++] = (struct hk_reset_hook){fn, opaque};
    return 0;
}

int hk_vm_add_regs_port(struct hk_vm *vm, uint16_t port, hk_regs_io_fn fn, void *opaque)
{
    if (vm->nregs_ports == HK_MAX_REGS_PORTS)
        return -1;
    for (unsigned i = 0; i < vm->nregs_ports; i++)
        if (vm->regs_ports[i].port == port)
            return -1;
    vm->regs_ports[vm->nregs_ports++] = (struct hk_regs_port){port, fn, opaque};
    return 0;
}

/* Makes every running vCPU leave KVM_RUN soon. Caller holds run_lock. */
static void kick_all_locked(struct hk_vm *vm)
{
    for (unsigned i = 0; i < vm->ncpus; i++) {
        struct hk_vcpu *v = &vm->vcpu[i];
        if (!v->run)
            continue;
        __atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
        if (v->thread_started && !pthread_equal(v->thread, pthread_self()))
            pthread_kill(v->thread, HK_KICK_SIGNAL);
    }
    pthread_cond_broadcast(&vm->run_cond);
}

static unsigned running_threads(struct hk_vm *vm)
{
    unsigned n = 0;
    for (unsigned i = 0; i < vm->ncpus; i++)
        n += vm->vcpu[i].thread_started;
    return n - vm->exited;
}

int hk_vm_start(struct hk_vm *vm)
{
    pthread_mutex_lock(&vm->run_lock);
    vm->state = HK_VM_RUNNING;
    pthread_mutex_unlock(&vm->run_lock);
    for (unsigned i = 0; i < vm->ncpus; i++) {
        struct hk_vcpu *v = &vm->vcpu[i];
        if (pthread_create(&v->thread, NULL, hk_vcpu_thread, v) != 0) {
            hk_err(vm->log, "cannot start vCPU thread %u", i);
            hk_vm_request_stop(vm, 1, "cannot start vCPU thread");
            return -1;
        }
        pthread_mutex_lock(&vm->run_lock);
        v->thread_started = true;
        pthread_mutex_unlock(&vm->run_lock);
    }
    return 0;
}

static void reset_cb(void *opaque)
{
    hk_vm_do_reset(opaque);
}

void hk_vm_request_reset(struct hk_vm *vm, const char *why)
{
    bool post = false;
    pthread_mutex_lock(&vm->run_lock);
    if (!vm->reset_req && !vm->quit) {
        vm->reset_req = true;
        snprintf(vm->reset_reason, sizeof(vm->reset_reason), "%s", why);
        kick_all_locked(vm);
        post = true;
    }
    pthread_mutex_unlock(&vm->run_lock);
    if (post) {
        if (vm->loop)
            hk_loop_call(vm->loop, reset_cb, vm);
        else
            hk_vm_do_reset(vm);
    }
}

void hk_vm_request_stop(struct hk_vm *vm, int exit_code, const char *why)
{
    pthread_mutex_lock(&vm->run_lock);
    if (!vm->quit) {
        vm->quit = true;
        vm->exit_code = exit_code;
        snprintf(vm->stop_reason, sizeof(vm->stop_reason), "%s", why ? why : "");
        kick_all_locked(vm);
    }
    pthread_mutex_unlock(&vm->run_lock);
    if (vm->loop)
        hk_loop_quit(vm->loop);
}

/* Waits (run_lock held) until every live vCPU thread is parked. */
static void wait_parked_locked(struct hk_vm *vm)
{
    while (!vm->quit && vm->parked < running_threads(vm))
        pthread_cond_wait(&vm->run_cond, &vm->run_lock);
}

void hk_vm_pause(struct hk_vm *vm)
{
    pthread_mutex_lock(&vm->run_lock);
    if (vm->state == HK_VM_RUNNING) {
        vm->pause_req = true;
        kick_all_locked(vm);
        wait_parked_locked(vm);
        vm->state = HK_VM_PAUSED;
    }
    pthread_mutex_unlock(&vm->run_lock);
}

void hk_vm_resume(struct hk_vm *vm)
{
    pthread_mutex_lock(&vm->run_lock);
    if (vm->state == HK_VM_PAUSED) {
        vm->pause_req = false;
        vm->state = HK_VM_RUNNING;
        pthread_cond_broadcast(&vm->run_cond);
    }
    pthread_mutex_unlock(&vm->run_lock);
}

void hk_vm_do_reset(struct hk_vm *vm)
{
    pthread_mutex_lock(&vm->run_lock);
    if (vm->quit) {
        pthread_mutex_unlock(&vm->run_lock);
        return;
    }
    vm->reset_req = true;
    kick_all_locked(vm);
    wait_parked_locked(vm);
    vm->resets++;
    char why[sizeof(vm->reset_reason)];
    memcpy(why, vm->reset_reason, sizeof(why));
    /* a guest that resets itself over and over (a triple fault at start-up, say) would burn a
     * host CPU forever: after HK_RESET_STORM resets within HK_RESET_STORM_NS it is stopped */
    uint64_t now = hk_now_ns();
    if (now - vm->storm_t0 > HK_RESET_STORM_NS) {
        vm->storm_t0 = now;
        vm->storm_resets = 0;
    }
    bool storm = ++vm->storm_resets >= HK_RESET_STORM;
    if (storm)
        vm->reset_req = false;
    pthread_mutex_unlock(&vm->run_lock);

    hk_fact(&vm->facts, HK_FACT_RESET, (int64_t)vm->resets, 0, 0, "%s", why);
    hk_info(vm->log, "reset (%s)", why);
    if (storm) {
        hk_fact(&vm->facts, HK_FACT_RESET_LOOP, (int64_t)vm->resets,
                (int64_t)(HK_RESET_STORM_NS / 1000000000ull), 0,
                "the machine reset itself %d times within %llu s (last cause: %s); stopped",
                HK_RESET_STORM, (unsigned long long)(HK_RESET_STORM_NS / 1000000000ull), why);
        char reason[200];
        snprintf(reason, sizeof(reason),
                 "the guest is stuck in a reset loop (%d resets within %llu s, last: %s)",
                 HK_RESET_STORM, (unsigned long long)(HK_RESET_STORM_NS / 1000000000ull), why);
        hk_err(vm->log, "%s", reason);
        hk_vm_request_stop(vm, 3, reason);
        return;
    }

    /* interrupt lines low, then devices to power-on state */
    pthread_mutex_lock(&vm->irq_lock);
    memset(vm->irq_src, 0, sizeof(vm->irq_src));
    memset(vm->irq_level, 0, sizeof(vm->irq_level));
    pthread_mutex_unlock(&vm->irq_lock);
    if (!vm->nokvm) {
        for (unsigned i = 0; i < 3; i++)
            ioctl(vm->vm_fd, KVM_SET_IRQCHIP, &vm->init_chip[i]);
        ioctl(vm->vm_fd, KVM_SET_PIT2, &vm->init_pit);
        for (unsigned g = 0; g < HK_MAX_GSI; g++) {
            struct kvm_irq_level l = {.irq = g, .level = 0};
            ioctl(vm->vm_fd, KVM_IRQ_LINE, &l);
        }
    }
    for (unsigned i = 0; i < vm->nreset_hooks; i++)
        vm->reset_hooks[i].fn(vm->reset_hooks[i].opaque);

    /* every vCPU applies its power-on state before any of them runs again */
    pthread_mutex_lock(&vm->run_lock);
    vm->applied = 0;
    vm->reset_gen++;
    pthread_cond_broadcast(&vm->run_cond);
    while (!vm->quit && vm->applied < running_threads(vm))
        pthread_cond_wait(&vm->run_cond, &vm->run_lock);
    vm->reset_req = false;
    pthread_cond_broadcast(&vm->run_cond);
    pthread_mutex_unlock(&vm->run_lock);
    if (vm->ops.after_reset)
        vm->ops.after_reset(vm->ops.opaque);
}

void hk_vm_join(struct hk_vm *vm)
{
    pthread_mutex_lock(&vm->run_lock);
    vm->quit = true;
    kick_all_locked(vm);
    pthread_mutex_unlock(&vm->run_lock);
    for (unsigned i = 0; i < vm->ncpus; i++) {
        struct hk_vcpu *v = &vm->vcpu[i];
        if (v->thread_started) {
            pthread_join(v->thread, NULL);
            v->thread_started = false;
        }
    }
    pthread_mutex_lock(&vm->run_lock);
    vm->state = HK_VM_STOPPED;
    vm->exited = 0;
    pthread_mutex_unlock(&vm->run_lock);
}

int hk_vm_read_linear(struct hk_vcpu *v, uint64_t linear, void *buf, size_t len)
{
    uint8_t *b = buf;
    while (len > 0) {
        struct kvm_translation t = {.linear_address = linear};
        if (ioctl(v->fd, KVM_TRANSLATE, &t) < 0 || !t.valid)
            return -1;
        size_t in_page = 4096 - (linear & 0xfff);
        size_t n = len < in_page ? len : in_page;
        if (hk_mem_read(&v->vm->mem, t.physical_address, b, n) < 0)
            return -1;
        b += n;
        len -= n;
        linear += n;
    }
    return 0;
}
