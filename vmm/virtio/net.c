#include "net.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/vm.h"
#include "hako/bytes.h"
#include "hako/netpkt.h"

#define RX_BUDGET (8u << 20) /* bytes delivered per turn before the worker looks at the rest */

/* bits of n->seen */
enum {
    SEEN_TX = 1u << 0,
    SEEN_DISCOVER = 1u << 1,
    SEEN_REQUEST = 1u << 2,
    SEEN_OFFER = 1u << 3,
    SEEN_NAK = 1u << 4,
    SEEN_DNS_QUERY = 1u << 5,
    SEEN_DNS_ANSWER = 1u << 6,
};

#define MAX_LEASE_FACTS 8

static void stat_add(uint64_t *s, uint64_t v)
{
    __atomic_store_n(s, __atomic_load_n(s, __ATOMIC_RELAXED) + v, __ATOMIC_RELAXED);
}

static bool link_up(struct hk_virtio_net *n)
{
    return __atomic_load_n(&n->link_up, __ATOMIC_ACQUIRE);
}

static size_t max_frame(const struct hk_virtio_net *n)
{
    return n->mtu + HK_NET_FRAME_SLACK;
}

/* ---- the network diagnosis: a look at the frames that pass ---- */

/* Only UDP to or from ports 53, 67 and 68 are of interest: a few bytes decide. */
static bool interesting(const uint8_t *f, size_t len)
{
    if (len < 42)
        return false;
    size_t off = 12;
    uint16_t type = hk_be16(f + off);
    if (type == HK_ETH_P_VLAN) {
        off += 4;
        type = hk_be16(f + off);
    }
    off += 2;
    size_t l4;
    if (type == HK_ETH_P_IPV4 && len >= off + 20) {
        if (f[off + 9] != HK_IPPROTO_UDP)
            return false;
        l4 = off + (size_t)(f[off] & 0x0F) * 4;
    } else if (type == HK_ETH_P_IPV6 && len >= off + 40) {
        if (f[off + 6] != HK_IPPROTO_UDP)
            return false;
        l4 = off + 40;
    } else {
        return false;
    }
    if (len < l4 + 4)
        return false;
    unsigned sp = hk_be16(f + l4), dp = hk_be16(f + l4 + 2);
    return sp == 53 || dp == 53 || sp == 67 || sp == 68 || dp == 67 || dp == 68;
}

static bool first(struct hk_virtio_net *n, uint32_t bit)
{
    uint32_t old = __atomic_fetch_or(&n->seen, bit, __ATOMIC_RELAXED);
    return !(old & bit);
}

static const char *ethertype_name(uint16_t t)
{
    switch (t) {
    case HK_ETH_P_IPV4: return "IPv4";
    case HK_ETH_P_ARP: return "ARP";
    case HK_ETH_P_IPV6: return "IPv6";
    case HK_ETH_P_VLAN: return "VLAN";
    default: return "other";
    }
}

