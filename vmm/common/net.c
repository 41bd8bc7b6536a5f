/* Network settings shared by the app and hako-vmm (hako/net.h). */
#include "hako/net.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hako/bytes.h"

int hk_net_parse_mac(const char *text, uint8_t mac[6])
{
    if (!text || strlen(text) != 17)
        return -1;
    char sep = text[2];
    if (sep != ':' && sep != '-')
        return -1;
    uint8_t m[6];
    for (unsigned i = 0; i < 6; i++) {
        const char *p = text + 3 * i;
        int hi = hk_hexval(p[0]), lo = hk_hexval(p[1]);
        if (hi < 0 || lo < 0 || (i < 5 && p[2] != sep))
            return -1;
        m[i] = (uint8_t)(hi << 4 | lo);
    }
    if (m[0] & 1)
        return -1; /* multicast */
    memcpy(mac, m, 6);
    return 0;
}

void hk_net_format_mac(const uint8_t mac[6], char *out)
{
    snprintf(out, HK_NET_MAC_TEXT, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
             mac[4], mac[5]);
}

void hk_net_make_mac(const uint8_t random[6], uint8_t mac[6])
{
    memcpy(mac, random, 6);
    mac[0] = (uint8_t)((mac[0] & 0xFC) | 0x02); /* unicast, locally administered */
}

const char *hk_net_proto_name(unsigned proto)
{
    return proto == HK_NET_UDP ? "udp" : "tcp";
}

static int parse_port(const char *s, size_t n, uint16_t *out)
{
    if (n == 0 || n > 5)
        return -1;
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    if (v == 0 || v > 65535)
        return -1;
    *out = (uint16_t)v;
    return 0;
}

int hk_net_parse_forward(const char *text, struct hk_net_forward *f, char *why, size_t why_len)
{
    struct hk_net_forward r = {0, 0, 0};
    const char *p = text ? text : "";
    if (strncmp(p, "tcp:", 4) == 0) {
        r.proto = HK_NET_TCP;
    } else if (strncmp(p, "udp:", 4) == 0) {
        r.proto = HK_NET_UDP;
    } else {
        snprintf(why, why_len, "'%s' does not start with tcp: or udp:", p);
        return -1;
    }
    p += 4;
    const char *colon = strchr(p, ':');
    if (!colon) {
        snprintf(why, why_len, "'%s' is not PROTOCOL:HOSTPORT:GUESTPORT", text);
        return -1;
    }
    if (parse_port(p, (size_t)(colon - p), &r.host_port) < 0 ||
        parse_port(colon + 1, strlen(colon + 1), &r.guest_port) < 0) {
        snprintf(why, why_len, "'%s': ports are numbers from 1 to 65535", text);
        return -1;
    }
    *f = r;
    return 0;
}

void hk_net_format_forward(const struct hk_net_forward *f, char *out, size_t len)
{
    snprintf(out, len, "%s:%u:%u", hk_net_proto_name(f->proto), f->host_port, f->guest_port);
}

int hk_net_forward_conflict(const struct hk_net_forward *f, unsigned n, unsigned *earlier)
{
    for (unsigned i = 0; i < n; i++)
        for (unsigned j = 0; j < i; j++)
            if (f[i].proto == f[j].proto && f[i].host_port == f[j].host_port) {
                if (earlier)
                    *earlier = j;
                return (int)i;
            }
    return -1;
}

/* bind() on one family's wildcard address; 0, or the errno. EAFNOSUPPORT and EADDRNOTAVAIL
 * (no IPv6 on this host) count as fine: passt skips that family as well. */
static int try_bind(int family, const struct hk_net_forward *f)
{
    int type = f->proto == HK_NET_UDP ? SOCK_DGRAM : SOCK_STREAM;
    int s = socket(family, type | SOCK_CLOEXEC, 0);
    if (s < 0)
        return errno == EAFNOSUPPORT ? 0 : errno;
    int one = 1;
    if (type == SOCK_STREAM)
        setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)); /* as passt: TIME_WAIT is ok */
    int r;
    if (family == AF_INET6) {
        setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
        struct sockaddr_in6 a;
        memset(&a, 0, sizeof(a));
        a.sin6_family = AF_INET6;
        a.sin6_port = htons(f->host_port);
        a.sin6_addr = in6addr_any;
        r = bind(s, (struct sockaddr *)&a, sizeof(a));
    } else {
        struct sockaddr_in a;
        memset(&a, 0, sizeof(a));
        a.sin_family = AF_INET;
        a.sin_port = htons(f->host_port);
        a.sin_addr.s_addr = htonl(INADDR_ANY);
        r = bind(s, (struct sockaddr *)&a, sizeof(a));
    }
    int err = r < 0 ? errno : 0;
    close(s);
    if (err == EADDRNOTAVAIL || err == EAFNOSUPPORT)
        return 0;
    return err;
}

int hk_net_check_forward(const struct hk_net_forward *f, char *why, size_t why_len)
{
    int err = try_bind(AF_INET, f);
    if (!err)
        err = try_bind(AF_INET6, f);
    if (!err)
        return 0;
    const char *proto = hk_net_proto_name(f->proto);
    if (err == EADDRINUSE)
        snprintf(why, why_len, "host port %u (%s) is already in use by another program",
                 f->host_port, proto);
    else if (err == EACCES)
        snprintf(why, why_len,
                 "host port %u (%s) is privileged: ports below 1024 need root (or "
                 "net.ipv4.ip_unprivileged_port_start)",
                 f->host_port, proto);
    else
        snprintf(why, why_len, "host port %u (%s) cannot be used: %s", f->host_port, proto,
                 strerror(err));
    errno = err;
    return -1;
}
