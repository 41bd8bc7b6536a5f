/* A guest's virtio-net driver in miniature, for tests and benchmarks without KVM: a fake VM with
 * RAM, the card on a PCI host, the driver's side of §3.1.1 through the card's registers (VERSION_1,
 * MAC, STATUS, MTU, MRG_RXBUF, EVENT_IDX), a receive ring kept full of buffers, and a transmit ring
 * of slots. The card runs on its own worker thread with passt (or a given socket) behind it,
 * exactly as in hako-vmm; this side polls the used rings. */
#ifndef HK_TEST_GUESTNET_H
#define HK_TEST_GUESTNET_H

#include <poll.h>
#include <sched.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../unit/fakevm.h"

#include "core/pci.h"
#include "virtio/net.h"

#define GN_RAM      (48u << 20)
#define GN_BAR      0xE0000000ull
#define GN_MSIX_BAR 0xE0010000ull
#define GN_DEVFN    0x60
#define GN_QS       HK_NET_QUEUE_SIZE
#define GN_RX_DESC  0x10000u
#define GN_RX_AVAIL 0x12000u
#define GN_RX_USED  0x13000u
#define GN_TX_DESC  0x16000u
#define GN_TX_AVAIL 0x18000u
#define GN_TX_USED  0x19000u
#define GN_RX_BUFS  0x100000u /* 256 receive buffers of GN_RX_BUF bytes */
#define GN_RX_BUF   4096u
#define GN_TX_BUFS  0x400000u /* 256 transmit slots of 64 KiB + header */
#define GN_TX_SLOT  0x10100u

struct gn {
    struct fakevm f;
    struct hk_pci_host host;
    struct hk_virtio_net n;
    uint8_t mac[6];
    uint16_t rx_avail, tx_avail;       /* driver ring indices */
    uint16_t rx_used, tx_used;         /* used entries consumed */
    uint16_t rx_notified, tx_notified; /* driver index at the last doorbell decision */
    unsigned tx_inflight;
    uint64_t kicks;
};

static inline uint64_t gn_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline uint64_t gn_rd(struct gn *g, uint64_t off, unsigned size)
{
    uint64_t v = 0;
    hk_bus_read(&g->f.vm.mmio, GN_BAR + off, size, &v);
    return v;
}

static inline void gn_wr(struct gn *g, uint64_t off, unsigned size, uint64_t v)
{
    hk_bus_write(&g->f.vm.mmio, GN_BAR + off, size, v);
}

static inline struct hk_vring_desc *gn_desc(struct gn *g, unsigned q)
{
    return (struct hk_vring_desc *)(g->f.ram + (q ? GN_TX_DESC : GN_RX_DESC));
}

static inline struct hk_vring_avail *gn_avail(struct gn *g, unsigned q)
{
    return (struct hk_vring_avail *)(g->f.ram + (q ? GN_TX_AVAIL : GN_RX_AVAIL));
}

static inline struct hk_vring_used *gn_used(struct gn *g, unsigned q)
{
    return (struct hk_vring_used *)(g->f.ram + (q ? GN_TX_USED : GN_RX_USED));
}

static inline void gn_queue(struct gn *g, unsigned q, uint32_t d, uint32_t a, uint32_t u)
{
    gn_wr(g, 0x16, 2, q);
    gn_wr(g, 0x20, 4, d);
    gn_wr(g, 0x24, 4, 0);
    gn_wr(g, 0x28, 4, a);
    gn_wr(g, 0x2C, 4, 0);
    gn_wr(g, 0x30, 4, u);
    gn_wr(g, 0x34, 4, 0);
    gn_wr(g, 0x1C, 2, 1);
}

static inline void gn_kick(struct gn *g, unsigned q)
{
    g->kicks++;
    gn_wr(g, HK_VIRTIO_NOTIFY_OFF + HK_VIRTIO_NOTIFY_MULT * q, 2, q);
}

/* EVENT_IDX as a driver does it: a doorbell only when the device asked for one (avail_event)
 * among the entries added since the last decision. */
static inline void gn_notify(struct gn *g, unsigned q)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    uint16_t now = q ? g->tx_avail : g->rx_avail;
    uint16_t *old = q ? &g->tx_notified : &g->rx_notified;
    uint16_t ev = __atomic_load_n((uint16_t *)&gn_used(g, q)->ring[GN_QS], __ATOMIC_RELAXED);
    if ((uint16_t)(now - ev - 1) < (uint16_t)(now - *old))
        gn_kick(g, q);
    *old = now;
}

