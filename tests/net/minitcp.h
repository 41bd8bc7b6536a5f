/* Just enough IPv4 and TCP for a test harness that plays the guest: one connection at a time,
 * segments built with their checksums and parsed back. Not a TCP stack: no retransmission, no
 * reordering (passt over a local socket pair delivers in order and never drops). */
#ifndef HK_TEST_MINITCP_H
#define HK_TEST_MINITCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hako/netpkt.h"

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10

struct tcpc {
    uint8_t mac[6], peer_mac[6];
    uint32_t ip, peer_ip;
    uint16_t port, peer_port;
    uint32_t snd_nxt, rcv_nxt;
    uint16_t mss;
    uint8_t ws;       /* window scale we offer in the SYN (0: no option) */
    uint32_t rcv_wnd; /* the window we advertise in bytes (0: 65535) */
};

static inline void mt_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void mt_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static inline uint32_t mt_get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A segment of the connection (SYN carries an MSS option); advances snd_nxt. Returns the frame
 * length. */
static inline size_t mt_segment(struct tcpc *c, uint8_t flags, const void *data, size_t len,
                                uint8_t *out)
{
    size_t opt = (flags & TCP_SYN) ? (c->ws ? 8 : 4) : 0;
    size_t tl = 20 + opt + len;
    memcpy(out, c->peer_mac, 6);
    memcpy(out + 6, c->mac, 6);
    mt_put16(out + 12, HK_ETH_P_IPV4);
    uint8_t *ip = out + 14;
    memset(ip, 0, 20);
    ip[0] = 0x45;
    mt_put16(ip + 2, (uint16_t)(20 + tl));
    ip[6] = 0x40; /* don't fragment */
    ip[8] = 64;
    ip[9] = HK_IPPROTO_TCP;
    mt_put32(ip + 12, c->ip);
    mt_put32(ip + 16, c->peer_ip);
    mt_put16(ip + 10, (uint16_t)~hk_pkt_csum_fold(hk_pkt_csum_add(0, ip, 20)));
    uint8_t *t = ip + 20;
    memset(t, 0, 20 + opt);
    mt_put16(t, c->port);
    mt_put16(t + 2, c->peer_port);
    mt_put32(t + 4, c->snd_nxt);
    mt_put32(t + 8, (flags & TCP_ACK) ? c->rcv_nxt : 0);
    t[12] = (uint8_t)(((20 + opt) / 4) << 4);
    t[13] = flags;
    uint32_t wnd = c->rcv_wnd ? c->rcv_wnd : 65535;
    if (!(flags & TCP_SYN))
        wnd >>= c->ws; /* the SYN's window is never scaled */
    mt_put16(t + 14, (uint16_t)(wnd > 65535 ? 65535 : wnd));
    if (opt) {
        t[20] = 2;
        t[21] = 4;
        mt_put16(t + 22, c->mss);
        if (c->ws) {
            t[24] = 1; /* NOP */
            t[25] = 3;
            t[26] = 3;
            t[27] = c->ws;
        }
    }
    if (len)
        memcpy(t + 20 + opt, data, len);
    uint8_t ph[12];
    mt_put32(ph, c->ip);
    mt_put32(ph + 4, c->peer_ip);
    ph[8] = 0;
    ph[9] = HK_IPPROTO_TCP;
    mt_put16(ph + 10, (uint16_t)tl);
    mt_put16(t + 16,
             (uint16_t)~hk_pkt_csum_fold(hk_pkt_csum_add(hk_pkt_csum_add(0, ph, 12), t, tl)));
    c->snd_nxt += (uint32_t)len + ((flags & (TCP_SYN | TCP_FIN)) ? 1 : 0);
    return 14 + 20 + tl;
}

struct mt_seg {
    uint8_t flags;
    uint32_t seq, ack;
    uint16_t win; /* the raw window field */
    int ws;       /* a SYN's window scale option, -1 when none */
    uint16_t mss; /* a SYN's MSS option, 0 when none */
    uint32_t src, dst;
    uint16_t sport, dport;
    const uint8_t *data;
    size_t len;
    uint8_t src_mac[6];
};

/* Parses an IPv4 TCP frame. */
static inline bool mt_parse(const uint8_t *f, size_t n, struct mt_seg *s)
{
    if (n < 14 + 20 + 20 || f[12] != 0x08 || f[13] != 0x00)
        return false;
    const uint8_t *ip = f + 14;
    size_t ihl = (size_t)(ip[0] & 15) * 4;
    size_t total = (size_t)(ip[2] << 8 | ip[3]);
    if ((ip[0] >> 4) != 4 || ip[9] != HK_IPPROTO_TCP || total > n - 14 || ihl < 20 ||
        total < ihl + 20)
        return false;
    const uint8_t *t = ip + ihl;
    size_t doff = (size_t)(t[12] >> 4) * 4;
    if (doff < 20 || ihl + doff > total)
        return false;
    memcpy(s->src_mac, f + 6, 6);
    s->src = mt_get32(ip + 12);
    s->dst = mt_get32(ip + 16);
    s->sport = (uint16_t)(t[0] << 8 | t[1]);
    s->dport = (uint16_t)(t[2] << 8 | t[3]);
    s->seq = mt_get32(t + 4);
    s->ack = mt_get32(t + 8);
    s->flags = t[13];
    s->win = (uint16_t)(t[14] << 8 | t[15]);
    s->ws = -1;
    s->mss = 0;
    for (size_t o = 20; o < doff;) {
        uint8_t kind = t[o];
        if (kind == 0)
            break;
        if (kind == 1) {
            o++;
            continue;
        }
        if (o + 1 >= doff || t[o + 1] < 2 || o + t[o + 1] > doff)
            break;
        if (kind == 2 && t[o + 1] == 4)
            s->mss = (uint16_t)(t[o + 2] << 8 | t[o + 3]);
        if (kind == 3 && t[o + 1] == 3)
            s->ws = t[o + 2];
        o += t[o + 1];
    }
    s->data = t + doff;
    s->len = total - ihl - doff;
    return true;
}

#endif
