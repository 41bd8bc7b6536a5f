/*
 * The little packet knowledge Hako has (one copy, GLib-free): hako-vmm reads the frames that pass
 * through the network card only to record the network facts (DHCP, DNS, ARP: what the diagnosis
 * needs), and the passt probe of the host check builds a DHCP DISCOVER and reads the OFFER. The app
 * never parses packets itself.
 *
 * Every length and offset of a frame is checked against the frame; nothing here reads past len.
 * Addresses are IPv4 in host byte order.
 */
#ifndef HAKO_NETPKT_H
#define HAKO_NETPKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HK_ETH_HLEN     14
#define HK_ETH_P_IPV4   0x0800
#define HK_ETH_P_ARP    0x0806
#define HK_ETH_P_VLAN   0x8100
#define HK_ETH_P_IPV6   0x86DD
#define HK_IPPROTO_TCP  6
#define HK_IPPROTO_UDP  17
#define HK_IPPROTO_ICMP 1
#define HK_PKT_NAME_MAX 64

struct hk_pkt_info {
    uint16_t ethertype; /* after one VLAN tag, if any */
    bool broadcast;     /* destination ff:ff:ff:ff:ff:ff */
    uint8_t src_mac[6], dst_mac[6];
    /* ARP (ethertype 0x0806, Ethernet/IPv4) */
    bool arp;
    uint16_t arp_op; /* 1 request, 2 reply */
    uint32_t arp_spa, arp_tpa;
    uint8_t arp_sha[6];
    /* IP */
    bool ipv4, ipv6;
    uint8_t ip_proto; /* IPv6: the first next-header (no extension headers are walked) */
    uint32_t src4, dst4;
    bool udp, tcp;
    uint16_t sport, dport;
    const uint8_t *l4_payload; /* inside the frame; NULL when truncated */
    size_t l4_payload_len;
    /* DHCP (UDP 67/68, BOOTP with the magic cookie and option 53) */
    int dhcp_type; /* enum hk_net_dhcp_type, 0 when not DHCP */
    uint32_t dhcp_xid, dhcp_yiaddr, dhcp_requested, dhcp_server, dhcp_router, dhcp_dns, dhcp_mask;
    uint32_t dhcp_lease; /* seconds, option 51 */
    uint16_t dhcp_mtu;   /* option 26 */
    /* DNS (UDP port 53, either direction) */
    bool dns;
    bool dns_response;
    uint16_t dns_id, dns_answers;
    uint8_t dns_rcode;
    char dns_name[HK_PKT_NAME_MAX]; /* the first question, dotted; "" when unreadable */
};

/* Fills *info from an Ethernet frame. Returns 0, or -1 when the frame is shorter than an Ethernet
 * header (info is zeroed then). Malformed upper layers are simply not recognised. */
int hk_pkt_inspect(const uint8_t *frame, size_t len, struct hk_pkt_info *info);

/* "192.0.2.15" into out (16 bytes). */
void hk_pkt_format_ip4(uint32_t addr, char *out);

/* The Internet checksum over data (RFC 1071), folded, not inverted, added to sum. */
uint32_t hk_pkt_csum_add(uint32_t sum, const void *data, size_t len);
uint16_t hk_pkt_csum_fold(uint32_t sum);

/* Builders, for the passt probe and the tests. Each returns the frame length, or 0 when cap is too
 * small. */
/* Ethernet + IPv4 + UDP around payload (checksums filled). */
size_t hk_pkt_udp4(uint8_t *buf, size_t cap, const uint8_t src_mac[6], const uint8_t dst_mac[6],
                   uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport, const void *payload,
                   size_t plen);
/* A DHCP client message (broadcast from 0.0.0.0:68 to 255.255.255.255:67): type DISCOVER or
 * REQUEST (requested address and server identifier given for REQUEST, 0 to leave them out). */
size_t hk_pkt_dhcp_client(uint8_t *buf, size_t cap, const uint8_t mac[6], uint32_t xid, int type,
                          uint32_t requested, uint32_t server);
/* An ARP request: who has tpa, tell spa. */
size_t hk_pkt_arp_request(uint8_t *buf, size_t cap, const uint8_t mac[6], uint32_t spa,
                          uint32_t tpa);
/* A DNS query (type A, recursion desired) for name, as a UDP payload; returns its length. */
size_t hk_pkt_dns_query(uint8_t *buf, size_t cap, uint16_t id, const char *name);

#endif