/* Posts receive buffer i (descriptor i) again. */
static inline void gn_post_rx(struct gn *g, uint16_t i)
{
    gn_desc(g, 0)[i] = (struct hk_vring_desc){GN_RX_BUFS + (uint64_t)i * GN_RX_BUF, GN_RX_BUF,
                                              HK_VIRTQ_DESC_F_WRITE, 0};
    struct hk_vring_avail *av = gn_avail(g, 0);
    av->ring[g->rx_avail % GN_QS] = i;
    g->rx_avail++;
    __atomic_store_n(&av->idx, g->rx_avail, __ATOMIC_RELEASE);
}

/* The card with passt behind it (cfg->passt) on the worker thread, and the driver set up.
 * Returns 0, or -1 when the card could not be made. */
static inline int gn_init(struct gn *g, const struct hk_virtio_net_config *cfg)
{
    memset(g, 0, sizeof(*g));
    fakevm_init(&g->f, GN_RAM);
    hk_pci_host_init(&g->host, &g->f.vm);
    memcpy(g->mac, cfg->mac, 6);
    if (hk_virtio_net_init(&g->n, &g->f.vm, cfg) < 0)
        return -1;
    hk_virtio_net_register(&g->n, &g->host, GN_DEVFN);
    hk_virtio_net_start_backend(&g->n);
    hk_pci_cfg_write(&g->host, GN_DEVFN, 0x20, 4, (uint32_t)GN_BAR);
    hk_pci_cfg_write(&g->host, GN_DEVFN, 0x14, 4, (uint32_t)GN_MSIX_BAR);
    hk_pci_cfg_write(&g->host, GN_DEVFN, 0x04, 2, 0x0006);
    if (hk_virtio_pci_start(&g->n.t) < 0)
        return -1;
    /* the driver */
    uint64_t want = HK_VIRTIO_F_VERSION_1 | HK_NET_F_MAC | HK_NET_F_STATUS | HK_NET_F_MTU |
                    HK_NET_F_MRG_RXBUF | HK_VIRTIO_F_EVENT_IDX;
    gn_wr(g, 0x14, 1, 0);
    gn_wr(g, 0x14, 1, HK_VIRTIO_S_ACKNOWLEDGE | HK_VIRTIO_S_DRIVER);
    gn_wr(g, 0x08, 4, 0);
    gn_wr(g, 0x0C, 4, (uint32_t)want);
    gn_wr(g, 0x08, 4, 1);
    gn_wr(g, 0x0C, 4, (uint32_t)(want >> 32));
    gn_wr(g, 0x14, 1, HK_VIRTIO_S_ACKNOWLEDGE | HK_VIRTIO_S_DRIVER | HK_VIRTIO_S_FEATURES_OK);
    if (!(gn_rd(g, 0x14, 1) & HK_VIRTIO_S_FEATURES_OK))
        return -1;
    gn_queue(g, 0, GN_RX_DESC, GN_RX_AVAIL, GN_RX_USED);
    gn_queue(g, 1, GN_TX_DESC, GN_TX_AVAIL, GN_TX_USED);
    for (uint16_t i = 0; i < GN_QS; i++)
        gn_post_rx(g, i);
    gn_wr(g, 0x14, 1, 0x0F);
    gn_kick(g, 0);
    g->rx_notified = g->rx_avail;
    return 0;
}

static inline void gn_destroy(struct gn *g)
{
    hk_virtio_net_destroy(&g->n);
    hk_pci_host_destroy(&g->host);
    fakevm_destroy(&g->f);
}

static inline bool gn_link_up(struct gn *g)
{
    return gn_rd(g, HK_VIRTIO_DEVCFG_OFF + 6, 2) & HK_NET_S_LINK_UP;
}

/* Waits a little for the worker: spins first, then sleeps. */
static inline void gn_pause(unsigned *spins)
{
    if (++*spins < 200) {
        sched_yield();
    } else {
        struct timespec ts = {0, 20000};
        nanosleep(&ts, NULL);
    }
}

/* Completed transmissions give their slots back. */
static inline void gn_reap_tx(struct gn *g)
{
    uint16_t u = __atomic_load_n(&gn_used(g, 1)->idx, __ATOMIC_ACQUIRE);
    while (g->tx_used != u) {
        g->tx_used++;
        g->tx_inflight--;
    }
}

