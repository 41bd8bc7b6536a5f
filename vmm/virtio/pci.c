#include "pci.h"

#include <errno.h>
#include <stdio.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "../core/vm.h"

/* capability types (§4.1.4) */
enum {
    CAP_COMMON = 1,
    CAP_NOTIFY = 2,
    CAP_ISR = 3,
    CAP_DEVICE = 4,
    CAP_PCI = 5,
};

#define PCI_CAP_VNDR 0x09
#define PCI_CAP_MSIX 0x11
#define MSIX_ENABLE  0x8000
#define MSIX_MASKALL 0x4000

static void kick(int fd)
{
    uint64_t one = 1;
    if (write(fd, &one, sizeof(one)) < 0) {
        /* the counter is saturated: the worker will look anyway */
    }
}

static void drain(int fd)
{
    uint64_t v;
    if (read(fd, &v, sizeof(v)) < 0) {
        /* EAGAIN: nothing pending */
    }
}

/* ---- interrupts ---- */

/* Requests an interrupt for vector vec (MSI-X) or ISR bit isr_bit (INTx). t->lock held; the
 * MSI-X control bits are mirrored under t->lock (the configuration space belongs to the PCI host
 * lock). deliver() sends it once the lock is dropped. */
static void signal_locked(struct hk_virtio_pci *t, uint16_t vec, uint8_t isr_bit)
{
    if (t->msix_enabled) {
        if (vec == HK_VIRTIO_NO_VECTOR || vec >= t->nvectors)
            return;
        if (t->msix_masked || (t->msix[vec].ctrl & 1))
            t->msix_pba |= 1u << vec;
        else
            t->msix_pending_send |= 1u << vec;
    } else {
        t->isr |= isr_bit;
        t->irq_pending = true;
    }
}

static bool pending_locked(const struct hk_virtio_pci *t)
{
    return t->irq_pending || t->msix_pending_send;
}

static void send_msi(struct hk_virtio_pci *t, const struct hk_msix_entry *e)
{
    __atomic_add_fetch(&t->msi_sent, 1, __ATOMIC_RELAXED);
    if (hk_vm_signal_msi(t->vm, (uint64_t)e->addr_hi << 32 | e->addr_lo, e->data) < 0)
        hk_debug(t->vm->log, "%s: MSI not delivered: %s", t->name, strerror(errno));
}

/* Re-derives the INTx level from ISR. Takes the PCI host lock first (lock order). */
static void update_intx(struct hk_virtio_pci *t)
{
    struct hk_pci_host *h = t->pci.host;
    if (!h)
        return;
    pthread_mutex_lock(&h->lock);
    pthread_mutex_lock(&t->lock);
    int level = !t->msix_enabled && t->isr != 0;
    pthread_mutex_unlock(&t->lock);
    if (level != t->pci.intx_level)
        hk_pci_set_irq(&t->pci, level);
    pthread_mutex_unlock(&h->lock);
}

/* Sends what signal_locked() queued. Called without t->lock. */
static void deliver(struct hk_virtio_pci *t)
{
    struct hk_msix_entry msgs[HK_VIRTIO_MAX_QUEUES + 1];
    unsigned n = 0;
    pthread_mutex_lock(&t->lock);
    bool pending = t->irq_pending;
    t->irq_pending = false;
    uint32_t vecs = t->msix_pending_send;
    t->msix_pending_send = 0;
    for (unsigned v = 0; v < t->nvectors; v++)
        if (vecs & (1u << v))
            msgs[n++] = t->msix[v];
    pthread_mutex_unlock(&t->lock);
    for (unsigned i = 0; i < n; i++)
        send_msi(t, &msgs[i]);
    if (pending)
        update_intx(t);
}

/* Queues the pending MSI-X messages whose vectors are unmasked now. t->lock held. */
static void msix_flush_pba_locked(struct hk_virtio_pci *t)
{
    if (!t->msix_enabled || t->msix_masked)
        return;
    for (unsigned v = 0; v < t->nvectors; v++) {
        if ((t->msix_pba & (1u << v)) && !(t->msix[v].ctrl & 1)) {
            t->msix_pba &= ~(1u << v);
            t->msix_pending_send |= 1u << v;
        }
    }
}

/* ---- device errors ---- */

static void device_error_locked(struct hk_virtio_pci *t, unsigned qi, const char *why)
{
    if (t->status & HK_VIRTIO_S_NEEDS_RESET)
        return;
    t->status |= HK_VIRTIO_S_NEEDS_RESET;
    t->config_gen++;
    signal_locked(t, t->config_vector, 2);
    hk_fact(&t->vm->facts, HK_FACT_GUEST_ERROR, t->pci.devfn, (int64_t)qi, 0,
            "%s %02x.%x queue %u: %s", t->name, t->pci.devfn >> 3, t->pci.devfn & 7, qi, why);
    hk_warn(t->vm->log, "%s %02x.%x: device error on queue %u: %s (device needs reset)", t->name,
            t->pci.devfn >> 3, t->pci.devfn & 7, qi, why);
}

/* ---- reset ---- */

