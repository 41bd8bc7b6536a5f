/* virtio-net through the modern PCI transport, driven like a guest driver would (registers on the
 * BAR, rings in fake guest memory, doorbells through the notify region), with the "passt" end of
 * the frame socket held by the test: what the guest transmits arrives there length-prefixed, and
 * what the test writes there reaches the guest's receive buffers. Covers identity and feature
 * negotiation, transmit (framing, checks, drops), receive with single and mergeable buffers, no
 * buffers posted, hostile rings, the link state and its interrupt, passt going away, and the
 * network facts (DRIVER_OK, first frame, DHCP, DNS). */
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "fakevm.h"

#include "core/pci.h"
#include "hako/net.h"
#include "hako/netpkt.h"
#include "virtio/net.h"

#define RAM      (4u << 20)
#define BAR      0xE0000000ull
#define MSIX_BAR 0xE0010000ull
#define DEVFN    0x60
#define QS       HK_NET_QUEUE_SIZE
/* rings: receive queue 0, transmit queue 1 */
#define RX_DESC  0x1000u
#define RX_AVAIL 0x3000u
#define RX_USED  0x4000u
#define TX_DESC  0x6000u
#define TX_AVAIL 0x8000u
#define TX_USED  0x9000u
#define RX_BUFS  0x100000u /* receive buffers, 64 KiB apart */
#define TX_BUFS  0x300000u

static const uint8_t MAC[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};

struct env {
    struct fakevm f;
    struct hk_pci_host host;
    struct hk_virtio_net n;
    int peer; /* the test's end of the frame socket: "passt" */
    uint16_t rx_avail, tx_avail, rx_next_desc, tx_next_desc;
    uint16_t rx_used_seen, tx_used_seen;
};

static uint64_t rd(struct env *e, uint64_t off, unsigned size)
{
    uint64_t v = 0;
    hk_bus_read(&e->f.vm.mmio, BAR + off, size, &v);
    return v;
}

static void wr(struct env *e, uint64_t off, unsigned size, uint64_t v)
{
    hk_bus_write(&e->f.vm.mmio, BAR + off, size, v);
}

static struct hk_vring_used *used(struct env *e, unsigned q)
{
    return (struct hk_vring_used *)(e->f.ram + (q == 0 ? RX_USED : TX_USED));
}

static struct hk_vring_avail *avail(struct env *e, unsigned q)
{
    return (struct hk_vring_avail *)(e->f.ram + (q == 0 ? RX_AVAIL : TX_AVAIL));
}

static struct hk_vring_desc *desc(struct env *e, unsigned q)
{
    return (struct hk_vring_desc *)(e->f.ram + (q == 0 ? RX_DESC : TX_DESC));
}

static void setup(struct env *e, unsigned mtu)
{
    memset(e, 0, sizeof(*e));
    fakevm_init(&e->f, RAM);
    hk_pci_host_init(&e->host, &e->f.vm);
    int sv[2];
    CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    e->peer = sv[0];
    fcntl(e->peer, F_SETFL, O_NONBLOCK);
    struct hk_virtio_net_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    memcpy(cfg.mac, MAC, 6);
    cfg.mtu = mtu;
    cfg.passt.fd = sv[1];
    CHECK_EQ(hk_virtio_net_init(&e->n, &e->f.vm, &cfg), 0);
    CHECK_EQ(hk_virtio_net_register(&e->n, &e->host, DEVFN), 0);
    hk_virtio_net_start_backend(&e->n);
    hk_pci_cfg_write(&e->host, DEVFN, 0x20, 4, (uint32_t)BAR);      /* BAR4 */
    hk_pci_cfg_write(&e->host, DEVFN, 0x14, 4, (uint32_t)MSIX_BAR); /* BAR1 */
    hk_pci_cfg_write(&e->host, DEVFN, 0x04, 2, 0x0006);
}

static void teardown(struct env *e)
{
    hk_virtio_net_destroy(&e->n);
    hk_pci_host_destroy(&e->host);
    fakevm_destroy(&e->f);
    if (e->peer >= 0)
        close(e->peer);
}

static void setup_queue(struct env *e, unsigned q, uint32_t d, uint32_t a, uint32_t u)
{
    wr(e, 0x16, 2, q);
    CHECK_EQ(rd(e, 0x18, 2), QS);
    wr(e, 0x20, 4, d);
    wr(e, 0x24, 4, 0);
    wr(e, 0x28, 4, a);
    wr(e, 0x2C, 4, 0);
    wr(e, 0x30, 4, u);
    wr(e, 0x34, 4, 0);
    wr(e, 0x1C, 2, 1);
}