/* A transmit slot to build a frame in, in guest RAM (after the 12-byte header), or NULL after
 * timeout_ms with every slot in flight. gn_commit then queues it. */
static inline uint8_t *gn_tx_slot(struct gn *g, int timeout_ms)
{
    uint64_t deadline = 0;
    unsigned spins = 0;
    for (;;) {
        gn_reap_tx(g);
        if (g->tx_inflight < GN_QS)
            break;
        uint64_t now = gn_now_ns();
        if (!deadline)
            deadline = now + (uint64_t)timeout_ms * 1000000ull;
        else if (now > deadline)
            return NULL;
        gn_pause(&spins);
    }
    uint16_t i = g->tx_avail % GN_QS;
    uint32_t addr = GN_TX_BUFS + i * GN_TX_SLOT;
    memset(g->f.ram + addr, 0, HK_NET_HDR_LEN);
    return g->f.ram + addr + HK_NET_HDR_LEN;
}

/* Queues the frame of len bytes built in the slot gn_tx_slot gave; kick: decide about the
 * doorbell now (batches: only after the last). */
static inline void gn_commit(struct gn *g, size_t len, bool kick)
{
    uint16_t i = g->tx_avail % GN_QS;
    uint32_t addr = GN_TX_BUFS + i * GN_TX_SLOT;
    gn_desc(g, 1)[i] = (struct hk_vring_desc){addr, (uint32_t)(HK_NET_HDR_LEN + len), 0, 0};
    struct hk_vring_avail *av = gn_avail(g, 1);
    av->ring[i] = i;
    g->tx_avail++;
    g->tx_inflight++;
    __atomic_store_n(&av->idx, g->tx_avail, __ATOMIC_RELEASE);
    if (kick)
        gn_notify(g, 1);
}

/* Queues a copy of a frame. Returns false after timeout_ms with every slot in flight. */
static inline bool gn_send(struct gn *g, const void *frame, size_t len, bool kick, int timeout_ms)
{
    uint8_t *p = gn_tx_slot(g, timeout_ms);
    if (!p)
        return false;
    memcpy(p, frame, len);
    gn_commit(g, len, kick);
    return true;
}

/* True when a received frame is waiting. */
static inline bool gn_rx_ready(struct gn *g)
{
    return __atomic_load_n(&gn_used(g, 0)->idx, __ATOMIC_ACQUIRE) != g->rx_used;
}

/* The next received frame (its buffers posted again) into buf; returns its length, 0 after
 * timeout_ms, -1 when it does not fit cap. */
static inline long gn_recv(struct gn *g, uint8_t *buf, size_t cap, int timeout_ms)
{
    uint64_t deadline = gn_now_ns() + (uint64_t)timeout_ms * 1000000ull;
    unsigned spins = 0;
    struct hk_vring_used *u = gn_used(g, 0);
    while (__atomic_load_n(&u->idx, __ATOMIC_ACQUIRE) == g->rx_used) {
        if (gn_now_ns() > deadline)
            return 0;
        gn_pause(&spins);
    }
    struct hk_vring_used_elem e = u->ring[g->rx_used % GN_QS];
    const uint8_t *b = g->f.ram + GN_RX_BUFS + (uint64_t)e.id * GN_RX_BUF;
    unsigned nbuf = (unsigned)(b[10] | b[11] << 8);
    size_t got = 0;
    bool fits = true;
    for (unsigned k = 0; k < nbuf; k++) {
        /* the other buffers of a merged frame follow in the used ring */
        while (__atomic_load_n(&u->idx, __ATOMIC_ACQUIRE) == g->rx_used)
            gn_pause(&spins);
        e = u->ring[g->rx_used % GN_QS];
        b = g->f.ram + GN_RX_BUFS + (uint64_t)e.id * GN_RX_BUF;
        size_t skip = k == 0 ? HK_NET_HDR_LEN : 0;
        size_t n = e.len > skip ? e.len - skip : 0;
        if (got + n <= cap)
            memcpy(buf + got, b + skip, n);
        else
            fits = false;
        got += n;
        g->rx_used++;
        gn_post_rx(g, (uint16_t)e.id);
    }
    gn_notify(g, 0);
    return fits ? (long)got : -1;
}

#endif