static void reset_locked(struct hk_virtio_pci *t)
{
    t->gen++;
    t->status = 0;
    /* the worker may hold chains: wait until it gives them back (it never waits for us) */
    while (t->busy)
        pthread_cond_wait(&t->cond, &t->lock);
    t->guest_features = 0;
    t->dfselect = t->gfselect = 0;
    t->isr = 0;
    t->queue_sel = 0;
    t->config_vector = HK_VIRTIO_NO_VECTOR;
    t->irq_pending = false;
    t->msix_pending_send = 0;
    for (unsigned i = 0; i < t->nqueues; i++) {
        struct hk_virtio_queue *q = &t->q[i];
        hk_virtq_stop(&q->vq);
        q->size = q->max_size;
        q->msix_vector = HK_VIRTIO_NO_VECTOR;
        q->enabled = false;
        q->desc = q->driver = q->device = 0;
    }
    if (t->ops->reset)
        t->ops->reset(t->dev);
}

/* ---- common configuration ---- */

struct field {
    uint8_t off, width;
};

enum {
    F_DFSELECT,
    F_DFEATURE,
    F_GFSELECT,
    F_GFEATURE,
    F_MSIX_CONFIG,
    F_NUMQ,
    F_STATUS,
    F_CFGGEN,
    F_QSEL,
    F_QSIZE,
    F_QMSIX,
    F_QENABLE,
    F_QNOTIFY,
    F_QDESC,
    F_QDRIVER,
    F_QDEVICE,
    F__COUNT
};

static const struct field fields[F__COUNT] = {
    [F_DFSELECT] = {0x00, 4}, [F_DFEATURE] = {0x04, 4},    [F_GFSELECT] = {0x08, 4},
    [F_GFEATURE] = {0x0C, 4}, [F_MSIX_CONFIG] = {0x10, 2}, [F_NUMQ] = {0x12, 2},
    [F_STATUS] = {0x14, 1},   [F_CFGGEN] = {0x15, 1},      [F_QSEL] = {0x16, 2},
    [F_QSIZE] = {0x18, 2},    [F_QMSIX] = {0x1A, 2},       [F_QENABLE] = {0x1C, 2},
    [F_QNOTIFY] = {0x1E, 2},  [F_QDESC] = {0x20, 8},       [F_QDRIVER] = {0x28, 8},
    [F_QDEVICE] = {0x30, 8},
};

static struct hk_virtio_queue *selq(struct hk_virtio_pci *t)
{
    return t->queue_sel < t->nqueues ? &t->q[t->queue_sel] : NULL;
}

static uint64_t field_get(struct hk_virtio_pci *t, unsigned f)
{
    struct hk_virtio_queue *q = selq(t);
    switch (f) {
    case F_DFSELECT: return t->dfselect;
    case F_DFEATURE:
        return t->dfselect < 2 ? (uint32_t)(t->host_features >> (32 * t->dfselect)) : 0;
    case F_GFSELECT: return t->gfselect;
    case F_GFEATURE:
        return t->gfselect < 2 ? (uint32_t)(t->guest_features >> (32 * t->gfselect)) : 0;
    case F_MSIX_CONFIG: return t->msix_cap ? t->config_vector : HK_VIRTIO_NO_VECTOR;
    case F_NUMQ: return t->nqueues;
    case F_STATUS: return t->status;
    case F_CFGGEN: return t->config_gen;
    case F_QSEL: return t->queue_sel;
    case F_QSIZE: return q ? q->size : 0;
    case F_QMSIX: return q && t->msix_cap ? q->msix_vector : HK_VIRTIO_NO_VECTOR;
    case F_QENABLE: return q ? q->enabled : 0;
    case F_QNOTIFY: return q ? t->queue_sel : 0;
    case F_QDESC: return q ? q->desc : 0;
    case F_QDRIVER: return q ? q->driver : 0;
    case F_QDEVICE: return q ? q->device : 0;
    default: return 0;
    }
}

/* What a common-config write asks for once the lock is dropped. */
struct post {
    bool intx;
    bool kick_all;
    bool status; /* the driver wrote device_status: old_status -> new_status */
    uint8_t old_status, new_status;
};

static bool runnable_locked(struct hk_virtio_pci *t, unsigned qi)
{
    const uint8_t need = HK_VIRTIO_S_DRIVER_OK | HK_VIRTIO_S_FEATURES_OK;
    const struct hk_virtio_queue *q = &t->q[qi];
    return (t->status & need) == need && !(t->status & HK_VIRTIO_S_NEEDS_RESET) && q->enabled &&
           q->vq.ready && !q->vq.broken && !t->stopping;
}

static void enable_queue_locked(struct hk_virtio_pci *t, unsigned qi)
{
    struct hk_virtio_queue *q = &t->q[qi];
    if (q->enabled)
        return;
    q->enabled = true;
    if (q->size > q->max_size) {
        q->vq.broken = true;
        snprintf(q->vq.error, sizeof(q->vq.error), "queue size %u above the maximum %u", q->size,
                 q->max_size);
    } else {
        hk_virtq_start(&q->vq, q->size, q->desc, q->driver, q->device,
                       (t->guest_features & HK_VIRTIO_F_EVENT_IDX) != 0);
    }
    if (q->vq.broken)
        device_error_locked(t, qi, q->vq.error);
}

