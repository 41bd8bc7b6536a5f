/* Frame inspection and building for the network facts and the passt probe (hako/netpkt.h). */
#include "hako/netpkt.h"

#include <stdio.h>
#include <string.h>

#include "hako/bytes.h"
#include "hako/net.h"

void hk_pkt_format_ip4(uint32_t a, char *out)
{
    snprintf(out, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xFF, (a >> 8) & 0xFF, a & 0xFF);
}

/* ---- DHCP (RFC 2131/2132) ---- */

#define BOOTP_FIXED 236 /* op .. file, then the magic cookie */

static void inspect_dhcp(const uint8_t *p, size_t n, struct hk_pkt_info *in)
{
    if (n < BOOTP_FIXED + 4 || hk_be32(p + BOOTP_FIXED) != 0x63825363)
        return;
    if (p[0] != 1 && p[0] != 2)
        return;
    in->dhcp_xid = hk_be32(p + 4);
    uint32_t yiaddr = hk_be32(p + 16);
    int type = 0;
    size_t i = BOOTP_FIXED + 4;
    while (i < n) {
        uint8_t code = p[i];
        if (code == 255)
            break;
        if (code == 0) {
            i++;
            continue;
        }
        if (i + 1 >= n)
            break;
        uint8_t len = p[i + 1];
        if (i + 2 + len > n)
            break;
        const uint8_t *v = p + i + 2;
        switch (code) {
        case 53:
            if (len == 1)
                type = v[0];
            break;
        case 50:
            if (len == 4)
                in->dhcp_requested = hk_be32(v);
            break;
        case 54:
            if (len == 4)
                in->dhcp_server = hk_be32(v);
            break;
        case 3:
            if (len >= 4)
                in->dhcp_router = hk_be32(v);
            break;
        case 6:
            if (len >= 4)
                in->dhcp_dns = hk_be32(v);
            break;
        case 1:
            if (len == 4)
                in->dhcp_mask = hk_be32(v);
            break;
        case 51:
            if (len == 4)
                in->dhcp_lease = hk_be32(v);
            break;
        case 26:
            if (len == 2)
                in->dhcp_mtu = hk_be16(v);
            break;
        default: break;
        }
        i += 2u + len;
    }
    if (type >= HK_DHCP_DISCOVER && type <= HK_DHCP_INFORM) {
        in->dhcp_type = type;
        in->dhcp_yiaddr = yiaddr;
    }
}

/* ---- DNS (RFC 1035): the header and the first question's name ---- */

static void inspect_dns(const uint8_t *p, size_t n, struct hk_pkt_info *in)
{
    if (n < 12)
        return;
    uint16_t qd = hk_be16(p + 4);
    in->dns = true;
    in->dns_id = hk_be16(p);
    in->dns_response = (p[2] & 0x80) != 0;
    in->dns_rcode = p[3] & 0x0F;
    in->dns_answers = hk_be16(p + 6);
    if (qd == 0)
        return;
    size_t i = 12, o = 0;
    char name[HK_PKT_NAME_MAX];
    for (unsigned labels = 0; labels < 64; labels++) {
        if (i >= n)
            return;
        uint8_t l = p[i++];
        if (l == 0) {
            name[o] = 0;
            memcpy(in->dns_name, name, o + 1);
            return;
        }
        if (l & 0xC0 || i + l > n)
            return; /* no compression in a question we read; truncated */
        if (o && o < sizeof(name) - 1)
            name[o++] = '.';
        for (unsigned k = 0; k < l && o < sizeof(name) - 1; k++) {
            char c = (char)p[i + k];
            name[o++] = c > 0x20 && c < 0x7F ? c : '?';
        }
        i += l;
    }
}

static void inspect_udp(const uint8_t *p, size_t n, struct hk_pkt_info *in)
{
    if (n < 8)
        return;
    in->udp = true;
    in->sport = hk_be16(p);
    in->dport = hk_be16(p + 2);
    uint16_t ulen = hk_be16(p + 4);
    if (ulen < 8 || ulen > n)
        return; /* truncated or lying: no payload */
    in->l4_payload = p + 8;
    in->l4_payload_len = ulen - 8u;
    if ((in->sport == 68 && in->dport == 67) || (in->sport == 67 && in->dport == 68))
        inspect_dhcp(in->l4_payload, in->l4_payload_len, in);
    if (in->sport == 53 || in->dport == 53)
        inspect_dns(in->l4_payload, in->l4_payload_len, in);
}