static void observe(struct hk_virtio_net *n, const uint8_t *f, size_t len, bool from_guest)
{
    struct hk_facts *facts = &n->vm->facts;
    if (from_guest && !(__atomic_load_n(&n->seen, __ATOMIC_RELAXED) & SEEN_TX) &&
        first(n, SEEN_TX)) {
        struct hk_pkt_info in;
        hk_pkt_inspect(f, len, &in);
        hk_fact(facts, HK_FACT_NET_FIRST_TX, in.ethertype, (int64_t)len, 0, "%zu bytes, %s%s%s",
                len, ethertype_name(in.ethertype),
                in.arp ? (in.arp_op == 1 ? " request" : " reply") : "",
                in.udp   ? " UDP"
                : in.tcp ? " TCP"
                         : "");
    }
    if (!interesting(f, len))
        return;
    struct hk_pkt_info in;
    if (hk_pkt_inspect(f, len, &in) < 0)
        return;
    char a[16], b[16], c[16];
    if (in.dhcp_type) {
        uint32_t addr = in.dhcp_type == HK_DHCP_REQUEST ? in.dhcp_requested : in.dhcp_yiaddr;
        hk_pkt_format_ip4(addr, a);
        switch (in.dhcp_type) {
        case HK_DHCP_DISCOVER:
            if (from_guest && first(n, SEEN_DISCOVER))
                hk_fact(facts, HK_FACT_NET_DHCP, HK_DHCP_DISCOVER, 0, 0, "DISCOVER");
            break;
        case HK_DHCP_REQUEST:
            if (from_guest && first(n, SEEN_REQUEST))
                hk_fact(facts, HK_FACT_NET_DHCP, HK_DHCP_REQUEST, addr, 0, "REQUEST %s",
                        addr ? a : "(renewal)");
            break;
        case HK_DHCP_OFFER:
            if (!from_guest && first(n, SEEN_OFFER))
                hk_fact(facts, HK_FACT_NET_DHCP, HK_DHCP_OFFER, addr, 0, "OFFER %s", a);
            break;
        case HK_DHCP_ACK:
            /* the lease: recorded when it changes (a few times at most) */
            if (!from_guest && in.dhcp_yiaddr &&
                in.dhcp_yiaddr != __atomic_load_n(&n->last_lease, __ATOMIC_RELAXED) &&
                n->leases < MAX_LEASE_FACTS) {
                __atomic_store_n(&n->last_lease, in.dhcp_yiaddr, __ATOMIC_RELAXED);
                n->leases++;
                hk_pkt_format_ip4(in.dhcp_router, b);
                hk_pkt_format_ip4(in.dhcp_dns, c);
                hk_fact(facts, HK_FACT_NET_DHCP, HK_DHCP_ACK, addr, in.dhcp_router,
                        "ACK %s, gateway %s, DNS %s, lease %u s, MTU %u", a, b, c, in.dhcp_lease,
                        in.dhcp_mtu);
            }
            break;
        case HK_DHCP_NAK:
            if (!from_guest && first(n, SEEN_NAK))
                hk_fact(facts, HK_FACT_NET_DHCP, HK_DHCP_NAK, 0, 0, "NAK");
            break;
        default: break;
        }
    }
    if (in.dns) {
        if (from_guest && !in.dns_response && first(n, SEEN_DNS_QUERY))
            hk_fact(facts, HK_FACT_NET_DNS, 0, 0, 0, "%s", in.dns_name[0] ? in.dns_name : "?");
        else if (!from_guest && in.dns_response &&
                 (__atomic_load_n(&n->seen, __ATOMIC_RELAXED) & SEEN_DNS_QUERY) &&
                 first(n, SEEN_DNS_ANSWER))
            hk_fact(facts, HK_FACT_NET_DNS, 1, in.dns_rcode, in.dns_answers,
                    "%s: %u answer%s, rcode %u", in.dns_name[0] ? in.dns_name : "?", in.dns_answers,
                    in.dns_answers == 1 ? "" : "s", in.dns_rcode);
    }
}

/* ---- link ---- */

/* The worker brings the guest's view in line with the cable and passt. */
static void update_link(struct hk_virtio_net *n)
{
    bool backend = hk_passt_up(&n->backend);
    __atomic_store_n(&n->backend_pub, backend, __ATOMIC_RELEASE);
    enum hk_net_link_cause cause =
        backend != n->backend_seen_up ? HK_NET_LINK_BACKEND : HK_NET_LINK_USER;
    n->backend_seen_up = backend;
    bool want = __atomic_load_n(&n->link_user, __ATOMIC_ACQUIRE) && backend;
    if (want == link_up(n))
        return;
    __atomic_store_n(&n->link_up, want, __ATOMIC_RELEASE);
    hk_fact(&n->vm->facts, HK_FACT_NET_LINK, want, cause, 0, "link %s (%s)", want ? "up" : "down",
            cause == HK_NET_LINK_USER ? "cable" : "passt");
    hk_info(n->vm->log, "virtio-net: link %s", want ? "up" : "down");
    hk_virtio_config_changed(&n->t);
}

void hk_virtio_net_set_link(struct hk_virtio_net *n, bool up)
{
    __atomic_store_n(&n->link_user, up, __ATOMIC_RELEASE);
    hk_virtio_wake(&n->t);
}

bool hk_virtio_net_link_up(struct hk_virtio_net *n)
{
    return link_up(n);
}

/* ---- receive: passt -> guest ---- */

static void drop_rx(struct hk_virtio_net *n, uint64_t *why)
{
    stat_add(why, 1);
    stat_add(&n->stats.rx_dropped, 1);
}

