/* The network path's speed: the virtio-net card (its worker thread, the rings, the doorbells)
 * with passt behind it and a TCP or UDP peer on the host's 127.0.0.1, both ways, at MTU 1500 and
 * 65520; next to it, the same transfers over plain loopback sockets on the same machine (the
 * physical limit here). The guest's side is played by this program (tests/net/guestnet.h: a
 * driver writing frames into fake guest RAM and polling the used rings, EVENT_IDX doorbells), so
 * what is measured is ring -> card -> passt -> kernel socket and back, without KVM.
 *
 *   tcp-out   a "guest" TCP sender (window scaling, MSS = MTU - 40) to a sink on 127.0.0.1
 *             reached through the gateway address: payload MB/s and segments/s
 *   tcp-in    a host sender into a port forward (--net-forward) to a "guest" receiver
 *   udp-out   64-byte datagrams from the guest to a host socket: datagrams/s delivered
 *   udp-in    64-byte datagrams from the host into a forward: datagrams/s the guest got
 *
 * usage: net [SECONDS] [RUNS] [ONLY]   (default 2 s per measurement, 3 runs: the median is
 *        shown; ONLY: run just the measurements whose name contains it, e.g. "tcp-out MTU 65520",
 *        to profile one with perf)
 *
 * After the table: the CPU time each party spent per MB moved (from /proc: this program's
 * main thread plays the guest driver, the "virtio-net" threads are the card's worker, the rest
 * of this process is the host peer, passt is its own process). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <dirent.h>
#include <sys/socket.h>

#include "../net/guestnet.h"
#include "../net/minitcp.h"
#include "../net/netsetup.h"
#include "hako/passt.h"

static double secs = 2.0;
static uint8_t payload[65536];

#define GUEST_TCP_PORT 8080
#define GUEST_UDP_PORT 5353

struct result {
    double mbps, pps; /* payload MB/s (10^6), frames or datagrams per second */
};

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* ---- where the time goes: CPU seconds of each party (utime + stime from /proc) ---- */

enum { CPU_GUEST, CPU_WORKER, CPU_PASST, CPU_HOST, NCPU };
static const char *const cpu_names[NCPU] = {"guest driver", "card worker", "passt", "host peer"};

static double ticks_of(const char *statpath)
{
    FILE *f = fopen(statpath, "r");
    if (!f)
        return 0;
    char buf[1024];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = 0;
    const char *p = strrchr(buf, ')'); /* comm may hold spaces */
    unsigned long ut = 0, st = 0;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        return 0;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* CPU seconds so far: the main thread drives the guest, threads named
 * "virtio-net*" are the card's worker, and the rest of this process (including
 * host-side threads that already ended, which /proc/self/stat still counts) is
 * the host peer; passt is its own process. */
static void cpu_sample(double out[NCPU], pid_t passt)
{
    memset(out, 0, sizeof(double) * NCPU);
    char path[300];
    snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)getpid());
    out[CPU_GUEST] = ticks_of(path);
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char comm[64] = "";
        snprintf(path, sizeof(path), "/proc/self/task/%.100s/comm", e->d_name);
        FILE *f = fopen(path, "r");
        if (f) {
            if (!fgets(comm, sizeof(comm), f))
                comm[0] = 0;
            fclose(f);
        }
        snprintf(path, sizeof(path), "/proc/self/task/%.100s/stat", e->d_name);
        if (strncmp(comm, "virtio-net", 10) == 0)
            out[CPU_WORKER] += ticks_of(path);
    }
    if (d)
        closedir(d);
    out[CPU_HOST] = ticks_of("/proc/self/stat") - out[CPU_GUEST] - out[CPU_WORKER];
    if (out[CPU_HOST] < 0)
        out[CPU_HOST] = 0;
    if (passt > 0) {
        snprintf(path, sizeof(path), "/proc/%d/stat", (int)passt);
        out[CPU_PASST] = ticks_of(path);
    }
}

