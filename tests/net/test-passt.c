/* The network card with a real passt behind it, no KVM: this program plays the guest's driver
 * (tests/net/guestnet.h) and its network stack (just enough of it) and checks, in order:
 *
 *   dhcp      DISCOVER -> OFFER, REQUEST -> ACK with passt's address; the lease is a fact
 *   arp       an ARP request for the gateway is answered
 *   tcp-out   a TCP connection from the "guest" to the gateway address reaches a server this
 *             program listens with on the host's 127.0.0.1, and data echoes both ways
 *   forward   --net-forward tcp:HOST:GUEST: a connection from the host to 127.0.0.1:HOST reaches
 *             a listener in the "guest", data both ways
 *   kill      passt killed mid-run: the link goes down (STATUS and a configuration interrupt), the
 *             facts say so, nothing crashes, frames sent meanwhile are dropped and counted; passt
 *             is started again and the link comes back, DHCP works again
 *
 * Needs passt (Debian package passt, installed by .ci/install-deps). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>

#include "../unit/check.h"
#include "guestnet.h"
#include "hako/net.h"
#include "hako/passt.h"
#include "minitcp.h"
#include "netsetup.h"

static struct gn g;
static struct netenv ne = {.g = &g};
#define my_ip  ne.my_ip
#define gw_ip  ne.gw_ip
#define dns_ip ne.dns_ip
#define gw_mac ne.gw_mac
static uint16_t fwd_host_port;
#define FWD_GUEST_PORT 8080

static const uint8_t MAC[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

static unsigned facts_of_kind(uint32_t kind, struct hk_fact *last)
{
    return facts_of(&g.f, kind, last);
}

static bool dhcp_exchange(const char *what)
{
    bool ok = ne_dhcp(&ne, what);
    CHECK(ok);
    if (!ok)
        return false;
    char a[16], b[16], c[16];
    hk_pkt_format_ip4(my_ip, a);
    hk_pkt_format_ip4(gw_ip, b);
    hk_pkt_format_ip4(dns_ip, c);
    printf("%s: lease %s, gateway %s, DNS %s, MTU %u\n", what, a, b, c, ne.lease_mtu);
    CHECK(gw_ip != 0);
    return true;
}

static void test_dhcp(void)
{
    CHECK(dhcp_exchange("dhcp"));
    /* the engine's facts: DISCOVER, REQUEST, OFFER and the lease */
    struct hk_fact f;
    CHECK(facts_of_kind(HK_FACT_NET_DHCP, &f) >= 4);
    CHECK_EQ(f.a, HK_DHCP_ACK);
    CHECK_EQ((uint32_t)f.b, my_ip);
    printf("dhcp: fact \"%s\"\n", f.text);
    CHECK_EQ(facts_of_kind(HK_FACT_NET_FIRST_TX, NULL), 1);
    CHECK_EQ(facts_of_kind(HK_FACT_NET_DRIVER_OK, NULL), 1);
}

static void test_arp(void)
{
    CHECK(ne_arp_gateway(&ne));
    printf("arp: the gateway is at %02x:%02x:%02x:%02x:%02x:%02x\n", gw_mac[0], gw_mac[1],
           gw_mac[2], gw_mac[3], gw_mac[4], gw_mac[5]);
}

/* ---- TCP from the guest to the host ---- */

struct server {
    int fd;
    uint16_t port;
    char got[256];
    size_t got_len;
};

static void *echo_server(void *opaque)
{
    struct server *s = opaque;
    int c = accept(s->fd, NULL, NULL);
    if (c < 0)
        return NULL;
    const char hello[] = "hello from the host; ";
    send(c, hello, sizeof(hello) - 1, 0);
    ssize_t n = recv(c, s->got, sizeof(s->got) - 1, 0);
    if (n > 0) {
        s->got_len = (size_t)n;
        send(c, s->got, (size_t)n, 0); /* echo */
    }
    char tmp[16];
    while (recv(c, tmp, sizeof(tmp), 0) > 0) {
    }
    close(c);
    return NULL;
}