/* 1 delivered, 0 no buffers (try again when the driver posts some), -1 dropped. */
static int deliver_one(struct hk_virtio_net *n, const uint8_t *f, size_t len)
{
    struct hk_virtio_pci *t = &n->t;
    size_t need = HK_NET_HDR_LEN + len;
    uint8_t hdr[HK_NET_HDR_LEN];
    memset(hdr, 0, sizeof(hdr));
    struct hk_virtq_elem *e = n->elem;
    if (!__atomic_load_n(&n->mrg, __ATOMIC_ACQUIRE)) {
        int r = hk_virtio_pop(t, HK_NET_RXQ, e);
        if (r == 0)
            return 0;
        if (r < 0) {
            drop_rx(n, &n->stats.rx_no_driver); /* the queue broke */
            return -1;
        }
        if (e->nout) {
            hk_virtio_fail(t, HK_NET_RXQ, "receive buffer the device cannot write");
            drop_rx(n, &n->stats.rx_no_driver);
            return -1;
        }
        if (e->in_len < need) {
            /* the driver's buffers are too small for this frame: keep them for the next one */
            hk_virtio_unpop(t, HK_NET_RXQ, 1);
            drop_rx(n, &n->stats.rx_too_big);
            return -1;
        }
        hk_put_le16(hdr + 10, 1); /* num_buffers */
        hk_iov_from_buf(e->iov, e->nin, 0, hdr, HK_NET_HDR_LEN);
        hk_iov_from_buf(e->iov, e->nin, HK_NET_HDR_LEN, f, len);
        hk_virtio_push(t, HK_NET_RXQ, e->head, (uint32_t)need);
        return 1;
    }
    /* mergeable buffers: as many chains as the frame needs, the header in the first */
    size_t done = 0;
    unsigned k = 0;
    while (done < need) {
        if (k == HK_NET_MAX_MERGE) {
            hk_virtio_unpop(t, HK_NET_RXQ, k);
            drop_rx(n, &n->stats.rx_too_big);
            return -1;
        }
        struct hk_virtq_elem *c = k == 0 ? n->first : e;
        int r = hk_virtio_pop(t, HK_NET_RXQ, c);
        if (r < 0) {
            drop_rx(n, &n->stats.rx_no_driver);
            return -1;
        }
        if (r == 0) {
            hk_virtio_unpop(t, HK_NET_RXQ, k);
            return 0;
        }
        if (c->nout || c->in_len == 0 || (k == 0 && c->in_len < HK_NET_HDR_LEN)) {
            hk_virtio_fail(t, HK_NET_RXQ,
                           c->nout ? "receive buffer the device cannot write"
                                   : "receive buffer smaller than the header");
            drop_rx(n, &n->stats.rx_no_driver);
            return -1;
        }
        size_t room = c->in_len > need - done ? need - done : (size_t)c->in_len;
        /* bytes [done, done + room) of header + frame go into this chain */
        size_t off = 0;
        if (done < HK_NET_HDR_LEN) {
            off = HK_NET_HDR_LEN - done; /* the first chain: the header is written last */
        }
        if (room > off)
            hk_iov_from_buf(c->iov, c->nin, off, f + (done + off - HK_NET_HDR_LEN), room - off);
        n->merge_heads[k] = c->head;
        n->merge_lens[k] = (uint32_t)room;
        done += room;
        k++;
    }
    hk_put_le16(hdr + 10, (uint16_t)k);
    hk_iov_from_buf(n->first->iov, n->first->nin, 0, hdr, HK_NET_HDR_LEN);
    for (unsigned i = 0; i < k; i++)
        hk_virtio_push(t, HK_NET_RXQ, n->merge_heads[i], n->merge_lens[i]);
    return 1;
}