static void write_status_locked(struct hk_virtio_pci *t, uint8_t v, struct post *post)
{
    post->status = true;
    post->old_status = t->status;
    post->new_status = 0;
    if (v == 0) {
        reset_locked(t);
        post->intx = true;
        return;
    }
    uint8_t old = t->status;
    if ((v & HK_VIRTIO_S_FEATURES_OK) && !(old & HK_VIRTIO_S_FEATURES_OK)) {
        /* accept only a subset of what we offered, and only the 1.0 interface */
        if ((t->guest_features & ~t->host_features) || !(t->guest_features & HK_VIRTIO_F_VERSION_1))
            v &= (uint8_t)~HK_VIRTIO_S_FEATURES_OK;
    }
    if ((old & HK_VIRTIO_S_FEATURES_OK) == 0 && (v & HK_VIRTIO_S_DRIVER_OK) &&
        !(v & HK_VIRTIO_S_FEATURES_OK))
        hk_debug(t->vm->log, "%s: DRIVER_OK without FEATURES_OK", t->name);
    t->status = (uint8_t)(v | (old & HK_VIRTIO_S_NEEDS_RESET));
    post->new_status = t->status;
    if ((v & HK_VIRTIO_S_DRIVER_OK) && !(old & HK_VIRTIO_S_DRIVER_OK))
        post->kick_all = true;
}

static void field_set(struct hk_virtio_pci *t, unsigned f, uint64_t v, struct post *post)
{
    struct hk_virtio_queue *q = selq(t);
    switch (f) {
    case F_DFSELECT: t->dfselect = (uint32_t)v; break;
    case F_GFSELECT: t->gfselect = (uint32_t)v; break;
    case F_GFEATURE:
        if (t->status & HK_VIRTIO_S_FEATURES_OK || t->gfselect > 1)
            break;
        t->guest_features &= ~(0xFFFFFFFFull << (32 * t->gfselect));
        t->guest_features |= (v & 0xFFFFFFFFull) << (32 * t->gfselect);
        break;
    case F_MSIX_CONFIG:
        t->config_vector = v < t->nvectors ? (uint16_t)v : HK_VIRTIO_NO_VECTOR;
        break;
    case F_STATUS: write_status_locked(t, (uint8_t)v, post); break;
    case F_QSEL: t->queue_sel = (uint16_t)v; break;
    case F_QSIZE:
        if (q && !q->enabled)
            q->size = (uint16_t)v;
        break;
    case F_QMSIX:
        if (q)
            q->msix_vector = v < t->nvectors ? (uint16_t)v : HK_VIRTIO_NO_VECTOR;
        break;
    case F_QENABLE:
        if (q && v == 1)
            enable_queue_locked(t, t->queue_sel);
        break;
    case F_QDESC:
        if (q && !q->enabled)
            q->desc = v;
        break;
    case F_QDRIVER:
        if (q && !q->enabled)
            q->driver = v;
        break;
    case F_QDEVICE:
        if (q && !q->enabled)
            q->device = v;
        break;
    default: break; /* read-only */
    }
}

static uint64_t common_read(struct hk_virtio_pci *t, unsigned off, unsigned size)
{
    uint8_t img[HK_VIRTIO_COMMON_LEN];
    pthread_mutex_lock(&t->lock);
    for (unsigned f = 0; f < F__COUNT; f++) {
        uint64_t v = field_get(t, f);
        for (unsigned b = 0; b < fields[f].width; b++)
            img[fields[f].off + b] = (uint8_t)(v >> (8 * b));
    }
    pthread_mutex_unlock(&t->lock);
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint64_t)(off + i < sizeof(img) ? img[off + i] : 0) << (8 * i);
    return v;
}

static void common_write(struct hk_virtio_pci *t, unsigned off, uint64_t val, unsigned size)
{
    struct post post = {false, false, false, 0, 0};
    pthread_mutex_lock(&t->lock);
    for (unsigned f = 0; f < F__COUNT; f++) {
        unsigned fo = fields[f].off, fw = fields[f].width;
        if (off >= fo + fw || off + size <= fo)
            continue;
        /* merge the written bytes into the field (drivers split 64-bit fields in halves) */
        uint64_t cur = field_get(t, f);
        for (unsigned b = 0; b < fw; b++) {
            unsigned a = fo + b;
            if (a >= off && a < off + size) {
                uint64_t byte = (val >> (8 * (a - off))) & 0xFF;
                cur = (cur & ~(0xFFull << (8 * b))) | (byte << (8 * b));
            }
        }
        field_set(t, f, cur, &post);
    }
    bool deliver_now = pending_locked(t);
    pthread_mutex_unlock(&t->lock);
    if (post.status && t->ops->status)
        t->ops->status(t->dev, post.old_status, post.new_status);
    if (post.kick_all) {
        for (unsigned i = 0; i < t->nqueues; i++)
            kick(t->q[i].kick_fd);
        kick(t->ctl_fd); /* devices with descriptors of their own look again too */
    }
    if (deliver_now)
        deliver(t);
    if (post.intx)
        update_intx(t);
}