/* §3.1.1 with both queues; returns false when FEATURES_OK did not stick. */
static bool driver_init(struct env *e, uint64_t want)
{
    wr(e, 0x14, 1, 0);
    wr(e, 0x14, 1, HK_VIRTIO_S_ACKNOWLEDGE | HK_VIRTIO_S_DRIVER);
    wr(e, 0x00, 4, 0);
    uint64_t f = rd(e, 0x04, 4);
    wr(e, 0x00, 4, 1);
    f |= rd(e, 0x04, 4) << 32;
    wr(e, 0x08, 4, 0);
    wr(e, 0x0C, 4, (uint32_t)(f & want));
    wr(e, 0x08, 4, 1);
    wr(e, 0x0C, 4, (uint32_t)((f & want) >> 32));
    wr(e, 0x14, 1, HK_VIRTIO_S_ACKNOWLEDGE | HK_VIRTIO_S_DRIVER | HK_VIRTIO_S_FEATURES_OK);
    if (!(rd(e, 0x14, 1) & HK_VIRTIO_S_FEATURES_OK))
        return false;
    memset(e->f.ram + RX_DESC, 0, TX_USED + 0x1000 - RX_DESC);
    e->rx_avail = e->tx_avail = e->rx_next_desc = e->tx_next_desc = 0;
    e->rx_used_seen = e->tx_used_seen = 0;
    setup_queue(e, 0, RX_DESC, RX_AVAIL, RX_USED);
    setup_queue(e, 1, TX_DESC, TX_AVAIL, TX_USED);
    wr(e, 0x14, 1, 0x0F);
    return true;
}

static void publish(struct env *e, unsigned q, uint16_t head)
{
    struct hk_vring_avail *av = avail(e, q);
    uint16_t *idx = q == 0 ? &e->rx_avail : &e->tx_avail;
    av->ring[*idx % QS] = head;
    (*idx)++;
    __atomic_store_n(&av->idx, *idx, __ATOMIC_RELEASE);
}

static void kick(struct env *e, unsigned q)
{
    wr(e, HK_VIRTIO_NOTIFY_OFF + HK_VIRTIO_NOTIFY_MULT * q, 2, q);
}

/* Runs the device (no worker thread): doorbells, then its socket. */
static void run(struct env *e)
{
    for (int i = 0; i < 4; i++)
        hk_virtio_pci_poll(&e->n.t);
}

/* Posts one receive buffer of len bytes (slot picks the buffer); returns its guest address. */
static uint32_t post_rx(struct env *e, unsigned slot, uint32_t len)
{
    uint32_t addr = RX_BUFS + slot * 0x10000u;
    memset(e->f.ram + addr, 0xEE, len);
    uint16_t d = (uint16_t)(e->rx_next_desc++ % QS);
    desc(e, 0)[d] = (struct hk_vring_desc){addr, len, HK_VIRTQ_DESC_F_WRITE, 0};
    publish(e, 0, d);
    return addr;
}

/* Queues a frame (with a zero virtio_net_hdr in front) on the transmit queue. */
static void post_tx(struct env *e, const uint8_t *frame, size_t len, bool split)
{
    uint32_t addr = TX_BUFS + (e->tx_next_desc % 32) * 0x10000u;
    memset(e->f.ram + addr, 0, HK_NET_HDR_LEN);
    memcpy(e->f.ram + addr + HK_NET_HDR_LEN, frame, len);
    uint16_t d = (uint16_t)(e->tx_next_desc % QS);
    if (split) {
        /* header and frame in separate descriptors, as Linux does */
        uint16_t d2 = (uint16_t)((d + 1) % QS);
        desc(e, 1)[d] = (struct hk_vring_desc){addr, HK_NET_HDR_LEN, HK_VIRTQ_DESC_F_NEXT, d2};
        desc(e, 1)[d2] = (struct hk_vring_desc){addr + HK_NET_HDR_LEN, (uint32_t)len, 0, 0};
        e->tx_next_desc += 2;
    } else {
        desc(e, 1)[d] = (struct hk_vring_desc){addr, (uint32_t)(HK_NET_HDR_LEN + len), 0, 0};
        e->tx_next_desc++;
    }
    publish(e, 1, d);
}

/* Reads one length-prefixed frame from the peer (waits up to 1 s). Returns its length or -1. */
static long peer_read(struct env *e, uint8_t *buf, size_t cap)
{
    uint8_t h[4];
    size_t got = 0;
    for (int tries = 0; tries < 100 && got < 4; tries++) {
        ssize_t r = recv(e->peer, h + got, 4 - got, 0);
        if (r > 0)
            got += (size_t)r;
        else
            poll(&(struct pollfd){e->peer, POLLIN, 0}, 1, 10);
    }
    if (got < 4)
        return -1;
    size_t len = (size_t)h[0] << 24 | (size_t)h[1] << 16 | (size_t)h[2] << 8 | h[3];
    if (len > cap)
        return -2;
    got = 0;
    for (int tries = 0; tries < 100 && got < len; tries++) {
        ssize_t r = recv(e->peer, buf + got, len - got, 0);
        if (r > 0)
            got += (size_t)r;
        else
            poll(&(struct pollfd){e->peer, POLLIN, 0}, 1, 10);
    }
    return got == len ? (long)len : -1;
}