static void receive(struct hk_virtio_net *n)
{
    size_t budget = RX_BUDGET;
    while (budget > 0) {
        size_t len;
        const uint8_t *f = hk_passt_rx_peek(&n->backend, &len);
        if (!f)
            break;
        if (!__atomic_load_n(&n->link_user, __ATOMIC_ACQUIRE)) {
            drop_rx(n, &n->stats.rx_link_down); /* unplugged: nothing reaches the card */
        } else if (!hk_virtio_queue_ready(&n->t, HK_NET_RXQ)) {
            drop_rx(n, &n->stats.rx_no_driver);
        } else if (len > max_frame(n)) {
            drop_rx(n, &n->stats.rx_too_big);
        } else {
            int r = deliver_one(n, f, len);
            if (r == 0) {
                /* no buffers: wait for a doorbell unless some came meanwhile */
                if (hk_virtio_rearm(&n->t, HK_NET_RXQ))
                    continue;
                n->rx_waiting = true;
                return;
            }
            if (r > 0) {
                stat_add(&n->stats.rx_frames, 1);
                stat_add(&n->stats.rx_bytes, len);
                observe(n, f, len, false);
            }
        }
        hk_passt_rx_next(&n->backend);
        budget = budget > len ? budget - len : 0;
    }
    if (hk_virtio_queue_ready(&n->t, HK_NET_RXQ))
        hk_virtio_rearm(&n->t, HK_NET_RXQ);
}

/* ---- transmit: guest -> passt ---- */

static void drop_tx(struct hk_virtio_net *n, uint64_t *why)
{
    stat_add(why, 1);
    stat_add(&n->stats.tx_dropped, 1);
}

static void transmit(struct hk_virtio_net *n)
{
    struct hk_virtio_pci *t = &n->t;
    struct hk_virtq_elem *e = n->elem;
    n->tx_blocked = false;
    for (;;) {
        if (hk_passt_up(&n->backend) && !hk_passt_tx_room(&n->backend, max_frame(n))) {
            if (!hk_passt_tx_flush(&n->backend))
                continue; /* passt went away: the frames below are dropped */
            if (!hk_passt_tx_room(&n->backend, max_frame(n))) {
                n->tx_blocked = true; /* POLLOUT resumes */
                break;
            }
        }
        int r = hk_virtio_pop(t, HK_NET_TXQ, e);
        if (r <= 0) {
            if (r == 0 && hk_virtio_rearm(t, HK_NET_TXQ))
                continue;
            break;
        }
        uint8_t hdr[HK_NET_HDR_LEN];
        memset(hdr, 0, sizeof(hdr));
        size_t len = e->out_len >= HK_NET_HDR_LEN ? (size_t)e->out_len - HK_NET_HDR_LEN : 0;
        if (e->out_len >= HK_NET_HDR_LEN)
            hk_iov_to_buf(e->iov, e->nout, 0, hdr, HK_NET_HDR_LEN);
        if (e->out_len < HK_NET_HDR_LEN || hdr[1] != 0 || len < HK_ETH_HLEN) {
            /* no whole header, segmentation (not offered), or not even an Ethernet header */
            drop_tx(n, &n->stats.tx_malformed);
        } else if (len > max_frame(n)) {
            drop_tx(n, &n->stats.tx_too_big);
        } else if (!link_up(n) || !hk_passt_up(&n->backend)) {
            drop_tx(n, &n->stats.tx_link_down);
        } else {
            struct iovec v[HK_VIRTQ_MAX_SEGS];
            size_t got;
            unsigned nv =
                hk_iov_slice(e->iov, e->nout, HK_NET_HDR_LEN, len, v, HK_VIRTQ_MAX_SEGS, &got);
            size_t at = n->backend.tx_len + 4;
            hk_passt_tx_queue(&n->backend, v, nv, len);
            stat_add(&n->stats.tx_frames, 1);
            stat_add(&n->stats.tx_bytes, len);
            /* inspected in the send buffer: one contiguous copy the guest cannot change */
            observe(n, n->backend.tx + at, len, true);
        }
        hk_virtio_push(t, HK_NET_TXQ, e->head, 0);
    }
    if (hk_passt_up(&n->backend))
        hk_passt_tx_flush(&n->backend);
}

/* ---- transport hooks ---- */

static void net_process(void *opaque, unsigned q)
{
    struct hk_virtio_net *n = opaque;
    if (q == HK_NET_TXQ) {
        if (!n->tx_blocked)
            transmit(n);
    } else if (q == HK_NET_RXQ) {
        n->rx_waiting = false;
        receive(n);
    }
    update_link(n); /* passt may have gone meanwhile, the cable moved */
}