/* ---- BAR4 ---- */

uint64_t hk_virtio_bar_read(struct hk_virtio_pci *t, uint64_t off, unsigned size)
{
    if (off < HK_VIRTIO_COMMON_OFF + 0x1000)
        return common_read(t, (unsigned)off, size);
    if (off >= HK_VIRTIO_ISR_OFF && off < HK_VIRTIO_ISR_OFF + 0x1000) {
        if (off != HK_VIRTIO_ISR_OFF)
            return 0;
        pthread_mutex_lock(&t->lock);
        uint8_t v = t->isr;
        t->isr = 0;
        pthread_mutex_unlock(&t->lock);
        if (v)
            update_intx(t);
        return v;
    }
    if (off >= HK_VIRTIO_DEVCFG_OFF && off < HK_VIRTIO_DEVCFG_OFF + 0x1000) {
        unsigned o = (unsigned)(off - HK_VIRTIO_DEVCFG_OFF);
        if (o + size > t->cfg_size || !t->ops->cfg_read)
            return 0;
        return t->ops->cfg_read(t->dev, o, size);
    }
    return 0; /* notify region and holes */
}

void hk_virtio_bar_write(struct hk_virtio_pci *t, uint64_t off, uint64_t val, unsigned size)
{
    if (off < HK_VIRTIO_COMMON_OFF + 0x1000) {
        common_write(t, (unsigned)off, val, size);
    } else if (off >= HK_VIRTIO_DEVCFG_OFF && off < HK_VIRTIO_DEVCFG_OFF + 0x1000) {
        unsigned o = (unsigned)(off - HK_VIRTIO_DEVCFG_OFF);
        if (o + size <= t->cfg_size && t->ops->cfg_write)
            t->ops->cfg_write(t->dev, o, val, size);
    } else if (off >= HK_VIRTIO_NOTIFY_OFF && off < HK_VIRTIO_NOTIFY_OFF + 0x1000) {
        /* reaches here when KVM did not take the doorbell (no ioeventfd) */
        unsigned qi = (unsigned)(off - HK_VIRTIO_NOTIFY_OFF) / HK_VIRTIO_NOTIFY_MULT;
        if (qi < t->nqueues) {
            __atomic_add_fetch(&t->q[qi].kicks, 1, __ATOMIC_RELAXED);
            kick(t->q[qi].kick_fd);
        }
    }
}

static uint64_t bar_read(void *opaque, uint64_t off, unsigned size)
{
    return hk_virtio_bar_read(opaque, off, size);
}

static void bar_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    hk_virtio_bar_write(opaque, off, val, size);
}

static const struct hk_io_ops bar_ops = {bar_read, bar_write};

/* ---- MSI-X table (BAR1) ---- */

static uint64_t msix_read(void *opaque, uint64_t off, unsigned size)
{
    struct hk_virtio_pci *t = opaque;
    uint64_t v = 0;
    pthread_mutex_lock(&t->lock);
    for (unsigned i = 0; i < size; i += 4) {
        uint64_t o = off + i;
        uint32_t d = 0;
        if (o < 16ull * t->nvectors) {
            const struct hk_msix_entry *e = &t->msix[o / 16];
            const uint32_t w[4] = {e->addr_lo, e->addr_hi, e->data, e->ctrl & 1};
            d = w[(o % 16) / 4];
        } else if (o >= HK_VIRTIO_MSIX_PBA_OFF && o < HK_VIRTIO_MSIX_PBA_OFF + 8) {
            d = o == HK_VIRTIO_MSIX_PBA_OFF ? t->msix_pba : 0;
        }
        v |= (uint64_t)d << (8 * i);
    }
    pthread_mutex_unlock(&t->lock);
    if (size < 4)
        v = (v >> (8 * (off & 3))) & hk_ones(size);
    return v;
}

static void msix_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    struct hk_virtio_pci *t = opaque;
    if (size < 4 || (off & 3))
        return; /* the table takes dword and qword writes */
    pthread_mutex_lock(&t->lock);
    for (unsigned i = 0; i < size; i += 4) {
        uint64_t o = off + i;
        uint32_t d = (uint32_t)(val >> (8 * i));
        if (o >= 16ull * t->nvectors)
            continue;
        struct hk_msix_entry *e = &t->msix[o / 16];
        switch ((o % 16) / 4) {
        case 0: e->addr_lo = d & ~3u; break;
        case 1: e->addr_hi = d; break;
        case 2: e->data = d; break;
        case 3: e->ctrl = (e->ctrl & ~1u) | (d & 1); break;
        }
    }
    msix_flush_pba_locked(t);
    bool now = pending_locked(t);
    pthread_mutex_unlock(&t->lock);
    if (now)
        deliver(t);
}

static const struct hk_io_ops msix_ops = {msix_read, msix_write};

/* ---- PCI configuration hooks ---- */