/* Segments of connection c until pred says stop; data is appended to acc; ACKs what came. */
static bool tcp_run(struct tcpc *c, char *acc, size_t *acc_len, size_t want, bool *fin,
                    int timeout_ms)
{
    static uint8_t buf[70000];
    uint8_t out[200];
    uint64_t deadline = gn_now_ns() + (uint64_t)timeout_ms * 1000000ull;
    while (*acc_len < want && gn_now_ns() < deadline) {
        long r = ne_frame(&ne, buf, sizeof(buf), 500);
        if (r <= 0)
            continue;
        struct mt_seg s;
        if (!mt_parse(buf, (size_t)r, &s) || s.dport != c->port || s.sport != c->peer_port)
            continue;
        if (s.flags & TCP_RST)
            return false;
        if (s.len && s.seq == c->rcv_nxt) {
            size_t k = s.len < 4096 - *acc_len ? s.len : 4096 - *acc_len;
            memcpy(acc + *acc_len, s.data, k);
            *acc_len += k;
            c->rcv_nxt += (uint32_t)s.len;
        }
        if (s.flags & TCP_FIN) {
            c->rcv_nxt++;
            if (fin)
                *fin = true;
        }
        if (s.len || (s.flags & TCP_FIN))
            gn_send(&g, out, mt_segment(c, TCP_ACK, NULL, 0, out), true, 1000);
    }
    return *acc_len >= want;
}

static void test_tcp_out(void)
{
    struct server s = {.fd = socket(AF_INET, SOCK_STREAM, 0)};
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK_EQ(bind(s.fd, (struct sockaddr *)&a, sizeof(a)), 0);
    CHECK_EQ(listen(s.fd, 1), 0);
    socklen_t al = sizeof(a);
    getsockname(s.fd, (struct sockaddr *)&a, &al);
    s.port = ntohs(a.sin_port);
    pthread_t th;
    pthread_create(&th, NULL, echo_server, &s);

    struct tcpc c = {.ip = my_ip,
                     .peer_ip = gw_ip,
                     .port = 40001,
                     .peer_port = s.port,
                     .snd_nxt = 1000,
                     .mss = 1460};
    memcpy(c.mac, MAC, 6);
    memcpy(c.peer_mac, gw_mac, 6);
    uint8_t out[400];
    static uint8_t buf[70000];
    CHECK(gn_send(&g, out, mt_segment(&c, TCP_SYN, NULL, 0, out), true, 1000));
    bool synack = false;
    for (int i = 0; i < 100 && !synack; i++) {
        long r = ne_frame(&ne, buf, sizeof(buf), 3000);
        if (r <= 0)
            break;
        struct mt_seg sg;
        if (mt_parse(buf, (size_t)r, &sg) && sg.dport == c.port &&
            (sg.flags & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK) && sg.ack == c.snd_nxt) {
            synack = true;
            c.rcv_nxt = sg.seq + 1;
        }
    }
    CHECK(synack);
    if (!synack) {
        close(s.fd);
        pthread_join(th, NULL);
        return;
    }
    gn_send(&g, out, mt_segment(&c, TCP_ACK, NULL, 0, out), true, 1000);
    /* the server speaks first */
    char acc[4096];
    size_t acc_len = 0;
    const char hello[] = "hello from the host; ";
    CHECK(tcp_run(&c, acc, &acc_len, sizeof(hello) - 1, NULL, 5000));
    CHECK(acc_len >= sizeof(hello) - 1 && memcmp(acc, hello, sizeof(hello) - 1) == 0);
    const char msg[] = "hello from the guest";
    gn_send(&g, out, mt_segment(&c, TCP_ACK | TCP_PSH, msg, sizeof(msg) - 1, out), true, 1000);
    CHECK(tcp_run(&c, acc, &acc_len, sizeof(hello) - 1 + sizeof(msg) - 1, NULL, 5000));
    CHECK(acc_len == sizeof(hello) - 1 + sizeof(msg) - 1 &&
          memcmp(acc + sizeof(hello) - 1, msg, sizeof(msg) - 1) == 0);
    gn_send(&g, out, mt_segment(&c, TCP_FIN | TCP_ACK, NULL, 0, out), true, 1000);
    pthread_join(th, NULL);
    close(s.fd);
    CHECK_EQ(s.got_len, sizeof(msg) - 1);
    CHECK(memcmp(s.got, msg, sizeof(msg) - 1) == 0);
    printf("tcp-out: guest -> gateway:%u -> host 127.0.0.1:%u: %zu bytes each way\n", s.port,
           s.port, sizeof(msg) - 1);
}

/* ---- a forward from the host into the guest ---- */

struct client {
    uint16_t port;
    char got[256];
    ssize_t got_len;
    int err;
};