static unsigned net_io_fds(void *opaque, struct pollfd *p, int *timeout_ms)
{
    struct hk_virtio_net *n = opaque;
    /* passt's frames are read into the receive buffer even while the guest has no buffers
     * posted (they wait there, and passt does not find its socket full); only a full buffer
     * stops reading */
    unsigned k = hk_passt_poll_fds(&n->backend, p, true, timeout_ms);
    /* complete frames already buffered: no need to wait for the socket */
    size_t len;
    if (!n->rx_waiting && n->backend.up && n->backend.rx_len >= 4) {
        len = hk_be32(n->backend.rx + n->backend.rx_head);
        if (n->backend.rx_len >= 4 + len)
            *timeout_ms = 0;
    }
    n->npoll = k;
    return k;
}

static void net_io(void *opaque, const struct pollfd *p, unsigned np)
{
    struct hk_virtio_net *n = opaque;
    hk_passt_poll_events(&n->backend, p, np);
    update_link(n);
    if (n->tx_blocked && (!hk_passt_up(&n->backend) || hk_passt_tx_room(&n->backend, max_frame(n))))
        transmit(n); /* room again, or passt went and what waits is dropped */
    if (!n->rx_waiting)
        receive(n);
    else if (hk_passt_up(&n->backend))
        hk_passt_rx_fill(&n->backend);
    update_link(n);
}

static uint64_t net_cfg_read(void *opaque, unsigned off, unsigned size)
{
    struct hk_virtio_net *n = opaque;
    uint8_t c[HK_NET_CFG_SIZE];
    memcpy(c, n->mac, 6);
    hk_put_le16(c + 6, link_up(n) ? HK_NET_S_LINK_UP : 0);
    hk_put_le16(c + 8, 1); /* max_virtqueue_pairs */
    hk_put_le16(c + 10, (uint16_t)n->mtu);
    return hk_get_le(c + off, size);
}

static void net_cfg_write(void *opaque, unsigned off, uint64_t val, unsigned size)
{
    /* the MAC is writable only through the control queue (not offered): read-only */
    (void)opaque;
    (void)off;
    (void)val;
    (void)size;
}

static void net_reset(void *opaque)
{
    struct hk_virtio_net *n = opaque;
    /* no chain is in flight and the worker is outside the device (t->busy is false) */
    n->rx_waiting = false;
    n->tx_blocked = false;
    __atomic_store_n(&n->mrg, false, __ATOMIC_RELEASE);
}

static void net_status(void *opaque, uint8_t old, uint8_t now)
{
    struct hk_virtio_net *n = opaque;
    if (now == 0) {
        /* a new driver (or a reboot): the diagnosis starts over, and frames that arrive until
         * the driver runs again are dropped (the worker must read them) */
        __atomic_store_n(&n->seen, 0, __ATOMIC_RELAXED);
        __atomic_store_n(&n->last_lease, 0, __ATOMIC_RELAXED);
        hk_virtio_wake(&n->t);
        return;
    }
    if ((now & HK_VIRTIO_S_FEATURES_OK) && !(old & HK_VIRTIO_S_FEATURES_OK))
        __atomic_store_n(&n->mrg, hk_virtio_has_feature(&n->t, HK_NET_F_MRG_RXBUF),
                         __ATOMIC_RELEASE);
    if ((now & HK_VIRTIO_S_DRIVER_OK) && !(old & HK_VIRTIO_S_DRIVER_OK)) {
        pthread_mutex_lock(&n->t.lock);
        uint64_t f = n->t.guest_features;
        pthread_mutex_unlock(&n->t.lock);
        hk_fact(&n->vm->facts, HK_FACT_NET_DRIVER_OK, (int64_t)f, 0, 0,
                "virtio-net %02x.%x: %s%s%s, link %s", n->t.pci.devfn >> 3, n->t.pci.devfn & 7,
                f & HK_NET_F_MRG_RXBUF ? "mergeable buffers" : "single buffers",
                f & HK_NET_F_MTU ? ", MTU" : "", f & HK_NET_F_STATUS ? ", link state" : "",
                link_up(n) ? "up" : "down");
        hk_info(n->vm->log, "virtio-net: the driver is ready (features 0x%llx)",
                (unsigned long long)f);
    }
    if ((now & HK_VIRTIO_S_FAILED) && !(old & HK_VIRTIO_S_FAILED))
        hk_fact(&n->vm->facts, HK_FACT_GUEST_ERROR, n->t.pci.devfn, -1, 0,
                "virtio-net %02x.%x: the guest's driver gave up (FAILED)", n->t.pci.devfn >> 3,
                n->t.pci.devfn & 7);
}