/* The configuration access window: BAR access through bar/offset/length + data. */
static bool window(struct hk_virtio_pci *t, uint32_t *boff, unsigned *len)
{
    const uint8_t *c = &t->pci.cfg[t->pcicfg_cap];
    uint32_t o =
        (uint32_t)c[8] | (uint32_t)c[9] << 8 | (uint32_t)c[10] << 16 | (uint32_t)c[11] << 24;
    uint32_t l =
        (uint32_t)c[12] | (uint32_t)c[13] << 8 | (uint32_t)c[14] << 16 | (uint32_t)c[15] << 24;
    if (c[4] != HK_VIRTIO_BAR || (l != 1 && l != 2 && l != 4) || (o % l) ||
        o + l > HK_VIRTIO_BAR_SIZE)
        return false;
    *boff = o;
    *len = l;
    return true;
}

static uint32_t cfg_read_hook(struct hk_pci_dev *d, unsigned off, unsigned size, uint32_t val)
{
    struct hk_virtio_pci *t = d->opaque;
    uint32_t o;
    unsigned l;
    if (t->pcicfg_cap && off == t->pcicfg_cap + 16 && window(t, &o, &l)) {
        uint64_t v = hk_virtio_bar_read(t, o, l);
        return (uint32_t)(v & hk_ones(size < l ? size : l));
    }
    return val;
}

static void cfg_write_hook(struct hk_pci_dev *d, unsigned off, unsigned size, uint32_t val)
{
    struct hk_virtio_pci *t = d->opaque;
    uint32_t o;
    unsigned l;
    if (t->pcicfg_cap && off == t->pcicfg_cap + 16 && window(t, &o, &l)) {
        hk_virtio_bar_write(t, o, val & hk_ones(size < l ? size : l), l);
        return;
    }
    if (t->msix_cap && off < t->msix_cap + 4 && off + size > t->msix_cap + 2) {
        /* MSI-X enable / function mask changed: INTx and pending messages follow */
        uint16_t ctl = hk_pci_get16(d, t->msix_cap + 2);
        pthread_mutex_lock(&t->lock);
        t->msix_enabled = ctl & MSIX_ENABLE;
        t->msix_masked = ctl & MSIX_MASKALL;
        msix_flush_pba_locked(t);
        pthread_mutex_unlock(&t->lock);
        deliver(t);
        update_intx(t);
    }
}

static void bar_moved_hook(struct hk_pci_dev *d, int bar)
{
    struct hk_virtio_pci *t = d->opaque;
    if (bar != HK_VIRTIO_BAR)
        return;
    /* doorbells follow the BAR: KVM signals the queue's eventfd without leaving the kernel */
    for (unsigned i = 0; i < t->nqueues; i++) {
        struct hk_virtio_queue *q = &t->q[i];
        if (q->ioeventfd) {
            hk_vm_ioeventfd(t->vm, q->kick_fd, q->ioeventfd_addr, 0, false, false);
            q->ioeventfd = false;
        }
    }
    const struct hk_pci_bar *b = &d->bar[HK_VIRTIO_BAR];
    if (!b->mapped || t->vm->nokvm)
        return;
    for (unsigned i = 0; i < t->nqueues; i++) {
        struct hk_virtio_queue *q = &t->q[i];
        uint64_t addr = b->addr + HK_VIRTIO_NOTIFY_OFF + HK_VIRTIO_NOTIFY_MULT * i;
        if (hk_vm_ioeventfd(t->vm, q->kick_fd, addr, 0, false, true) == 0) {
            q->ioeventfd = true;
            q->ioeventfd_addr = addr;
        } else {
            hk_debug(t->vm->log, "%s: no ioeventfd for queue %u (%s): doorbells exit", t->name, i,
                     strerror(errno));
        }
    }
}

static void pci_reset_hook(struct hk_pci_dev *d)
{
    struct hk_virtio_pci *t = d->opaque;
    pthread_mutex_lock(&t->lock);
    reset_locked(t);
    for (unsigned v = 0; v < t->nvectors; v++)
        t->msix[v] = (struct hk_msix_entry){0, 0, 0, 1};
    t->msix_enabled = t->msix_masked = false;
    t->msix_pba = 0;
    pthread_mutex_unlock(&t->lock);
}

/* ---- set-up ---- */

static unsigned add_vndr_cap(struct hk_pci_dev *d, unsigned at, uint8_t type, uint8_t bar,
                             uint32_t off, uint32_t len, const uint8_t *extra, unsigned extra_len)
{
    uint8_t c[24];
    memset(c, 0, sizeof(c));
    c[2] = (uint8_t)(16 + extra_len);
    c[3] = type;
    c[4] = bar;
    hk_pci_put32(&c[8], off);
    hk_pci_put32(&c[12], len);
    if (extra_len)
        memcpy(&c[16], extra, extra_len);
    return hk_pci_add_cap_at(d, at, PCI_CAP_VNDR, c, 16 + extra_len);
}