int hk_pkt_inspect(const uint8_t *f, size_t len, struct hk_pkt_info *in)
{
    memset(in, 0, sizeof(*in));
    if (len < HK_ETH_HLEN)
        return -1;
    memcpy(in->dst_mac, f, 6);
    memcpy(in->src_mac, f + 6, 6);
    in->broadcast = memcmp(f, "\xff\xff\xff\xff\xff\xff", 6) == 0;
    size_t off = 12;
    uint16_t type = hk_be16(f + off);
    if (type == HK_ETH_P_VLAN) {
        if (len < off + 6)
            return 0;
        off += 4;
        type = hk_be16(f + off);
    }
    off += 2;
    in->ethertype = type;
    const uint8_t *p = f + off;
    size_t n = len - off;
    if (type == HK_ETH_P_ARP) {
        /* Ethernet/IPv4 only: htype 1, ptype 0x0800, hlen 6, plen 4 */
        if (n < 28 || hk_be16(p) != 1 || hk_be16(p + 2) != HK_ETH_P_IPV4 || p[4] != 6 || p[5] != 4)
            return 0;
        in->arp = true;
        in->arp_op = hk_be16(p + 6);
        memcpy(in->arp_sha, p + 8, 6);
        in->arp_spa = hk_be32(p + 14);
        in->arp_tpa = hk_be32(p + 24);
    } else if (type == HK_ETH_P_IPV4) {
        if (n < 20 || (p[0] >> 4) != 4)
            return 0;
        size_t ihl = (size_t)(p[0] & 0x0F) * 4;
        uint16_t total = hk_be16(p + 2);
        if (ihl < 20 || total < ihl || total > n)
            return 0;
        in->ipv4 = true;
        in->ip_proto = p[9];
        in->src4 = hk_be32(p + 12);
        in->dst4 = hk_be32(p + 16);
        if (hk_be16(p + 6) & 0x1FFF)
            return 0; /* a later fragment: no transport header */
        if (in->ip_proto == HK_IPPROTO_UDP) {
            inspect_udp(p + ihl, total - ihl, in);
        } else if (in->ip_proto == HK_IPPROTO_TCP && total - ihl >= 20) {
            in->tcp = true;
            in->sport = hk_be16(p + ihl);
            in->dport = hk_be16(p + ihl + 2);
        }
    } else if (type == HK_ETH_P_IPV6) {
        if (n < 40 || (p[0] >> 4) != 6)
            return 0;
        size_t plen = hk_be16(p + 4);
        if (plen > n - 40)
            return 0;
        in->ipv6 = true;
        in->ip_proto = p[6];
        if (in->ip_proto == HK_IPPROTO_UDP) {
            inspect_udp(p + 40, plen, in);
        } else if (in->ip_proto == HK_IPPROTO_TCP && plen >= 20) {
            in->tcp = true;
            in->sport = hk_be16(p + 40);
            in->dport = hk_be16(p + 42);
        }
    }
    return 0;
}

/* ---- checksums and builders ---- */

uint32_t hk_pkt_csum_add(uint32_t sum, const void *data, size_t len)
{
    const uint8_t *p = data;
    uint64_t s = sum;
    size_t i = 0;
    for (; i + 1 < len; i += 2)
        s += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (i < len)
        s += (uint32_t)p[i] << 8;
    while (s >> 32)
        s = (s & 0xFFFFFFFFu) + (s >> 32);
    return (uint32_t)s;
}

uint16_t hk_pkt_csum_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xFFFF) + (sum >> 16);
    return (uint16_t)sum;
}