static uint16_t free_port(int type)
{
    int s = socket(AF_INET, type, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    bind(s, (struct sockaddr *)&a, sizeof(a));
    socklen_t al = sizeof(a);
    getsockname(s, (struct sockaddr *)&a, &al);
    close(s);
    return ntohs(a.sin_port);
}

static int listen_on(int type, uint16_t *port)
{
    int s = socket(AF_INET, type, 0);
    int big = 8 << 20;
    setsockopt(s, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(s, (struct sockaddr *)&a, sizeof(a));
    if (type == SOCK_STREAM)
        listen(s, 4);
    socklen_t al = sizeof(a);
    getsockname(s, (struct sockaddr *)&a, &al);
    *port = ntohs(a.sin_port);
    return s;
}

/* ---- host sides ---- */

struct sink {
    int fd;
    bool udp;
    volatile bool stop;
    uint64_t bytes, packets;
};

static void *sink_main(void *opaque)
{
    struct sink *s = opaque;
    pthread_setname_np(pthread_self(), "host-sink");
    int c = s->udp ? s->fd : accept(s->fd, NULL, NULL);
    if (c < 0)
        return NULL;
    struct timeval tv = {0, 200000};
    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    static __thread uint8_t buf[1 << 20];
    while (!s->stop) {
        ssize_t n = recv(c, buf, sizeof(buf), 0);
        if (n > 0) {
            __atomic_add_fetch(&s->bytes, (uint64_t)n, __ATOMIC_RELAXED);
            __atomic_add_fetch(&s->packets, 1, __ATOMIC_RELAXED);
        } else if (n == 0 && !s->udp) {
            break;
        }
    }
    if (!s->udp)
        close(c);
    return NULL;
}

struct source {
    uint16_t port;
    bool udp;
    volatile bool stop;
    uint64_t bytes;
    int fd;
};

static void *source_main(void *opaque)
{
    struct source *s = opaque;
    pthread_setname_np(pthread_self(), "host-source");
    int fd = socket(AF_INET, s->udp ? SOCK_DGRAM : SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(s->port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
        close(fd);
        return NULL;
    }
    struct timeval tv = {0, 200000};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    size_t chunk = s->udp ? 64 : 256 * 1024;
    static __thread uint8_t buf[256 * 1024];
    while (!s->stop) {
        ssize_t n = send(fd, buf, chunk, MSG_NOSIGNAL);
        if (n > 0)
            s->bytes += (uint64_t)n;
        else if (n < 0 && errno != EAGAIN && errno != ECONNREFUSED && errno != EINTR)
            break;
    }
    shutdown(fd, SHUT_WR);
    s->fd = fd;
    return NULL;
}

/* ---- the reference: loopback sockets ---- */

static struct result loopback(bool udp)
{
    uint16_t port;
    struct sink sk = {.udp = udp};
    sk.fd = listen_on(udp ? SOCK_DGRAM : SOCK_STREAM, &port);
    pthread_t ts, tc;
    pthread_create(&ts, NULL, sink_main, &sk);
    struct source src = {.port = port, .udp = udp};
    pthread_create(&tc, NULL, source_main, &src);
    usleep(50000);
    uint64_t b0 = __atomic_load_n(&sk.bytes, __ATOMIC_RELAXED),
             p0 = __atomic_load_n(&sk.packets, __ATOMIC_RELAXED);
    uint64_t t0 = gn_now_ns();
    usleep((useconds_t)(secs * 1e6));
    uint64_t b1 = __atomic_load_n(&sk.bytes, __ATOMIC_RELAXED),
             p1 = __atomic_load_n(&sk.packets, __ATOMIC_RELAXED);
    double dt = (double)(gn_now_ns() - t0) / 1e9;
    src.stop = true;
    pthread_join(tc, NULL);
    sk.stop = true;
    pthread_join(ts, NULL);
    close(src.fd);
    close(sk.fd);
    struct result r = {(double)(b1 - b0) / dt / 1e6, (double)(p1 - p0) / dt};
    if (!udp)
        r.pps = r.mbps * 1e6 / 65536; /* 64 KiB writes: what the kernel moves per call */
    return r;
}

/* ---- through the card and passt ---- */

static struct gn g;
static struct netenv ne = {.g = &g};
static uint16_t fwd_tcp, fwd_udp;
static uint8_t rxbuf[70000];

static pid_t passt_pid(void)
{
    struct hk_fact f;
    if (!facts_of(&g.f, HK_FACT_NET_BACKEND, &f) || f.a != HK_NET_BACKEND_RUNNING)
        return -1;
    return (pid_t)f.b;
}

static bool card_up(unsigned mtu)
{
    struct hk_virtio_net_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    static const uint8_t mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
    memcpy(cfg.mac, mac, 6);
    cfg.mtu = mtu;
    cfg.passt.fd = -1;
    fwd_tcp = free_port(SOCK_STREAM);
    fwd_udp = free_port(SOCK_DGRAM);
    cfg.passt.fwd[0] = (struct hk_net_forward){HK_NET_TCP, fwd_tcp, GUEST_TCP_PORT};
    cfg.passt.fwd[1] = (struct hk_net_forward){HK_NET_UDP, fwd_udp, GUEST_UDP_PORT};
    cfg.passt.nfwd = 2;
    if (gn_init(&g, &cfg) < 0)
        return false;
    uint64_t t0 = gn_now_ns();
    while (!gn_link_up(&g) && gn_now_ns() - t0 < 2000000000ull)
        usleep(1000);
    usleep(200000); /* passt binds its forwards */
    return gn_link_up(&g) && ne_dhcp(&ne, "bench") && ne_arp_gateway(&ne);
}

/* Takes every frame that arrived; returns how many. */
typedef void (*frame_fn)(const uint8_t *f, size_t n, void *opaque);
static unsigned drain(frame_fn fn, void *opaque, int timeout_ms)
{
    unsigned k = 0;
    long n;
    while ((n = ne_frame(&ne, rxbuf, sizeof(rxbuf), k ? 0 : timeout_ms)) > 0) {
        fn(rxbuf, (size_t)n, opaque);
        k++;
    }
    return k;
}

struct sender {
    struct tcpc c;
    uint32_t snd_una, wnd;
    int peer_ws;
    bool synack;
    unsigned dups;     /* ACKs in a row that acknowledged nothing new */
    uint64_t progress; /* when the last new byte was acknowledged */
    unsigned resends;  /* go-back-N rounds */
};

static void sender_frame(const uint8_t *f, size_t n, void *opaque)
{
    struct sender *s = opaque;
    struct mt_seg sg;
    if (!mt_parse(f, n, &sg) || sg.dport != s->c.port)
        return;
    if ((sg.flags & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK) && !s->synack) {
        s->synack = true;
        s->c.rcv_nxt = sg.seq + 1;
        s->peer_ws = sg.ws < 0 ? 0 : sg.ws;
        s->snd_una = sg.ack;
        s->wnd = sg.win; /* a SYN's window is not scaled */
        return;
    }
    if ((sg.flags & TCP_ACK) && (int32_t)(sg.ack - s->snd_una) >= 0) {
        if (sg.ack == s->snd_una && s->c.snd_nxt != s->snd_una && sg.len == 0)
            s->dups++;
        else if (sg.ack != s->snd_una)
            s->dups = 0, s->progress = gn_now_ns();
        s->snd_una = sg.ack;
        s->wnd = (uint32_t)sg.win << s->peer_ws;
    }
}

/* passt takes what the guest sends only as far as its socket to the host has
 * room, and answers the rest with duplicate ACKs (it advertises a window the
 * size of the socket's whole buffer): like a real guest's TCP, send again from
 * the first byte not acknowledged after three duplicates, or after 200 ms
 * without progress. The payload is the same bytes for every segment, so going
 * back is only moving snd_nxt. */
static void sender_recover(struct sender *s)
{
    if (s->c.snd_nxt == s->snd_una)
        return;
    if (s->dups >= 3 || gn_now_ns() - s->progress > 200000000ull) {
        s->c.snd_nxt = s->snd_una;
        s->dups = 0;
        s->progress = gn_now_ns();
        s->resends++;
    }
}

static struct result tcp_out(unsigned mtu)
{
    uint16_t port;
    struct sink sk = {0};
    sk.fd = listen_on(SOCK_STREAM, &port);
    pthread_t ts;
    pthread_create(&ts, NULL, sink_main, &sk);
    struct sender s = {.c = {.ip = ne.my_ip,
                             .peer_ip = ne.gw_ip,
                             .port = 40000 + (mtu % 1000),
                             .peer_port = port,
                             .snd_nxt = 1,
                             .mss = (uint16_t)(mtu - 40),
                             .ws = 7,
                             .rcv_wnd = 4u << 20}};
    memcpy(s.c.mac, g.mac, 6);
    memcpy(s.c.peer_mac, ne.gw_mac, 6);
    uint8_t *p = gn_tx_slot(&g, 1000);
    gn_commit(&g, mt_segment(&s.c, TCP_SYN, NULL, 0, p), true);
    for (int i = 0; i < 100 && !s.synack; i++)
        drain(sender_frame, &s, 100);
    struct result r = {0, 0};
    if (!s.synack) {
        fprintf(stderr, "tcp-out: no SYN-ACK\n");
        goto out;
    }
    p = gn_tx_slot(&g, 1000);
    gn_commit(&g, mt_segment(&s.c, TCP_ACK, NULL, 0, p), true);
    size_t mss = s.c.mss;
    uint64_t segs = 0, t0 = gn_now_ns(), end = t0 + (uint64_t)(secs * 1e9);
    uint32_t una0 = s.c.snd_nxt;
    s.progress = t0;
    while (gn_now_ns() < end) {
        bool sent = false;
        while (s.c.snd_nxt - s.snd_una + mss <= s.wnd) {
            uint8_t *slot = gn_tx_slot(&g, 0);
            if (!slot)
                break;
            gn_commit(&g, mt_segment(&s.c, TCP_ACK, payload, mss, slot), false);
            segs++;
            sent = true;
        }
        if (sent)
            gn_notify(&g, 1);
        drain(sender_frame, &s, sent ? 0 : 2);
        sender_recover(&s);
    }
    if (s.resends)
        fprintf(stderr, "tcp-out MTU %u: sent again from the first unacknowledged byte %u times\n",
                mtu, s.resends);
    double dt = (double)(gn_now_ns() - t0) / 1e9;
    uint64_t acked = (uint32_t)(s.snd_una - una0);
    r.mbps = (double)acked / dt / 1e6;
    r.pps = (double)segs / dt;
    p = gn_tx_slot(&g, 1000);
    if (p)
        gn_commit(&g, mt_segment(&s.c, TCP_FIN | TCP_ACK, NULL, 0, p), true);
    drain(sender_frame, &s, 100);
out:
    sk.stop = true;
    pthread_join(ts, NULL);
    close(sk.fd);
    return r;
}

struct receiver {
    struct tcpc c;
    bool syn, fin;
    uint64_t bytes, segs, since_ack, dup_acks;
};

static void receiver_frame(const uint8_t *f, size_t n, void *opaque)
{
    struct receiver *r = opaque;
    struct mt_seg sg;
    if (!mt_parse(f, n, &sg) || sg.dport != GUEST_TCP_PORT)
        return;
    if ((sg.flags & (TCP_SYN | TCP_ACK)) == TCP_SYN && !r->syn) {
        if (sg.ws < 0)
            r->c.ws = 0; /* no scaling unless both offer it */
        r->syn = true;
        r->c.peer_ip = sg.src;
        r->c.peer_port = sg.sport;
        r->c.rcv_nxt = sg.seq + 1;
        memcpy(r->c.peer_mac, sg.src_mac, 6);
        uint8_t *p = gn_tx_slot(&g, 1000);
        gn_commit(&g, mt_segment(&r->c, TCP_SYN | TCP_ACK, NULL, 0, p), true);
        return;
    }
    if (!r->syn || sg.sport != r->c.peer_port)
        return;
    if (sg.len && sg.seq == r->c.rcv_nxt) {
        r->c.rcv_nxt += (uint32_t)sg.len;
        r->bytes += sg.len;
        r->segs++;
        r->since_ack++;
    } else if (sg.len) {
        /* a gap (passt drops what its full socket does not take): duplicate ACKs at once, as a
         * guest's TCP does, so that passt resends from there */
        r->dup_acks++;
        uint8_t *p = gn_tx_slot(&g, 100);
        if (p)
            gn_commit(&g, mt_segment(&r->c, TCP_ACK, NULL, 0, p), true);
    }
    if (sg.flags & TCP_FIN) {
        r->c.rcv_nxt++;
        r->fin = true;
        r->since_ack = 1;
    }
}

static struct result tcp_in(unsigned mtu)
{
    struct receiver rc = {.c = {.ip = ne.my_ip,
                                .port = GUEST_TCP_PORT,
                                .snd_nxt = 7,
                                .mss = (uint16_t)(mtu - 40),
                                .ws = 7,
                                .rcv_wnd = 4u << 20}};
    memcpy(rc.c.mac, g.mac, 6);
    struct source src = {.port = fwd_tcp};
    pthread_t th;
    pthread_create(&th, NULL, source_main, &src);
    struct result r = {0, 0};
    for (int i = 0; i < 100 && !rc.syn; i++)
        drain(receiver_frame, &rc, 50);
    if (!rc.syn) {
        fprintf(stderr, "tcp-in: no SYN reached the guest\n");
        src.stop = true;
        pthread_join(th, NULL);
        return r;
    }
    uint64_t t0 = 0, end = 0, b0 = 0, s0 = 0;
    for (;;) {
        uint64_t now = gn_now_ns();
        if (!t0 && rc.bytes) {
            t0 = now; /* from the first data on */
            end = t0 + (uint64_t)(secs * 1e9);
            b0 = rc.bytes;
            s0 = rc.segs;
        }
        if (t0 && now >= end)
            break;
        if (!t0 && now > 0 && rc.segs == 0 && rc.fin)
            break;
        drain(receiver_frame, &rc, 2);
        if (rc.since_ack) {
            /* one ACK for what the ring held: as a driver's NAPI poll would */
            uint8_t *p = gn_tx_slot(&g, 100);
            if (p) {
                gn_commit(&g, mt_segment(&rc.c, TCP_ACK, NULL, 0, p), true);
                rc.since_ack = 0;
            }
        }
    }
    double dt = (double)(gn_now_ns() - t0) / 1e9;
    r.mbps = (double)(rc.bytes - b0) / dt / 1e6;
    r.pps = (double)(rc.segs - s0) / dt;
    src.stop = true;
    /* keep acknowledging until the sender is done */
    for (int i = 0; i < 200 && !rc.fin; i++) {
        drain(receiver_frame, &rc, 5);
        uint8_t *p = gn_tx_slot(&g, 100);
        if (p)
            gn_commit(&g, mt_segment(&rc.c, TCP_ACK, NULL, 0, p), true);
        if (i == 50)
            break;
    }
    pthread_join(th, NULL);
    uint8_t *p = gn_tx_slot(&g, 100);
    if (p)
        gn_commit(&g, mt_segment(&rc.c, TCP_FIN | TCP_ACK, NULL, 0, p), true);
    drain(receiver_frame, &rc, 50);
    close(src.fd);
    return r;
}

static void ignore_frame(const uint8_t *f, size_t n, void *opaque)
{
    (void)f;
    (void)n;
    (void)opaque;
}

static struct result udp_out(void)
{
    uint16_t port;
    struct sink sk = {.udp = true};
    sk.fd = listen_on(SOCK_DGRAM, &port);
    pthread_t ts;
    pthread_create(&ts, NULL, sink_main, &sk);
    uint64_t sent = 0, t0 = gn_now_ns(), end = t0 + (uint64_t)(secs * 1e9);
    uint64_t p0 = __atomic_load_n(&sk.packets, __ATOMIC_RELAXED);
    while (gn_now_ns() < end) {
        unsigned k = 0;
        uint8_t *slot;
        while (k < 64 && (slot = gn_tx_slot(&g, 0)) != NULL) {
            size_t n = hk_pkt_udp4(slot, GN_TX_SLOT, g.mac, ne.gw_mac, ne.my_ip, ne.gw_ip, 40053,
                                   port, payload, 64);
            gn_commit(&g, n, false);
            k++;
        }
        sent += k;
        if (k)
            gn_notify(&g, 1);
        drain(ignore_frame, NULL, k ? 0 : 1);
    }
    usleep(100000);
    double dt = (double)(gn_now_ns() - t0) / 1e9;
    uint64_t got = __atomic_load_n(&sk.packets, __ATOMIC_RELAXED) - p0;
    sk.stop = true;
    pthread_join(ts, NULL);
    close(sk.fd);
    struct result r = {(double)got * 64 / dt / 1e6, (double)got / (dt - 0.1)};
    if (got < sent / 2)
        fprintf(stderr, "udp-out: %llu of %llu datagrams arrived\n", (unsigned long long)got,
                (unsigned long long)sent);
    return r;
}

struct udp_count {
    uint64_t n;
};

static void udp_frame(const uint8_t *f, size_t n, void *opaque)
{
    struct hk_pkt_info in;
    if (hk_pkt_inspect(f, n, &in) == 0 && in.udp && in.dport == GUEST_UDP_PORT)
        ((struct udp_count *)opaque)->n++;
}

static struct result udp_in(void)
{
    struct source src = {.port = fwd_udp, .udp = true};
    pthread_t th;
    pthread_create(&th, NULL, source_main, &src);
    struct udp_count c = {0};
    usleep(50000);
    drain(udp_frame, &c, 10);
    uint64_t n0 = c.n, t0 = gn_now_ns(), end = t0 + (uint64_t)(secs * 1e9);
    while (gn_now_ns() < end)
        drain(udp_frame, &c, 2);
    double dt = (double)(gn_now_ns() - t0) / 1e9;
    src.stop = true;
    pthread_join(th, NULL);
    close(src.fd);
    drain(udp_frame, &c, 50);
    struct result r = {(double)(c.n - n0) * 64 / dt / 1e6, (double)(c.n - n0) / dt};
    return r;
}

/* ---- the table ---- */

#define NMEAS 10

int main(int argc, char **argv)
{
    if (argc > 1)
        secs = atof(argv[1]);
    int runs = argc > 2 ? atoi(argv[2]) : 3;
    const char *only = argc > 3 ? argv[3] : NULL;
    if (secs <= 0 || runs < 1 || runs > 20) {
        fprintf(stderr, "usage: net [SECONDS] [RUNS] [ONLY]\n");
        return 2;
    }
    char path[HK_PASST_PATH_MAX];
    if (hk_passt_find(NULL, path, sizeof(path)) < 0) {
        fprintf(stderr, "passt is not installed (Debian package passt)\n");
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    for (size_t i = 0; i < sizeof(payload); i++)
        payload[i] = (uint8_t)(i * 31);
    static const char *const names[NMEAS] = {"tcp-out MTU 1500",
                                             "tcp-in MTU 1500",
                                             "udp-out 64 B",
                                             "udp-in 64 B",
                                             "tcp-out MTU 65520",
                                             "tcp-in MTU 65520",
                                             "loopback TCP",
                                             "loopback UDP 64 B",
                                             "-",
                                             "-"};
#define WANT(i) (!only || strstr(names[i], only) != NULL)
    double mb[NMEAS][20], pp[NMEAS][20];
    static double cpu[NMEAS][NCPU], moved[NMEAS]; /* summed over the runs */
    double c0[NCPU], c1[NCPU];
#define MEASURE(i, call)                                                                           \
    do {                                                                                           \
        cpu_sample(c0, passt_pid());                                                               \
        r = call;                                                                                  \
        cpu_sample(c1, passt_pid());                                                               \
        mb[i][run] = r.mbps, pp[i][run] = r.pps;                                                   \
        for (int k = 0; k < NCPU; k++)                                                             \
            cpu[i][k] += c1[k] - c0[k];                                                            \
        moved[i] += r.mbps * secs;                                                                 \
    } while (0)
    memset(mb, 0, sizeof(mb));
    memset(pp, 0, sizeof(pp));
    for (int run = 0; run < runs; run++) {
        static const unsigned mtus[2] = {1500, 65520};
        for (unsigned m = 0; m < 2; m++) {
            unsigned base = m == 0 ? 0 : 4;
            if (!WANT(base) && !WANT(base + 1) && (m || (!WANT(2) && !WANT(3))))
                continue;
            memset(&ne, 0, sizeof(ne));
            ne.g = &g;
            if (!card_up(mtus[m])) {
                fprintf(stderr, "the card with passt did not come up at MTU %u\n", mtus[m]);
                gn_destroy(&g);
                return 1;
            }
            struct result r;
            if (WANT(base))
                MEASURE(base, tcp_out(mtus[m]));
            if (WANT(base + 1))
                MEASURE(base + 1, tcp_in(mtus[m]));
            if (m == 0 && WANT(2))
                MEASURE(2, udp_out());
            if (m == 0 && WANT(3))
                MEASURE(3, udp_in());
            struct hk_net_stats st;
            hk_virtio_net_get_stats(&g.n, &st);
            if (st.rx_dropped || st.tx_dropped)
                fprintf(stderr, "run %d MTU %u: the card dropped %llu received, %llu sent\n", run,
                        mtus[m], (unsigned long long)st.rx_dropped,
                        (unsigned long long)st.tx_dropped);
            gn_destroy(&g);
        }
        struct result r;
        if (WANT(6)) {
            r = loopback(false);
            mb[6][run] = r.mbps, pp[6][run] = r.pps;
        }
        if (WANT(7)) {
            r = loopback(true);
            mb[7][run] = r.mbps, pp[7][run] = r.pps;
        }
        fprintf(stderr, "run %d of %d done\n", run + 1, runs);
    }
    double med_mb[NMEAS], med_pp[NMEAS], min_mb[NMEAS], max_mb[NMEAS];
    for (unsigned i = 0; i < 8; i++) {
        double a[20], b[20];
        memcpy(a, mb[i], sizeof(double) * (size_t)runs);
        memcpy(b, pp[i], sizeof(double) * (size_t)runs);
        qsort(a, (size_t)runs, sizeof(double), cmp_double);
        qsort(b, (size_t)runs, sizeof(double), cmp_double);
        med_mb[i] = a[runs / 2];
        med_pp[i] = b[runs / 2];
        min_mb[i] = a[0];
        max_mb[i] = a[runs - 1];
    }
    printf("network path: virtio ring -> card -> passt -> 127.0.0.1 and back (median of %d runs, "
           "%.1f s each)\n",
           runs, secs);
    printf("%-20s %12s %16s %14s %12s\n", "", "MB/s", "(runs: min-max)", "packets/s",
           "vs loopback");
    for (unsigned i = 0; i < 8; i++) {
        if (!WANT(i))
            continue; /* not measured (ONLY) */
        bool udp = i == 2 || i == 3 || i == 7;
        double ref = udp ? med_pp[7] : med_mb[6];
        double val = udp ? med_pp[i] : med_mb[i];
        char range[32];
        snprintf(range, sizeof(range), "%.0f-%.0f", min_mb[i], max_mb[i]);
        if (ref > 0)
            printf("%-20s %12.1f %16s %14.0f %11.1f%%\n", names[i], med_mb[i], range, med_pp[i],
                   100.0 * val / ref);
        else
            printf("%-20s %12.1f %16s %14.0f %12s\n", names[i], med_mb[i], range, med_pp[i],
                   "(not run)");
    }
    /* CPU time per MB of payload, by party (this host's load does not change it much) */
    printf("\nwhere the time goes: CPU milliseconds per MB of payload\n%-20s", "");
    for (int k = 0; k < NCPU; k++)
        printf(" %13s", cpu_names[k]);
    printf("\n");
    for (unsigned i = 0; i < 6; i++) {
        if (moved[i] <= 0)
            continue;
        printf("%-20s", names[i]);
        for (int k = 0; k < NCPU; k++)
            printf(" %13.2f", 1000.0 * cpu[i][k] / moved[i]);
        printf("\n");
    }
    return 0;
}
