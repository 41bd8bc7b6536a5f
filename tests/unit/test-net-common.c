/* The network settings and frame helpers the app and the engine share (vmm/common/net.c,
 * netpkt.c): MAC and port-forward syntax, conflicts, the bind check, and the frame inspection
 * that the network facts rest on (including frames that lie about their lengths). */
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"

#include "hako/net.h"
#include "hako/netpkt.h"

static void test_mac(void)
{
    uint8_t m[6];
    char t[HK_NET_MAC_TEXT];
    CHECK_EQ(hk_net_parse_mac("52:54:00:AB:cd:0f", m), 0);
    hk_net_format_mac(m, t);
    CHECK_STR(t, "52:54:00:ab:cd:0f");
    CHECK_EQ(hk_net_parse_mac("52-54-00-ab-cd-0f", m), 0);
    CHECK_EQ(hk_net_parse_mac("52:54:00:ab:cd", m), -1);
    CHECK_EQ(hk_net_parse_mac("52:54:00:ab:cd:0g", m), -1);
    CHECK_EQ(hk_net_parse_mac("52:54-00:ab:cd:0f", m), -1);
    CHECK_EQ(hk_net_parse_mac("01:00:5e:00:00:01", m), -1); /* multicast */
    CHECK_EQ(hk_net_parse_mac(NULL, m), -1);
    static const uint8_t rnd[6] = {0xFF, 1, 2, 3, 4, 5};
    hk_net_make_mac(rnd, m);
    CHECK_EQ(m[0], 0xFE); /* unicast, locally administered */
    CHECK_EQ(m[5], 5);
}

static void test_forward(void)
{
    struct hk_net_forward f;
    char why[128], t[32];
    CHECK_EQ(hk_net_parse_forward("tcp:8080:80", &f, why, sizeof(why)), 0);
    CHECK_EQ(f.proto, HK_NET_TCP);
    CHECK_EQ(f.host_port, 8080);
    CHECK_EQ(f.guest_port, 80);
    hk_net_format_forward(&f, t, sizeof(t));
    CHECK_STR(t, "tcp:8080:80");
    CHECK_EQ(hk_net_parse_forward("udp:5353:53", &f, why, sizeof(why)), 0);
    CHECK_EQ(f.proto, HK_NET_UDP);
    static const char *const bad[] = {
        "",          "tcp",     "tcp:80",  "tcp:0:80", "tcp:80:65536", "sctp:1:2", "tcp:8080:80:1",
        "tcp:-1:80", "tcp::80", "TCP:1:2", "tcp:1:2x", "tcp:123456:1"};
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        why[0] = 0;
        CHECK_EQ(hk_net_parse_forward(bad[i], &f, why, sizeof(why)), -1);
        CHECK(why[0] != 0);
    }
    struct hk_net_forward l[4] = {{HK_NET_TCP, 2222, 22},
                                  {HK_NET_UDP, 2222, 22},
                                  {HK_NET_TCP, 8080, 80},
                                  {HK_NET_TCP, 2222, 23}};
    unsigned earlier = 99;
    CHECK_EQ(hk_net_forward_conflict(l, 3, &earlier), -1);
    CHECK_EQ(hk_net_forward_conflict(l, 4, &earlier), 3);
    CHECK_EQ(earlier, 0);
}

static void test_check_forward(void)
{
    /* a port some program holds cannot be forwarded; a free one can */
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_ANY);
    CHECK_EQ(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
    CHECK_EQ(listen(s, 1), 0);
    socklen_t al = sizeof(a);
    getsockname(s, (struct sockaddr *)&a, &al);
    struct hk_net_forward f = {HK_NET_TCP, ntohs(a.sin_port), 80};
    char why[160];
    CHECK_EQ(hk_net_check_forward(&f, why, sizeof(why)), -1);
    CHECK(strstr(why, "in use") != NULL);
    f.proto = HK_NET_UDP; /* the same number over UDP is another port */
    CHECK_EQ(hk_net_check_forward(&f, why, sizeof(why)), 0);
    close(s);
    f.proto = HK_NET_TCP;
    CHECK_EQ(hk_net_check_forward(&f, why, sizeof(why)), 0);
}

static const uint8_t MAC[6] = {0x02, 1, 2, 3, 4, 5};

static void test_inspect(void)
{
    uint8_t f[1500];
    struct hk_pkt_info in;
    size_t n =
        hk_pkt_dhcp_client(f, sizeof(f), MAC, 0xABCD, HK_DHCP_REQUEST, 0x0A000005, 0x0A000001);
    CHECK(n > 300);
    CHECK_EQ(hk_pkt_inspect(f, n, &in), 0);
    CHECK(in.broadcast);
    CHECK(in.ipv4 && in.udp);
    CHECK_EQ(in.sport, 68);
    CHECK_EQ(in.dhcp_type, HK_DHCP_REQUEST);
    CHECK_EQ(in.dhcp_xid, 0xABCD);
    CHECK_EQ(in.dhcp_requested, 0x0A000005);
    CHECK_EQ(in.dhcp_server, 0x0A000001);
    /* the IPv4 header checksum and the UDP checksum verify */
    CHECK_EQ(hk_pkt_csum_fold(hk_pkt_csum_add(0, f + 14, 20)), 0xFFFF);
    /* every truncation is handled (no read past the end: ASan) */
    for (size_t k = 0; k < n; k++) {
        uint8_t *copy = malloc(k ? k : 1);
        memcpy(copy, f, k);
        hk_pkt_inspect(copy, k, &in);
        CHECK(k == n || in.dhcp_type == 0);
        free(copy);
    }
    n = hk_pkt_arp_request(f, sizeof(f), MAC, 0x0A000005, 0x0A000001);
    CHECK_EQ(hk_pkt_inspect(f, n, &in), 0);
    CHECK(in.arp);
    CHECK_EQ(in.arp_op, 1);
    CHECK_EQ(in.arp_tpa, 0x0A000001);
    uint8_t q[128];
    size_t ql = hk_pkt_dns_query(q, sizeof(q), 7, "www.example.org");
    n = hk_pkt_udp4(f, sizeof(f), MAC, MAC, 1, 2, 1234, 53, q, ql);
    CHECK_EQ(hk_pkt_inspect(f, n, &in), 0);
    CHECK(in.dns && !in.dns_response);
    CHECK_STR(in.dns_name, "www.example.org");
    /* a UDP length that lies (longer than the packet): no payload is read */
    f[14 + 20 + 4] = 0xFF;
    f[14 + 20 + 5] = 0xFF;
    CHECK_EQ(hk_pkt_inspect(f, n, &in), 0);
    CHECK(!in.dns);
    CHECK(in.l4_payload == NULL);
    /* a DNS name with a compression pointer or an overlong label is not read */
    ql = hk_pkt_dns_query(q, sizeof(q), 7, "a.b");
    q[12] = 0xC0;
    n = hk_pkt_udp4(f, sizeof(f), MAC, MAC, 1, 2, 1234, 53, q, ql);
    CHECK_EQ(hk_pkt_inspect(f, n, &in), 0);
    CHECK(in.dns);
    CHECK_STR(in.dns_name, "");
    CHECK_EQ(hk_pkt_dns_query(q, sizeof(q), 1, "a..b"), 0);
    CHECK_EQ(hk_pkt_inspect(f, 13, &in), -1);
    char ip[16];
    hk_pkt_format_ip4(0xC0A80001, ip);
    CHECK_STR(ip, "192.168.0.1");
}

TEST_MAIN(TEST(test_mac), TEST(test_forward), TEST(test_check_forward), TEST(test_inspect))