int hk_virtio_pci_init(struct hk_virtio_pci *t, struct hk_vm *vm, const char *name,
                       uint16_t device_type, uint32_t class_code, uint64_t features,
                       unsigned cfg_size, unsigned nqueues, const uint16_t *queue_sizes,
                       const struct hk_virtio_ops *ops, void *dev)
{
    memset(t, 0, sizeof(*t));
    t->ctl_fd = -1;
    for (unsigned i = 0; i < HK_VIRTIO_MAX_QUEUES; i++)
        t->q[i].kick_fd = -1;
    if (nqueues == 0 || nqueues > HK_VIRTIO_MAX_QUEUES || cfg_size > 0x1000)
        return -1;
    t->vm = vm;
    t->name = name;
    t->dev = dev;
    t->ops = ops;
    t->cfg_size = cfg_size;
    t->nqueues = nqueues;
    t->host_features = features | HK_VIRTIO_F_VERSION_1;
    t->config_vector = HK_VIRTIO_NO_VECTOR;
    pthread_mutex_init(&t->lock, NULL);
    pthread_cond_init(&t->cond, NULL);
    t->ctl_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (t->ctl_fd < 0)
        return -1;
    for (unsigned i = 0; i < nqueues; i++) {
        struct hk_virtio_queue *q = &t->q[i];
        hk_virtq_init(&q->vq, &vm->mem);
        q->max_size = q->size = queue_sizes[i];
        q->msix_vector = HK_VIRTIO_NO_VECTOR;
        q->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (q->kick_fd < 0)
            return -1;
    }

    struct hk_pci_dev *d = &t->pci;
    hk_pci_dev_init(d, name, 0x1AF4, (uint16_t)(0x1040 + device_type), 1, class_code);
    hk_pci_set_subsystem(d, 0x1AF4, 0x1100);
    hk_pci_set_intpin(d, 1);
    d->opaque = t;
    d->cfg_read = cfg_read_hook;
    d->cfg_write = cfg_write_hook;
    d->bar_moved = bar_moved_hook;
    d->reset = pci_reset_hook;
    /* the BARs and capabilities exactly where QEMU's virtio-pci (disable-legacy=on) has them,
     * so that firmware and drivers meet the layout they are tested with: MSI-X in BAR1, the
     * rest in a 64-bit prefetchable BAR4; vendor capabilities at 0x40 common, 0x50 ISR, 0x60
     * device, 0x70 notify, 0x84 PCI configuration access, then MSI-X at 0x98 heading the list;
     * each window 0x1000 bytes */
    hk_pci_set_bar(d, HK_VIRTIO_MSIX_BAR, HK_PCI_BAR_MEM32, false, HK_VIRTIO_MSIX_BAR_SIZE,
                   &msix_ops, t, NULL, 0);
    hk_pci_set_bar(d, HK_VIRTIO_BAR, HK_PCI_BAR_MEM64, true, HK_VIRTIO_BAR_SIZE, &bar_ops, t, NULL,
                   0);

    uint8_t mult[4];
    hk_pci_put32(mult, HK_VIRTIO_NOTIFY_MULT);
    uint8_t data[4] = {0, 0, 0, 0};
    if (!add_vndr_cap(d, 0x40, CAP_COMMON, HK_VIRTIO_BAR, HK_VIRTIO_COMMON_OFF, 0x1000, NULL, 0) ||
        !add_vndr_cap(d, 0x50, CAP_ISR, HK_VIRTIO_BAR, HK_VIRTIO_ISR_OFF, 0x1000, NULL, 0) ||
        !add_vndr_cap(d, 0x60, CAP_DEVICE, HK_VIRTIO_BAR, HK_VIRTIO_DEVCFG_OFF, 0x1000, NULL, 0) ||
        !add_vndr_cap(d, 0x70, CAP_NOTIFY, HK_VIRTIO_BAR, HK_VIRTIO_NOTIFY_OFF, 0x1000, mult, 4))
        return -1;
    t->pcicfg_cap = add_vndr_cap(d, 0x84, CAP_PCI, 0, 0, 0, data, 4);
    if (t->pcicfg_cap) {
        d->wmask[t->pcicfg_cap + 4] = 0xFF;
        for (unsigned i = 8; i < 20; i++)
            d->wmask[t->pcicfg_cap + i] = 0xFF;
    }

    /* MSI-X: one vector per queue plus the configuration vector */
    t->nvectors = nqueues + 1;
    for (unsigned v = 0; v < t->nvectors; v++)
        t->msix[v].ctrl = 1; /* masked */
    uint8_t mx[12];
    memset(mx, 0, sizeof(mx));
    hk_pci_put16(&mx[2], (uint16_t)(t->nvectors - 1));
    hk_pci_put32(&mx[4], 0 | HK_VIRTIO_MSIX_BAR);
    hk_pci_put32(&mx[8], HK_VIRTIO_MSIX_PBA_OFF | HK_VIRTIO_MSIX_BAR);
    t->msix_cap = hk_pci_add_cap_at(d, 0x98, PCI_CAP_MSIX, mx, sizeof(mx));
    if (t->msix_cap)
        d->wmask[t->msix_cap + 3] = 0xC0;
    return 0;
}

int hk_virtio_pci_register(struct hk_virtio_pci *t, struct hk_pci_host *host, uint8_t devfn)
{
    return hk_pci_register(host, &t->pci, devfn);
}

/* ---- the worker ---- */

