/* What the harness's "guest" does before it talks TCP or UDP: answers ARP requests for its
 * address, gets a lease over DHCP, finds the gateway's MAC. Shared by the passt test and the
 * network benchmark. */
#ifndef HK_TEST_NETSETUP_H
#define HK_TEST_NETSETUP_H

#include <stdio.h>

#include "guestnet.h"
#include "hako/netpkt.h"

struct netenv {
    struct gn *g;
    uint32_t my_ip, gw_ip, dns_ip;
    uint8_t gw_mac[6];
    bool have_gw_mac;
    uint16_t lease_mtu;
};

/* The next frame that is not an ARP request for us (those are answered here); 0 on timeout. */
static inline long ne_frame(struct netenv *ne, uint8_t *buf, size_t cap, int timeout_ms)
{
    uint64_t deadline = gn_now_ns() + (uint64_t)timeout_ms * 1000000ull;
    for (;;) {
        uint64_t now = gn_now_ns();
        if (now >= deadline)
            return 0;
        long n = gn_recv(ne->g, buf, cap, (int)((deadline - now) / 1000000ull) + 1);
        if (n <= 0)
            return n;
        if (n < 42 || buf[12] != 0x08 || buf[13] != 0x06)
            return n;
        struct hk_pkt_info in;
        hk_pkt_inspect(buf, (size_t)n, &in);
        if (in.arp && in.arp_op == 1 && ne->my_ip && in.arp_tpa == ne->my_ip) {
            uint8_t r[42];
            memcpy(r, in.src_mac, 6);
            memcpy(r + 6, ne->g->mac, 6);
            r[12] = 0x08, r[13] = 0x06;
            static const uint8_t hdr[8] = {0, 1, 8, 0, 6, 4, 0, 2};
            memcpy(r + 14, hdr, 8);
            memcpy(r + 22, ne->g->mac, 6);
            uint32_t a = ne->my_ip, b = in.arp_spa;
            uint8_t ip[8] = {(uint8_t)(a >> 24), (uint8_t)(a >> 16), (uint8_t)(a >> 8), (uint8_t)a,
                             (uint8_t)(b >> 24), (uint8_t)(b >> 16), (uint8_t)(b >> 8), (uint8_t)b};
            memcpy(r + 28, ip, 4);
            memcpy(r + 32, in.arp_sha, 6);
            memcpy(r + 38, ip + 4, 4);
            gn_send(ne->g, r, sizeof(r), true, 1000);
            continue;
        }
        return n;
    }
}

/* DISCOVER, OFFER, REQUEST, ACK. Fills my_ip, gw_ip, dns_ip. Returns false (with a message) when
 * an answer did not come. */
static inline bool ne_dhcp(struct netenv *ne, const char *what)
{
    static uint8_t buf[70000];
    uint8_t f[600];
    uint32_t xid = 0x48414B4Fu ^ (uint32_t)gn_now_ns();
    size_t n = hk_pkt_dhcp_client(f, sizeof(f), ne->g->mac, xid, HK_DHCP_DISCOVER, 0, 0);
    gn_send(ne->g, f, n, true, 1000);
    struct hk_pkt_info in;
    bool got = false;
    for (int i = 0; i < 200 && !got; i++) {
        long r = ne_frame(ne, buf, sizeof(buf), 5000);
        if (r <= 0)
            break;
        got = hk_pkt_inspect(buf, (size_t)r, &in) == 0 && in.dhcp_type == HK_DHCP_OFFER &&
              in.dhcp_xid == xid;
    }
    if (!got) {
        fprintf(stderr, "%s: no DHCP OFFER from passt\n", what);
        return false;
    }
    uint32_t offered = in.dhcp_yiaddr;
    n = hk_pkt_dhcp_client(f, sizeof(f), ne->g->mac, xid, HK_DHCP_REQUEST, offered, in.dhcp_server);
    gn_send(ne->g, f, n, true, 1000);
    got = false;
    for (int i = 0; i < 200 && !got; i++) {
        long r = ne_frame(ne, buf, sizeof(buf), 5000);
        if (r <= 0)
            break;
        got = hk_pkt_inspect(buf, (size_t)r, &in) == 0 && in.dhcp_type == HK_DHCP_ACK &&
              in.dhcp_xid == xid;
    }
    if (!got) {
        fprintf(stderr, "%s: no DHCP ACK from passt\n", what);
        return false;
    }
    ne->my_ip = in.dhcp_yiaddr;
    ne->gw_ip = in.dhcp_router;
    ne->dns_ip = in.dhcp_dns;
    ne->lease_mtu = in.dhcp_mtu;
    return offered == in.dhcp_yiaddr;
}

/* Who has the gateway's address? */
static inline bool ne_arp_gateway(struct netenv *ne)
{
    static uint8_t buf[70000];
    uint8_t f[64];
    size_t n = hk_pkt_arp_request(f, sizeof(f), ne->g->mac, ne->my_ip, ne->gw_ip);
    gn_send(ne->g, f, n, true, 1000);
    ne->have_gw_mac = false;
    for (int i = 0; i < 100 && !ne->have_gw_mac; i++) {
        long r = ne_frame(ne, buf, sizeof(buf), 3000);
        if (r <= 0)
            break;
        struct hk_pkt_info in;
        if (hk_pkt_inspect(buf, (size_t)r, &in) == 0 && in.arp && in.arp_op == 2 &&
            in.arp_spa == ne->gw_ip) {
            memcpy(ne->gw_mac, in.arp_sha, 6);
            ne->have_gw_mac = true;
        }
    }
    return ne->have_gw_mac;
}

#endif