static void peer_write(struct env *e, const uint8_t *frame, size_t len)
{
    uint8_t h[4] = {(uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len};
    CHECK_EQ(send(e->peer, h, 4, 0), 4);
    CHECK_EQ(send(e->peer, frame, len, 0), (long)len);
}

static size_t make_frame(uint8_t *buf, size_t len, uint8_t fill)
{
    memset(buf, 0xff, 6);
    memcpy(buf + 6, MAC, 6);
    buf[12] = 0x88; /* a local experimental ethertype */
    buf[13] = 0xB5;
    for (size_t i = 14; i < len; i++)
        buf[i] = (uint8_t)(fill + i * 7);
    return len;
}

static const uint64_t ALL = HK_VIRTIO_F_VERSION_1 | HK_NET_F_MAC | HK_NET_F_STATUS | HK_NET_F_MTU |
                            HK_NET_F_MRG_RXBUF | HK_VIRTIO_F_EVENT_IDX | HK_VIRTIO_F_INDIRECT_DESC;
static const uint64_t SINGLE = HK_VIRTIO_F_VERSION_1 | HK_NET_F_MAC | HK_NET_F_STATUS;

static void test_identity(void)
{
    struct env e;
    setup(&e, 1500);
    CHECK_EQ(hk_pci_cfg_read(&e.host, DEVFN, 0, 4), 0x10411AF4);
    CHECK_EQ(hk_pci_cfg_read(&e.host, DEVFN, 8, 4) >> 8, 0x020000); /* class: Ethernet */
    CHECK_EQ(hk_pci_cfg_read(&e.host, DEVFN, 8, 1), 1);
    /* the device configuration: MAC, status (link up: passt is there), pairs, MTU */
    for (unsigned i = 0; i < 6; i++)
        CHECK_EQ(rd(&e, HK_VIRTIO_DEVCFG_OFF + i, 1), MAC[i]);
    CHECK_EQ(rd(&e, HK_VIRTIO_DEVCFG_OFF + 6, 2), HK_NET_S_LINK_UP);
    CHECK_EQ(rd(&e, HK_VIRTIO_DEVCFG_OFF + 8, 2), 1);
    CHECK_EQ(rd(&e, HK_VIRTIO_DEVCFG_OFF + 10, 2), 1500);
    CHECK_EQ(rd(&e, 0x12, 2), 2); /* num_queues */
    /* writes to the MAC are ignored */
    wr(&e, HK_VIRTIO_DEVCFG_OFF, 1, 0x77);
    CHECK_EQ(rd(&e, HK_VIRTIO_DEVCFG_OFF, 1), MAC[0]);
    /* features */
    wr(&e, 0x00, 4, 0);
    uint64_t f = rd(&e, 0x04, 4);
    wr(&e, 0x00, 4, 1);
    f |= rd(&e, 0x04, 4) << 32;
    CHECK_EQ(f & ALL, ALL);
    CHECK_EQ(f & (1ull << 17), 0); /* no control queue */
    CHECK_EQ(f & 1, 0);            /* no checksum offload */
    teardown(&e);
    /* the default MTU is passt's */
    setup(&e, 0);
    CHECK_EQ(rd(&e, HK_VIRTIO_DEVCFG_OFF + 10, 2), HK_NET_MTU_DEFAULT);
    teardown(&e);
    /* an impossible MTU is refused */
    struct fakevm f2;
    fakevm_init(&f2, RAM);
    struct hk_virtio_net n;
    struct hk_virtio_net_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.passt.fd = -1;
    cfg.mtu = 100;
    CHECK(hk_virtio_net_init(&n, &f2.vm, &cfg) < 0);
    fakevm_destroy(&f2);
}

static void test_negotiation(void)
{
    struct env e;
    setup(&e, 1500);
    /* without VERSION_1 the device refuses FEATURES_OK */
    CHECK(!driver_init(&e, HK_NET_F_MAC));
    /* a feature not offered (CTRL_VQ) is refused */
    wr(&e, 0x14, 1, 0);
    wr(&e, 0x14, 1, 3);
    wr(&e, 0x08, 4, 0);
    wr(&e, 0x0C, 4, 1u << 17);
    wr(&e, 0x08, 4, 1);
    wr(&e, 0x0C, 4, 1);
    wr(&e, 0x14, 1, 0x0B);
    CHECK_EQ(rd(&e, 0x14, 1) & HK_VIRTIO_S_FEATURES_OK, 0);
    CHECK(driver_init(&e, ALL));
    CHECK(hk_virtio_has_feature(&e.n.t, HK_NET_F_MRG_RXBUF));
    CHECK(e.n.mrg);
    struct hk_fact last;
    CHECK_EQ(facts_of(&e.f, HK_FACT_NET_DRIVER_OK, &last), 1);
    CHECK(strstr(last.text, "mergeable") != NULL);
    CHECK(driver_init(&e, SINGLE));
    CHECK(!e.n.mrg);
    CHECK_EQ(facts_of(&e.f, HK_FACT_NET_DRIVER_OK, NULL), 2);
    teardown(&e);
}

static void test_transmit(void)
{
    struct env e;
    setup(&e, 1500);
    CHECK(driver_init(&e, ALL));
    uint8_t f[2000], got[70000];
    size_t len = make_frame(f, 100, 1);
    post_tx(&e, f, len, false);
    len = make_frame(f, 1514, 2);
    post_tx(&e, f, len, true);
    kick(&e, 1);
    run(&e);
    CHECK_EQ(used(&e, 1)->idx, 2);
    CHECK_EQ(used(&e, 1)->ring[0].len, 0);
    CHECK_EQ(peer_read(&e, got, sizeof(got)), 100);
    make_frame(f, 100, 1);
    CHECK(memcmp(got, f, 100) == 0);
    CHECK_EQ(peer_read(&e, got, sizeof(got)), 1514);
    make_frame(f, 1514, 2);
    CHECK(memcmp(got, f, 1514) == 0);
    struct hk_net_stats st;
    hk_virtio_net_get_stats(&e.n, &st);
    CHECK_EQ(st.tx_frames, 2);
    CHECK_EQ(st.tx_bytes, 1614);
    /* the first frame is a fact */
    struct hk_fact fact;
    CHECK_EQ(facts_of(&e.f, HK_FACT_NET_FIRST_TX, &fact), 1);
    CHECK_EQ(fact.b, 100);

    /* dropped and counted, and still given back to the driver: above MTU + 18, shorter than an
     * Ethernet header, segmentation asked for, no whole header */
    len = make_frame(f, 1500 + 18 + 1, 3);
    post_tx(&e, f, len, false);
    post_tx(&e, f, 13, false);
    make_frame(f, 60, 4);
    post_tx(&e, f, 60, false);
    e.f.ram[TX_BUFS + ((e.tx_next_desc - 1) % 32) * 0x10000u + 1] = 1; /* gso_type TCPv4 */
    uint16_t d = (uint16_t)(e.tx_next_desc++ % QS);
    desc(&e, 1)[d] = (struct hk_vring_desc){TX_BUFS, 8, 0, 0};
    publish(&e, 1, d);
    kick(&e, 1);
    run(&e);
    CHECK_EQ(used(&e, 1)->idx, 6);
    hk_virtio_net_get_stats(&e.n, &st);
    CHECK_EQ(st.tx_frames, 2);
    CHECK_EQ(st.tx_too_big, 1);
    CHECK_EQ(st.tx_malformed, 3);
    CHECK_EQ(st.tx_dropped, 4);
    CHECK_EQ(recv(e.peer, got, sizeof(got), MSG_DONTWAIT), -1); /* nothing reached passt */
    /* a frame of exactly MTU + 18 passes */
    len = make_frame(f, 1518, 5);
    post_tx(&e, f, len, false);
    kick(&e, 1);
    run(&e);
    CHECK_EQ(peer_read(&e, got, sizeof(got)), 1518);
    teardown(&e);
}

static void test_receive_single(void)
{
    struct env e;
    setup(&e, 1500);
    CHECK(driver_init(&e, SINGLE));
    uint32_t b0 = post_rx(&e, 0, 1526);
    kick(&e, 0);
    run(&e);
    uint8_t f[4000];
    size_t len = make_frame(f, 1514, 9);
    peer_write(&e, f, len);
    run(&e);
    CHECK_EQ(used(&e, 0)->idx, 1);
    CHECK_EQ(used(&e, 0)->ring[0].len, HK_NET_HDR_LEN + 1514);
    uint8_t *p = e.f.ram + b0;
    CHECK_EQ(p[0], 0);               /* flags */
    CHECK_EQ(p[1], 0);               /* gso none */
    CHECK_EQ(p[10] | p[11] << 8, 1); /* num_buffers */
    CHECK(memcmp(p + HK_NET_HDR_LEN, f, 1514) == 0);

    /* a frame too big for the posted buffer is dropped; the buffer serves the next frame */
    uint32_t b1 = post_rx(&e, 1, 200);
    kick(&e, 0);
    run(&e);
    len = make_frame(f, 1000, 10);
    peer_write(&e, f, len);
    len = make_frame(f, 150, 11);
    peer_write(&e, f, len);
    run(&e);
    CHECK_EQ(used(&e, 0)->idx, 2);
    CHECK_EQ(used(&e, 0)->ring[1].len, HK_NET_HDR_LEN + 150);
    CHECK(memcmp(e.f.ram + b1 + HK_NET_HDR_LEN, f, 150) == 0);
    struct hk_net_stats st;
    hk_virtio_net_get_stats(&e.n, &st);
    CHECK_EQ(st.rx_frames, 2);
    CHECK_EQ(st.rx_bytes, 1514 + 150);
    CHECK_EQ(st.rx_too_big, 1);
    /* above the MTU: dropped even though buffers would take it */
    post_rx(&e, 2, 4000);
    kick(&e, 0);
    len = make_frame(f, 1519, 12);
    peer_write(&e, f, len);
    run(&e);
    CHECK_EQ(used(&e, 0)->idx, 2);
    hk_virtio_net_get_stats(&e.n, &st);
    CHECK_EQ(st.rx_too_big, 2);
    teardown(&e);
}

static void test_receive_mergeable(void)
{
    struct env e;
    setup(&e, 65520);
    CHECK(driver_init(&e, ALL));
    uint32_t b[8];
    for (unsigned i = 0; i < 8; i++)
        b[i] = post_rx(&e, i, 1536);
    kick(&e, 0);
    run(&e);
    static uint8_t f[65536];
    size_t len = make_frame(f, 4000, 21);
    peer_write(&e, f, len);
    run(&e);
    /* 12 + 4000 bytes over three 1536-byte buffers */
    CHECK_EQ(used(&e, 0)->idx, 3);
    CHECK_EQ(used(&e, 0)->ring[0].len, 1536);
    CHECK_EQ(used(&e, 0)->ring[1].len, 1536);
    CHECK_EQ(used(&e, 0)->ring[2].len, 12 + 4000 - 2 * 1536);
    uint8_t *p0 = e.f.ram + b[0];
    CHECK_EQ(p0[10] | p0[11] << 8, 3);
    CHECK(memcmp(p0 + 12, f, 1536 - 12) == 0);
    CHECK(memcmp(e.f.ram + b[1], f + 1536 - 12, 1536) == 0);
    CHECK(memcmp(e.f.ram + b[2], f + 2 * 1536 - 12, 4000 - (2 * 1536 - 12)) == 0);
    /* one small frame: one buffer, num_buffers 1 */
    len = make_frame(f, 60, 22);
    peer_write(&e, f, len);
    run(&e);
    CHECK_EQ(used(&e, 0)->idx, 4);
    CHECK_EQ(e.f.ram[b[3] + 10], 1);
    /* a frame that needs more buffers than are posted waits for them (nothing consumed) */
    len = make_frame(f, 9000, 23);
    peer_write(&e, f, len);
    run(&e);
    CHECK_EQ(used(&e, 0)->idx, 4);
    CHECK(e.n.rx_waiting);
    /* EVENT_IDX: the card asks for a doorbell for the next entry the driver adds (naming an
     * entry already there, one it gave back, would never ring) */
    uint16_t avail_event;
    memcpy(&avail_event, &used(&e, 0)->ring[QS], 2);
    CHECK_EQ(avail_event, e.rx_avail);
    for (unsigned i = 0; i < 4; i++)
        post_rx(&e, 8 + i, 1536);
    kick(&e, 0);
    run(&e);
    /* 12 + 9000 = 9012 bytes: 6 buffers (4 left + 2 of the new ones) */
    CHECK_EQ(used(&e, 0)->idx, 10);
    CHECK_EQ(e.f.ram[b[4] + 10], 6);
    CHECK(memcmp(e.f.ram + RX_BUFS + 9 * 0x10000u, f + 5 * 1536 - 12, 9012 - 5 * 1536) == 0);
    struct hk_net_stats st;
    hk_virtio_net_get_stats(&e.n, &st);
    CHECK_EQ(st.rx_frames, 3);
    CHECK_EQ(st.rx_dropped, 0);
    /* a full 65520-MTU frame over 43 buffers */
    for (unsigned i = 0; i < 48; i++)
        post_rx(&e, 12 + (i % 16), 1536);
    kick(&e, 0);
    len = make_frame(f, 65520 + 14, 24);
    peer_write(&e, f, len);
    run(&e);
    unsigned bufs = (65534 + 12 + 1535) / 1536;
    CHECK_EQ(used(&e, 0)->idx, 10 + bufs);
    hk_virtio_net_get_stats(&e.n, &st);
    CHECK_EQ(st.rx_frames, 4);
    teardown(&e);
}

static void test_receive_without_driver(void)
{
    struct env e;
    setup(&e, 1500);
    /* no driver yet: frames are read and dropped, passt is never blocked */
    uint8_t f[200];
    size_t len = make_frame(f, 100, 1);
    for (int i = 0; i < 5; i++)
        peer_write(&e, f, len);
    run(&e);
    struct hk_net_stats st;
    hk_virtio_net_get_stats(&e.n, &st);
    CHECK_EQ(st.rx_no_driver, 5);
    CHECK_EQ(st.rx_dropped, 5);
    /* the driver runs but posted nothing: the frame waits instead */
    CHECK(driver_init(&e, SINGLE));
    peer_write(&e, f, len);
    run(&e);
    CHECK(e.n.rx_waiting);
    hk_virtio_net_get_stats(&e.n, &st);
    CHECK_EQ(st.rx_dropped, 5);
    post_rx(&e, 0, 1526);
    kick(&e, 0);
    run(&e);
    CHECK_EQ(used(&e, 0)->idx, 1);
    CHECK(!e.n.rx_waiting);
    teardown(&e);
}

static void test_hostile(void)
{
    struct env e;
    setup(&e, 1500);
    CHECK(driver_init(&e, SINGLE));
    /* a receive buffer the device may not write: device error, no crash */
    uint16_t d = (uint16_t)(e.rx_next_desc++ % QS);
    desc(&e, 0)[d] = (struct hk_vring_desc){RX_BUFS, 2000, 0, 0};
    publish(&e, 0, d);
    kick(&e, 0);
    uint8_t f[200];
    size_t len = make_frame(f, 100, 1);
    peer_write(&e, f, len);
    run(&e);
    CHECK(rd(&e, 0x14, 1) & HK_VIRTIO_S_NEEDS_RESET);
    CHECK_EQ(facts_of(&e.f, HK_FACT_GUEST_ERROR, NULL), 1);
    /* the driver resets and starts over: it works again */
    CHECK(driver_init(&e, SINGLE));
    CHECK_EQ(rd(&e, 0x14, 1) & HK_VIRTIO_S_NEEDS_RESET, 0);
    post_rx(&e, 0, 1526);
    kick(&e, 0);
    peer_write(&e, f, len);
    run(&e);
    CHECK_EQ(used(&e, 0)->idx, 1);
    /* transmit descriptors outside guest RAM, a looping chain, a huge index jump */
    d = (uint16_t)(e.tx_next_desc++ % QS);
    desc(&e, 1)[d] = (struct hk_vring_desc){0xFFFFF000ull, 0x2000, 0, 0};
    publish(&e, 1, d);
    kick(&e, 1);
    run(&e);
    CHECK(rd(&e, 0x14, 1) & HK_VIRTIO_S_NEEDS_RESET);
    CHECK(driver_init(&e, SINGLE));
    desc(&e, 1)[0] = (struct hk_vring_desc){TX_BUFS, 64, HK_VIRTQ_DESC_F_NEXT, 0};
    publish(&e, 1, 0);
    kick(&e, 1);
    run(&e);
    CHECK(rd(&e, 0x14, 1) & HK_VIRTIO_S_NEEDS_RESET);
    CHECK(driver_init(&e, ALL));
    avail(&e, 0)->idx = 5000;
    kick(&e, 0);
    peer_write(&e, f, len);
    run(&e);
    CHECK(rd(&e, 0x14, 1) & HK_VIRTIO_S_NEEDS_RESET);
    /* mergeable: a first buffer smaller than the header */
    CHECK(driver_init(&e, ALL));
    post_rx(&e, 0, 8);
    kick(&e, 0);
    peer_write(&e, f, len);
    run(&e);
    CHECK(rd(&e, 0x14, 1) & HK_VIRTIO_S_NEEDS_RESET);
    teardown(&e);
}

static void test_link(void)
{
    struct env e;
    setup(&e, 1500);
    CHECK(driver_init(&e, SINGLE));
    uint8_t gen = (uint8_t)rd(&e, 0x15, 1);
    (void)rd(&e, HK_VIRTIO_ISR_OFF, 1); /* clear */
    hk_virtio_net_set_link(&e.n, false);
    run(&e);
    CHECK_EQ(rd(&e, HK_VIRTIO_DEVCFG_OFF + 6, 2), 0);
    CHECK(rd(&e, 0x15, 1) != gen);
    CHECK_EQ(rd(&e, HK_VIRTIO_ISR_OFF, 1), 2); /* configuration change, INTx */
    struct hk_fact fact;
    CHECK_EQ(facts_of(&e.f, HK_FACT_NET_LINK, &fact), 1);
    CHECK_EQ(fact.a, 0);
    CHECK_EQ(fact.b, HK_NET_LINK_USER);
    /* unplugged: transmitted frames are dropped, received ones too */
    uint8_t f[200], got[300];
    size_t len = make_frame(f, 100, 1);
    post_tx(&e, f, len, false);
    kick(&e, 1);
    post_rx(&e, 0, 1526);
    kick(&e, 0);
    peer_write(&e, f, len);
    run(&e);
    CHECK_EQ(used(&e, 1)->idx, 1);
    CHECK_EQ(used(&e, 0)->idx, 0);
    struct hk_net_stats st;
    hk_virtio_net_get_stats(&e.n, &st);
    CHECK_EQ(st.tx_link_down, 1);
    CHECK_EQ(st.rx_link_down, 1);
    CHECK_EQ(recv(e.peer, got, sizeof(got), MSG_DONTWAIT), -1);
    /* plugged again */
    hk_virtio_net_set_link(&e.n, true);
    run(&e);
    CHECK_EQ(rd(&e, HK_VIRTIO_DEVCFG_OFF + 6, 2), HK_NET_S_LINK_UP);
    CHECK_EQ(facts_of(&e.f, HK_FACT_NET_LINK, &fact), 2);
    CHECK_EQ(fact.a, 1);
    post_tx(&e, f, len, false);
    kick(&e, 1);
    run(&e);
    CHECK_EQ(peer_read(&e, got, sizeof(got)), 100);

    /* with MSI-X the change goes to the configuration vector */
    unsigned cap = 0;
    for (unsigned off = hk_pci_cfg_read(&e.host, DEVFN, 0x34, 1); off;
         off = hk_pci_cfg_read(&e.host, DEVFN, off + 1, 1))
        if (hk_pci_cfg_read(&e.host, DEVFN, off, 1) == 0x11)
            cap = off;
    CHECK(cap != 0);
    hk_bus_write(&e.f.vm.mmio, MSIX_BAR + 0, 4, 0xFEE00000);
    hk_bus_write(&e.f.vm.mmio, MSIX_BAR + 8, 4, 0x41);
    hk_bus_write(&e.f.vm.mmio, MSIX_BAR + 12, 4, 0);
    hk_pci_cfg_write(&e.host, DEVFN, cap + 2, 2, 0x8000);
    wr(&e, 0x10, 2, 0); /* config vector 0 */
    uint64_t before = e.n.t.msi_sent;
    hk_virtio_net_set_link(&e.n, false);
    run(&e);
    CHECK_EQ(e.n.t.msi_sent, before + 1);
    teardown(&e);
}

static void test_backend_gone(void)
{
    struct env e;
    setup(&e, 1500);
    CHECK(driver_init(&e, SINGLE));
    (void)rd(&e, HK_VIRTIO_ISR_OFF, 1);
    close(e.peer); /* passt dies */
    e.peer = -1;
    run(&e);
    CHECK_EQ(rd(&e, HK_VIRTIO_DEVCFG_OFF + 6, 2), 0);
    CHECK_EQ(rd(&e, HK_VIRTIO_ISR_OFF, 1), 2);
    struct hk_fact fact;
    CHECK_EQ(facts_of(&e.f, HK_FACT_NET_BACKEND, &fact), 2); /* running, then gone */
    CHECK_EQ(fact.a, HK_NET_BACKEND_DIED);
    CHECK_EQ(facts_of(&e.f, HK_FACT_NET_LINK, &fact), 1);
    CHECK_EQ(fact.a, 0);
    CHECK_EQ(fact.b, HK_NET_LINK_BACKEND);
    /* the guest keeps running: transmitted frames are dropped */
    uint8_t f[200];
    size_t len = make_frame(f, 100, 1);
    post_tx(&e, f, len, false);
    kick(&e, 1);
    run(&e);
    CHECK_EQ(used(&e, 1)->idx, 1);
    struct hk_net_stats st;
    hk_virtio_net_get_stats(&e.n, &st);
    CHECK_EQ(st.tx_link_down, 1);
    /* the user's cable cannot bring it back */
    hk_virtio_net_set_link(&e.n, true);
    run(&e);
    CHECK_EQ(rd(&e, HK_VIRTIO_DEVCFG_OFF + 6, 2), 0);
    teardown(&e);

    /* a stream that breaks the framing stops the connection the same way */
    setup(&e, 1500);
    CHECK(driver_init(&e, SINGLE));
    uint8_t bad[8] = {0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3, 4};
    CHECK_EQ(send(e.peer, bad, sizeof(bad), 0), 8);
    run(&e);
    CHECK_EQ(facts_of(&e.f, HK_FACT_NET_BACKEND, &fact), 2);
    CHECK_EQ(fact.a, HK_NET_BACKEND_PROTOCOL);
    CHECK_EQ(rd(&e, HK_VIRTIO_DEVCFG_OFF + 6, 2), 0);
    teardown(&e);
}

static void test_diagnosis_facts(void)
{
    struct env e;
    setup(&e, 1500);
    CHECK(driver_init(&e, SINGLE));
    uint8_t f[1500];
    /* DISCOVER, REQUEST from the guest */
    size_t len = hk_pkt_dhcp_client(f, sizeof(f), MAC, 0x1234, HK_DHCP_DISCOVER, 0, 0);
    post_tx(&e, f, len, false);
    len = hk_pkt_dhcp_client(f, sizeof(f), MAC, 0x1234, HK_DHCP_REQUEST, 0xC0000202, 0xC0000201);
    post_tx(&e, f, len, false);
    len = hk_pkt_dhcp_client(f, sizeof(f), MAC, 0x1234, HK_DHCP_DISCOVER, 0, 0);
    post_tx(&e, f, len, false); /* again: no second fact */
    kick(&e, 1);
    run(&e);
    struct hk_fact fact;
    CHECK_EQ(facts_of(&e.f, HK_FACT_NET_DHCP, &fact), 2);
    CHECK_EQ(fact.a, HK_DHCP_REQUEST);
    CHECK_EQ(fact.b, 0xC0000202);
    CHECK_EQ(facts_of(&e.f, HK_FACT_NET_FIRST_TX, &fact), 1);
    CHECK_EQ(fact.a, HK_ETH_P_IPV4);
    /* an ACK from "passt" with the lease */
    uint8_t bootp[300];
    memset(bootp, 0, sizeof(bootp));
    bootp[0] = 2;
    bootp[1] = 1;
    bootp[2] = 6;
    bootp[4] = 0x00, bootp[5] = 0x00, bootp[6] = 0x12, bootp[7] = 0x34;
    bootp[16] = 192, bootp[17] = 0, bootp[18] = 2, bootp[19] = 2; /* yiaddr */
    memcpy(bootp + 28, MAC, 6);
    static const uint8_t opts[] = {0x63, 0x82, 0x53, 0x63, 53, 1,    5,    54, 4, 192,  0,    2,
                                   1,    3,    4,    192,  0,  2,    1,    6,  4, 10,   0,    0,
                                   3,    51,   4,    0,    0,  0x0e, 0x10, 26, 2, 0x05, 0xDC, 255};
    memcpy(bootp + 236, opts, sizeof(opts));
    static const uint8_t gw_mac[6] = {0x02, 0, 0, 0, 0, 1};
    len = hk_pkt_udp4(f, sizeof(f), gw_mac, MAC, 0xC0000201, 0xFFFFFFFF, 67, 68, bootp,
                      sizeof(bootp));
    post_rx(&e, 0, 1526);
    post_rx(&e, 1, 1526);
    kick(&e, 0);
    peer_write(&e, f, len);
    peer_write(&e, f, len); /* the same lease twice: one fact */
    run(&e);
    CHECK_EQ(facts_of(&e.f, HK_FACT_NET_DHCP, &fact), 3);
    CHECK_EQ(fact.a, HK_DHCP_ACK);
    CHECK_EQ(fact.b, 0xC0000202);
    CHECK(strstr(fact.text, "192.0.2.2") != NULL);
    CHECK(strstr(fact.text, "gateway 192.0.2.1") != NULL);
    CHECK(strstr(fact.text, "DNS 10.0.0.3") != NULL);
    /* DNS: the first query, then its answer (an answer without a query is not one) */
    uint8_t q[100];
    size_t ql = hk_pkt_dns_query(q, sizeof(q), 0x77, "deb.debian.org");
    len = hk_pkt_udp4(f, sizeof(f), MAC, gw_mac, 0xC0000202, 0x0A000003, 40000, 53, q, ql);
    post_tx(&e, f, len, false);
    kick(&e, 1);
    run(&e);
    CHECK_EQ(facts_of(&e.f, HK_FACT_NET_DNS, &fact), 1);
    CHECK_EQ(fact.a, 0);
    CHECK_STR(fact.text, "deb.debian.org");
    q[2] = 0x81;
    q[3] = 0x80;
    q[7] = 1; /* one answer (not included: the count is what is read) */
    len = hk_pkt_udp4(f, sizeof(f), gw_mac, MAC, 0x0A000003, 0xC0000202, 53, 40000, q, ql);
    post_rx(&e, 2, 1526);
    kick(&e, 0);
    peer_write(&e, f, len);
    run(&e);
    CHECK_EQ(facts_of(&e.f, HK_FACT_NET_DNS, &fact), 2);
    CHECK_EQ(fact.a, 1);
    CHECK_EQ(fact.c, 1);
    /* after the driver resets the card, the first ones are recorded again */
    CHECK(driver_init(&e, SINGLE));
    len = hk_pkt_dhcp_client(f, sizeof(f), MAC, 0x99, HK_DHCP_DISCOVER, 0, 0);
    post_tx(&e, f, len, false);
    kick(&e, 1);
    run(&e);
    CHECK_EQ(facts_of(&e.f, HK_FACT_NET_DHCP, &fact), 4);
    CHECK_EQ(fact.a, HK_DHCP_DISCOVER);
    teardown(&e);
}

/* A worker thread instead of polling by hand: frames flow both ways while the test waits. */
static void test_worker(void)
{
    struct env e;
    setup(&e, 1500);
    CHECK(driver_init(&e, ALL));
    CHECK_EQ(hk_virtio_pci_start(&e.n.t), 0);
    for (unsigned i = 0; i < 16; i++)
        post_rx(&e, i, 1536);
    kick(&e, 0);
    uint8_t f[1600], got[1600];
    for (unsigned i = 0; i < 10; i++) {
        size_t len = make_frame(f, 64 + i, (uint8_t)i);
        peer_write(&e, f, len);
    }
    for (int tries = 0; tries < 200 && __atomic_load_n(&used(&e, 0)->idx, __ATOMIC_ACQUIRE) < 10;
         tries++)
        poll(NULL, 0, 5);
    CHECK_EQ(used(&e, 0)->idx, 10);
    size_t len = make_frame(f, 300, 7);
    post_tx(&e, f, len, true);
    kick(&e, 1);
    CHECK_EQ(peer_read(&e, got, sizeof(got)), 300);
    /* unplugging from another thread */
    hk_virtio_net_set_link(&e.n, false);
    for (int tries = 0; tries < 200 && hk_virtio_net_link_up(&e.n); tries++)
        poll(NULL, 0, 5);
    CHECK(!hk_virtio_net_link_up(&e.n));
    teardown(&e);
}

TEST_MAIN(TEST(test_identity), TEST(test_negotiation), TEST(test_transmit),
          TEST(test_receive_single), TEST(test_receive_mergeable),
          TEST(test_receive_without_driver), TEST(test_hostile), TEST(test_link),
          TEST(test_backend_gone), TEST(test_diagnosis_facts), TEST(test_worker))