int hk_virtio_pop(struct hk_virtio_pci *t, unsigned qi, struct hk_virtq_elem *e)
{
    if (qi >= t->nqueues)
        return 0;
    pthread_mutex_lock(&t->lock);
    int r = 0;
    if (runnable_locked(t, qi)) {
        r = hk_virtq_pop(&t->q[qi].vq, e);
        if (r < 0)
            device_error_locked(t, qi, t->q[qi].vq.error);
    }
    pthread_mutex_unlock(&t->lock);
    return r;
}

void hk_virtio_push(struct hk_virtio_pci *t, unsigned qi, uint16_t head, uint32_t written)
{
    if (qi >= t->nqueues)
        return;
    pthread_mutex_lock(&t->lock);
    struct hk_virtio_queue *q = &t->q[qi];
    if (q->enabled && q->vq.ready && !q->vq.broken) {
        hk_virtq_push(&q->vq, head, written);
        if (hk_virtq_should_notify(&q->vq)) {
            q->interrupts++;
            signal_locked(t, q->msix_vector, 1);
        }
    }
    pthread_mutex_unlock(&t->lock);
}

bool hk_virtio_checkpoint(struct hk_virtio_pci *t)
{
    pthread_mutex_lock(&t->lock);
    unsigned gen = t->gen;
    bool pending = pending_locked(t);
    if (pending) {
        t->busy = false;
        pthread_cond_broadcast(&t->cond);
    }
    pthread_mutex_unlock(&t->lock);
    if (!pending)
        return true;
    deliver(t);
    pthread_mutex_lock(&t->lock);
    bool ok = t->gen == gen && !t->stopping;
    if (ok)
        t->busy = true;
    pthread_mutex_unlock(&t->lock);
    return ok;
}

void hk_virtio_fail(struct hk_virtio_pci *t, unsigned qi, const char *why)
{
    if (qi >= t->nqueues)
        return;
    pthread_mutex_lock(&t->lock);
    struct hk_virtq *vq = &t->q[qi].vq;
    if (!vq->broken) {
        vq->broken = true;
        snprintf(vq->error, sizeof(vq->error), "%s", why);
        device_error_locked(t, qi, why);
    }
    pthread_mutex_unlock(&t->lock);
}

bool hk_virtio_has_feature(struct hk_virtio_pci *t, uint64_t bits)
{
    pthread_mutex_lock(&t->lock);
    bool r = (t->guest_features & bits) == bits;
    pthread_mutex_unlock(&t->lock);
    return r;
}

bool hk_virtio_queue_ready(struct hk_virtio_pci *t, unsigned qi)
{
    if (qi >= t->nqueues)
        return false;
    pthread_mutex_lock(&t->lock);
    bool r = runnable_locked(t, qi);
    pthread_mutex_unlock(&t->lock);
    return r;
}

void hk_virtio_unpop(struct hk_virtio_pci *t, unsigned qi, unsigned n)
{
    if (qi >= t->nqueues)
        return;
    pthread_mutex_lock(&t->lock);
    if (runnable_locked(t, qi))
        hk_virtq_unpop(&t->q[qi].vq, (uint16_t)(n > 0xFFFF ? 0xFFFF : n));
    pthread_mutex_unlock(&t->lock);
}

bool hk_virtio_rearm(struct hk_virtio_pci *t, unsigned qi)
{
    if (qi >= t->nqueues)
        return false;
    pthread_mutex_lock(&t->lock);
    bool work = false;
    if (runnable_locked(t, qi)) {
        hk_virtq_set_notify(&t->q[qi].vq, true);
        work = hk_virtq_grew(&t->q[qi].vq);
    }
    pthread_mutex_unlock(&t->lock);
    return work;
}

void hk_virtio_config_changed(struct hk_virtio_pci *t)
{
    pthread_mutex_lock(&t->lock);
    t->config_gen++;
    /* before DRIVER_OK the driver reads the configuration itself: no interrupt */
    if (t->status & HK_VIRTIO_S_DRIVER_OK)
        signal_locked(t, t->config_vector, 2);
    bool now = pending_locked(t);
    pthread_mutex_unlock(&t->lock);
    if (now)
        deliver(t);
}

void hk_virtio_wake(struct hk_virtio_pci *t)
{
    if (t->ctl_fd >= 0)
        kick(t->ctl_fd);
}

/* Marks the worker busy (a reset waits) unless the device is stopping; returns false then. */
static bool enter_busy(struct hk_virtio_pci *t)
{
    pthread_mutex_lock(&t->lock);
    bool ok = !t->stopping;
    if (ok)
        t->busy = true;
    pthread_mutex_unlock(&t->lock);
    return ok;
}

static void leave_busy(struct hk_virtio_pci *t)
{
    pthread_mutex_lock(&t->lock);
    t->busy = false;
    pthread_cond_broadcast(&t->cond);
    pthread_mutex_unlock(&t->lock);
}

static unsigned io_prepare(struct hk_virtio_pci *t, struct pollfd *p, int *timeout_ms)
{
    if (!t->ops->io_fds || !enter_busy(t))
        return 0;
    unsigned n = t->ops->io_fds(t->dev, p, timeout_ms);
    leave_busy(t);
    return n > HK_VIRTIO_MAX_IOFDS ? HK_VIRTIO_MAX_IOFDS : n;
}