static const struct hk_virtio_ops net_ops = {
    .cfg_read = net_cfg_read,
    .cfg_write = net_cfg_write,
    .process = net_process,
    .reset = net_reset,
    .io_fds = net_io_fds,
    .io = net_io,
    .status = net_status,
};

/* ---- set-up ---- */

int hk_virtio_net_init(struct hk_virtio_net *n, struct hk_vm *vm,
                       const struct hk_virtio_net_config *cfg)
{
    memset(n, 0, sizeof(*n));
    n->vm = vm;
    memcpy(n->mac, cfg->mac, 6);
    n->mtu = cfg->mtu ? cfg->mtu : HK_NET_MTU_DEFAULT;
    if (n->mtu < HK_NET_MTU_MIN || n->mtu > HK_NET_MTU_MAX) {
        hk_err(vm->log, "network MTU %u is outside %u-%u", n->mtu, HK_NET_MTU_MIN, HK_NET_MTU_MAX);
        return -1;
    }
    n->link_user = true;
    struct hk_passt_config pc = cfg->passt;
    pc.mtu = n->mtu;
    n->elem = malloc(sizeof(*n->elem));
    n->first = malloc(sizeof(*n->first));
    if (!n->elem || !n->first || hk_passt_init(&n->backend, &pc, vm->log, &vm->facts) < 0)
        goto fail;
    uint64_t features = HK_NET_F_MAC | HK_NET_F_STATUS | HK_NET_F_MTU | HK_NET_F_MRG_RXBUF |
                        HK_VIRTIO_F_EVENT_IDX | HK_VIRTIO_F_INDIRECT_DESC;
    uint16_t qs[2] = {HK_NET_QUEUE_SIZE, HK_NET_QUEUE_SIZE};
    if (hk_virtio_pci_init(&n->t, vm, "virtio-net", 1, 0x020000, features, HK_NET_CFG_SIZE, 2, qs,
                           &net_ops, n) < 0)
        goto fail;
    return 0;
fail:
    hk_err(vm->log, "cannot set up the network card");
    hk_virtio_pci_destroy(&n->t);
    if (n->backend.rx)
        hk_passt_destroy(&n->backend);
    free(n->elem);
    free(n->first);
    n->elem = n->first = NULL;
    return -1;
}

int hk_virtio_net_register(struct hk_virtio_net *n, struct hk_pci_host *host, uint8_t devfn)
{
    return hk_virtio_pci_register(&n->t, host, devfn);
}

void hk_virtio_net_start_backend(struct hk_virtio_net *n)
{
    hk_passt_start(&n->backend);
    n->backend_seen_up = hk_passt_up(&n->backend);
    __atomic_store_n(&n->backend_pub, n->backend_seen_up, __ATOMIC_RELEASE);
    __atomic_store_n(&n->link_up,
                     hk_passt_up(&n->backend) && __atomic_load_n(&n->link_user, __ATOMIC_ACQUIRE),
                     __ATOMIC_RELEASE);
}

void hk_virtio_net_destroy(struct hk_virtio_net *n)
{
    hk_virtio_pci_destroy(&n->t); /* the worker stops first */
    if (n->backend.rx)
        hk_passt_destroy(&n->backend);
    free(n->elem);
    free(n->first);
    n->elem = n->first = NULL;
}

void hk_virtio_net_get_stats(struct hk_virtio_net *n, struct hk_net_stats *out)
{
    const uint64_t *src = (const uint64_t *)&n->stats;
    uint64_t *dst = (uint64_t *)out;
    for (size_t i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
        dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

void hk_virtio_net_get_state(struct hk_virtio_net *n, struct hk_net_state *out)
{
    out->link_up = link_up(n);
    out->cable = __atomic_load_n(&n->link_user, __ATOMIC_ACQUIRE);
    out->backend = __atomic_load_n(&n->backend_pub, __ATOMIC_ACQUIRE);
    pthread_mutex_lock(&n->t.lock);
    out->driver_ok = (n->t.status & HK_VIRTIO_S_DRIVER_OK) != 0;
    pthread_mutex_unlock(&n->t.lock);
}