size_t hk_pkt_udp4(uint8_t *buf, size_t cap, const uint8_t src_mac[6], const uint8_t dst_mac[6],
                   uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport, const void *payload,
                   size_t plen)
{
    size_t total = HK_ETH_HLEN + 20 + 8 + plen;
    if (cap < total || plen > 65535 - 28)
        return 0;
    memcpy(buf, dst_mac, 6);
    memcpy(buf + 6, src_mac, 6);
    hk_put_be16(buf + 12, HK_ETH_P_IPV4);
    uint8_t *ip = buf + HK_ETH_HLEN;
    memset(ip, 0, 20);
    ip[0] = 0x45;
    hk_put_be16(ip + 2, (uint16_t)(20 + 8 + plen));
    ip[8] = 64;
    ip[9] = HK_IPPROTO_UDP;
    hk_put_be32(ip + 12, src);
    hk_put_be32(ip + 16, dst);
    hk_put_be16(ip + 10, (uint16_t)~hk_pkt_csum_fold(hk_pkt_csum_add(0, ip, 20)));
    uint8_t *udp = ip + 20;
    hk_put_be16(udp, sport);
    hk_put_be16(udp + 2, dport);
    hk_put_be16(udp + 4, (uint16_t)(8 + plen));
    hk_put_be16(udp + 6, 0);
    if (plen)
        memcpy(udp + 8, payload, plen);
    /* pseudo header + UDP */
    uint8_t ph[12];
    hk_put_be32(ph, src);
    hk_put_be32(ph + 4, dst);
    ph[8] = 0;
    ph[9] = HK_IPPROTO_UDP;
    hk_put_be16(ph + 10, (uint16_t)(8 + plen));
    uint16_t c =
        (uint16_t)~hk_pkt_csum_fold(hk_pkt_csum_add(hk_pkt_csum_add(0, ph, 12), udp, 8 + plen));
    hk_put_be16(udp + 6, c ? c : 0xFFFF);
    return total;
}

size_t hk_pkt_dhcp_client(uint8_t *buf, size_t cap, const uint8_t mac[6], uint32_t xid, int type,
                          uint32_t requested, uint32_t server)
{
    uint8_t b[300];
    memset(b, 0, sizeof(b));
    b[0] = 1; /* BOOTREQUEST */
    b[1] = 1; /* Ethernet */
    b[2] = 6;
    hk_put_be32(b + 4, xid);
    hk_put_be16(b + 10, 0x8000); /* broadcast replies: we have no address yet */
    memcpy(b + 28, mac, 6);
    hk_put_be32(b + BOOTP_FIXED, 0x63825363);
    size_t o = BOOTP_FIXED + 4;
    b[o++] = 53;
    b[o++] = 1;
    b[o++] = (uint8_t)type;
    if (requested) {
        b[o++] = 50;
        b[o++] = 4;
        hk_put_be32(b + o, requested);
        o += 4;
    }
    if (server) {
        b[o++] = 54;
        b[o++] = 4;
        hk_put_be32(b + o, server);
        o += 4;
    }
    b[o++] = 55; /* parameter request list: mask, router, DNS, MTU */
    b[o++] = 4;
    b[o++] = 1;
    b[o++] = 3;
    b[o++] = 6;
    b[o++] = 26;
    b[o++] = 255;
    if (o < 300)
        o = 300; /* the minimum BOOTP message some servers insist on */
    static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    return hk_pkt_udp4(buf, cap, mac, bcast, 0, 0xFFFFFFFFu, 68, 67, b, o);
}

size_t hk_pkt_arp_request(uint8_t *buf, size_t cap, const uint8_t mac[6], uint32_t spa,
                          uint32_t tpa)
{
    if (cap < 42)
        return 0;
    memset(buf, 0xff, 6);
    memcpy(buf + 6, mac, 6);
    hk_put_be16(buf + 12, HK_ETH_P_ARP);
    uint8_t *a = buf + HK_ETH_HLEN;
    hk_put_be16(a, 1);
    hk_put_be16(a + 2, HK_ETH_P_IPV4);
    a[4] = 6;
    a[5] = 4;
    hk_put_be16(a + 6, 1);
    memcpy(a + 8, mac, 6);
    hk_put_be32(a + 14, spa);
    memset(a + 18, 0, 6);
    hk_put_be32(a + 24, tpa);
    return 42;
}

size_t hk_pkt_dns_query(uint8_t *buf, size_t cap, uint16_t id, const char *name)
{
    size_t nlen = strlen(name);
    size_t need = 12 + nlen + 2 + 4;
    if (cap < need || nlen > 253)
        return 0;
    memset(buf, 0, 12);
    hk_put_be16(buf, id);
    buf[2] = 0x01; /* RD */
    hk_put_be16(buf + 4, 1);
    size_t o = 12;
    const char *s = name;
    while (*s) {
        const char *dot = strchr(s, '.');
        size_t l = dot ? (size_t)(dot - s) : strlen(s);
        if (l == 0 || l > 63)
            return 0;
        buf[o++] = (uint8_t)l;
        memcpy(buf + o, s, l);
        o += l;
        s += l;
        if (*s == '.')
            s++;
    }
    buf[o++] = 0;
    hk_put_be16(buf + o, 1);     /* A */
    hk_put_be16(buf + o + 2, 1); /* IN */
    return o + 4;
}