static void run_io(struct hk_virtio_pci *t, const struct pollfd *p, unsigned n)
{
    if (!t->ops->io || !enter_busy(t))
        return;
    t->ops->io(t->dev, p, n);
    leave_busy(t);
    deliver(t);
}

static void run_queue(struct hk_virtio_pci *t, unsigned qi)
{
    struct hk_virtio_queue *q = &t->q[qi];
    for (;;) {
        pthread_mutex_lock(&t->lock);
        if (!runnable_locked(t, qi)) {
            pthread_mutex_unlock(&t->lock);
            return;
        }
        t->busy = true;
        unsigned gen = t->gen;
        uint16_t before = q->vq.last_avail;
        /* no doorbells while we drain the ring */
        hk_virtq_set_notify(&q->vq, false);
        pthread_mutex_unlock(&t->lock);

        t->ops->process(t->dev, qi);

        pthread_mutex_lock(&t->lock);
        bool again = false;
        if (t->gen == gen && runnable_locked(t, qi)) {
            hk_virtq_set_notify(&q->vq, true);
            /* loop while the device consumes and the driver keeps adding */
            again = q->vq.last_avail != before && hk_virtq_has_work(&q->vq);
        }
        t->busy = false;
        pthread_cond_broadcast(&t->cond);
        pthread_mutex_unlock(&t->lock);
        deliver(t);
        if (!again)
            return;
    }
}

void hk_virtio_pci_poll(struct hk_virtio_pci *t)
{
    for (unsigned i = 0; i < t->nqueues; i++) {
        uint64_t v;
        if (read(t->q[i].kick_fd, &v, sizeof(v)) == sizeof(v))
            run_queue(t, i);
    }
    struct pollfd p[HK_VIRTIO_MAX_IOFDS];
    int timeout = -1;
    unsigned n = io_prepare(t, p, &timeout);
    if (n && poll(p, n, 0) < 0)
        for (unsigned i = 0; i < n; i++)
            p[i].revents = 0;
    if (t->ops->io)
        run_io(t, p, n);
}

static void *worker_main(void *opaque)
{
    struct hk_virtio_pci *t = opaque;
    struct pollfd p[1 + HK_VIRTIO_MAX_QUEUES + HK_VIRTIO_MAX_IOFDS];
    p[0].fd = t->ctl_fd;
    p[0].events = POLLIN;
    for (unsigned i = 0; i < t->nqueues; i++) {
        p[1 + i].fd = t->q[i].kick_fd;
        p[1 + i].events = POLLIN;
    }
    struct pollfd *io = &p[1 + t->nqueues];
    for (;;) {
        int timeout = -1;
        unsigned nio = io_prepare(t, io, &timeout);
        int n = poll(p, 1 + t->nqueues + nio, timeout);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (p[0].revents) {
            drain(t->ctl_fd);
            pthread_mutex_lock(&t->lock);
            bool stop = t->stopping;
            pthread_mutex_unlock(&t->lock);
            if (stop)
                break;
        }
        for (unsigned i = 0; i < t->nqueues; i++) {
            if (p[1 + i].revents & POLLIN) {
                drain(t->q[i].kick_fd);
                run_queue(t, i);
            }
        }
        if (t->ops->io) {
            /* a timeout the device asked for, a wake-up, or its descriptors */
            bool any = n == 0 || p[0].revents;
            for (unsigned i = 0; i < nio; i++)
                any = any || io[i].revents;
            if (any)
                run_io(t, io, nio);
        }
    }
    return NULL;
}

int hk_virtio_pci_start(struct hk_virtio_pci *t)
{
    if (t->thread_started)
        return 0;
    if (pthread_create(&t->thread, NULL, worker_main, t) != 0)
        return -1;
    pthread_setname_np(t->thread, t->name); /* "virtio-net" in top and perf */
    t->thread_started = true;
    return 0;
}

void hk_virtio_pci_stop(struct hk_virtio_pci *t)
{
    if (!t->vm || !t->thread_started)
        return;
    pthread_mutex_lock(&t->lock);
    t->stopping = true;
    pthread_mutex_unlock(&t->lock);
    kick(t->ctl_fd);
    pthread_join(t->thread, NULL);
    t->thread_started = false;
}

void hk_virtio_pci_destroy(struct hk_virtio_pci *t)
{
    if (!t->vm)
        return;
    hk_virtio_pci_stop(t);
    for (unsigned i = 0; i < t->nqueues; i++) {
        struct hk_virtio_queue *q = &t->q[i];
        if (q->ioeventfd && !t->vm->nokvm && t->vm->vm_fd >= 0)
            hk_vm_ioeventfd(t->vm, q->kick_fd, q->ioeventfd_addr, 0, false, false);
        q->ioeventfd = false;
        if (q->kick_fd >= 0)
            close(q->kick_fd);
        q->kick_fd = -1;
    }
    if (t->ctl_fd >= 0)
        close(t->ctl_fd);
    t->ctl_fd = -1;
    pthread_mutex_destroy(&t->lock);
    pthread_cond_destroy(&t->cond);
    t->vm = NULL;
}