static void *host_client(void *opaque)
{
    struct client *cl = opaque;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(cl->port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timeval tv = {8, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
        cl->err = errno;
        close(fd);
        return NULL;
    }
    const char msg[] = "ping from the host";
    send(fd, msg, sizeof(msg) - 1, 0);
    cl->got_len = recv(fd, cl->got, sizeof(cl->got) - 1, 0);
    close(fd);
    return NULL;
}

static void test_forward(void)
{
    struct client cl = {.port = fwd_host_port};
    pthread_t th;
    pthread_create(&th, NULL, host_client, &cl);
    static uint8_t buf[70000];
    struct tcpc c = {.ip = my_ip, .port = FWD_GUEST_PORT, .snd_nxt = 5000, .mss = 1460};
    memcpy(c.mac, MAC, 6);
    bool syn = false;
    for (int i = 0; i < 200 && !syn; i++) {
        long r = ne_frame(&ne, buf, sizeof(buf), 5000);
        if (r <= 0)
            break;
        struct mt_seg s;
        if (mt_parse(buf, (size_t)r, &s) && s.dport == FWD_GUEST_PORT &&
            (s.flags & (TCP_SYN | TCP_ACK)) == TCP_SYN) {
            syn = true;
            c.peer_ip = s.src;
            c.peer_port = s.sport;
            c.rcv_nxt = s.seq + 1;
            memcpy(c.peer_mac, s.src_mac, 6);
        }
    }
    CHECK(syn);
    uint8_t out[400];
    if (syn) {
        gn_send(&g, out, mt_segment(&c, TCP_SYN | TCP_ACK, NULL, 0, out), true, 1000);
        char acc[4096];
        size_t acc_len = 0;
        const char msg[] = "ping from the host";
        CHECK(tcp_run(&c, acc, &acc_len, sizeof(msg) - 1, NULL, 5000));
        CHECK(acc_len == sizeof(msg) - 1 && memcmp(acc, msg, acc_len) == 0);
        const char reply[] = "pong from the guest";
        gn_send(&g, out, mt_segment(&c, TCP_ACK | TCP_PSH, reply, sizeof(reply) - 1, out), true,
                1000);
        pthread_join(th, NULL);
        gn_send(&g, out, mt_segment(&c, TCP_FIN | TCP_ACK, NULL, 0, out), true, 1000);
        CHECK_EQ(cl.got_len, (ssize_t)sizeof(reply) - 1);
        CHECK(cl.got_len > 0 && memcmp(cl.got, reply, (size_t)cl.got_len) == 0);
        printf("forward: host 127.0.0.1:%u -> guest port %d: request and reply delivered\n",
               fwd_host_port, FWD_GUEST_PORT);
    } else {
        pthread_join(th, NULL);
        fprintf(stderr, "forward: no SYN reached the guest (connect: %s)\n", strerror(cl.err));
    }
}

/* ---- passt killed ---- */

static void test_kill(void)
{
    /* passt's pid, as its fact says (the worker thread owns the connection's fields) */
    struct hk_fact running;
    facts_of_kind(HK_FACT_NET_BACKEND, &running);
    CHECK_EQ(running.a, HK_NET_BACKEND_RUNNING);
    pid_t pid = (pid_t)running.b;
    CHECK(pid > 0);
    CHECK(gn_link_up(&g));
    unsigned links = facts_of_kind(HK_FACT_NET_LINK, NULL);
    uint8_t gen = (uint8_t)gn_rd(&g, 0x15, 1);
    CHECK_EQ(kill(pid, SIGKILL), 0);
    uint64_t t0 = gn_now_ns();
    while (gn_link_up(&g) && gn_now_ns() - t0 < 3000000000ull)
        usleep(1000);
    CHECK(!gn_link_up(&g));
    printf("kill: link down %.1f ms after SIGKILL\n", (double)(gn_now_ns() - t0) / 1e6);
    CHECK(gn_rd(&g, 0x15, 1) != gen); /* config_generation moved */
    struct hk_fact f;
    unsigned backends = facts_of_kind(HK_FACT_NET_BACKEND, &f);
    CHECK(backends >= 2);
    CHECK_EQ(f.a, HK_NET_BACKEND_DIED);
    CHECK_EQ(f.b, 128 + SIGKILL);
    printf("kill: fact \"%s\"\n", f.text);
    CHECK_EQ(facts_of_kind(HK_FACT_NET_LINK, &f), links + 1);
    CHECK_EQ(f.a, 0);
    CHECK_EQ(f.b, HK_NET_LINK_BACKEND);
    /* the guest keeps sending: dropped and counted */
    struct hk_net_stats before, after;
    hk_virtio_net_get_stats(&g.n, &before);
    uint8_t fr[600];
    size_t n = hk_pkt_arp_request(fr, sizeof(fr), MAC, my_ip, gw_ip);
    gn_send(&g, fr, n, true, 1000);
    usleep(100000);
    hk_virtio_net_get_stats(&g.n, &after);
    CHECK_EQ(after.tx_link_down, before.tx_link_down + 1);
    /* passt comes back by itself */
    t0 = gn_now_ns();
    while (!gn_link_up(&g) && gn_now_ns() - t0 < 5000000000ull)
        usleep(5000);
    CHECK(gn_link_up(&g));
    facts_of_kind(HK_FACT_NET_BACKEND, &f);
    CHECK_EQ(f.a, HK_NET_BACKEND_RUNNING);
    CHECK(strstr(f.text, "restarted") != NULL);
    printf("kill: passt restarted, link up %.2f s after the kill\n",
           (double)(gn_now_ns() - t0) / 1e9);
    CHECK(dhcp_exchange("kill: after the restart"));
}

/* A passt that is not there, and one that quits at once: the card is there, its link down, and
 * the facts say which. */
static void test_missing_and_failing(void)
{
    static struct gn g2;
    struct hk_virtio_net_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    memcpy(cfg.mac, MAC, 6);
    cfg.passt.fd = -1;
    cfg.passt.program = "/nonexistent/passt";
    CHECK_EQ(gn_init(&g2, &cfg), 0);
    CHECK(!gn_link_up(&g2));
    struct hk_fact f;
    CHECK_EQ(facts_of(&g2.f, HK_FACT_NET_BACKEND, &f), 1);
    CHECK_EQ(f.a, HK_NET_BACKEND_MISSING);
    printf("missing: fact \"%s\"\n", f.text);
    gn_destroy(&g2);

    cfg.passt.program = "/bin/false";
    CHECK_EQ(gn_init(&g2, &cfg), 0);
    uint64_t t0 = gn_now_ns();
    while (facts_of(&g2.f, HK_FACT_NET_BACKEND, &f) < 2 && gn_now_ns() - t0 < 2000000000ull)
        usleep(2000);
    CHECK_EQ(f.a, HK_NET_BACKEND_FAILED);
    CHECK_EQ(f.b, 1); /* exit status 1 */
    CHECK(!gn_link_up(&g2));
    printf("failing: fact \"%s\"\n", f.text);
    gn_destroy(&g2);
}

int main(void)
{
    char path[HK_PASST_PATH_MAX];
    if (hk_passt_find(NULL, path, sizeof(path)) < 0) {
        fprintf(stderr, "passt is not installed (Debian package passt: .ci/install-deps)\n");
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    /* a free host port for the forward */
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    bind(s, (struct sockaddr *)&a, sizeof(a));
    socklen_t al = sizeof(a);
    getsockname(s, (struct sockaddr *)&a, &al);
    fwd_host_port = ntohs(a.sin_port);
    close(s);

    struct hk_virtio_net_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    memcpy(cfg.mac, MAC, 6);
    cfg.mtu = 65520;
    cfg.passt.fd = -1;
    cfg.passt.fwd[0] = (struct hk_net_forward){HK_NET_TCP, fwd_host_port, FWD_GUEST_PORT};
    cfg.passt.nfwd = 1;
    if (gn_init(&g, &cfg) < 0) {
        fprintf(stderr, "cannot set up the card\n");
        return 1;
    }
    uint64_t t0 = gn_now_ns();
    while (!gn_link_up(&g) && gn_now_ns() - t0 < 2000000000ull)
        usleep(1000);
    if (!gn_link_up(&g)) {
        fprintf(stderr, "passt did not come up (see HK_TEST_VERBOSE=1)\n");
        gn_destroy(&g);
        return 1;
    }
    /* passt binds its forwards while it starts: give it a moment */
    usleep(300000);
    static const struct hk_test_case cases[] = {
        TEST(test_dhcp),    TEST(test_arp),  TEST(test_tcp_out),
        TEST(test_forward), TEST(test_kill), TEST(test_missing_and_failing),
    };
    int r = hk_test_run(cases, sizeof(cases) / sizeof(cases[0]));
    struct hk_net_stats st;
    hk_virtio_net_get_stats(&g.n, &st);
    printf("counters: rx %llu frames %llu bytes, tx %llu frames %llu bytes, dropped rx %llu tx "
           "%llu\n",
           (unsigned long long)st.rx_frames, (unsigned long long)st.rx_bytes,
           (unsigned long long)st.tx_frames, (unsigned long long)st.tx_bytes,
           (unsigned long long)st.rx_dropped, (unsigned long long)st.tx_dropped);
    gn_destroy(&g);
    return r;
}
