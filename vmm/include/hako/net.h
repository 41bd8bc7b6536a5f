/*
 * The VM's network settings as both the app and hako-vmm read and write them (one copy): the MAC
 * address, port forwards ("tcp:HOSTPORT:GUESTPORT"), the MTU, and the numbers the network facts
 * carry (backend states, link causes). Plain C11, no GLib.
 */
#ifndef HAKO_NET_H
#define HAKO_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HK_NET_MTU_DEFAULT  65520 /* what passt offers: the largest 802.3 MTU, 32-bit aligned */
#define HK_NET_MTU_MIN      1280  /* IPv6's minimum link MTU */
#define HK_NET_MTU_MAX      65520
#define HK_NET_MAX_FORWARDS 32
#define HK_NET_MAC_TEXT     18 /* "52:54:00:12:34:56" + NUL */

enum hk_net_proto { HK_NET_TCP = 0, HK_NET_UDP = 1 };

struct hk_net_forward {
    uint8_t proto; /* enum hk_net_proto */
    uint16_t host_port, guest_port;
};

/* The passt process behind the card (HK_FACT_NET_BACKEND a). Stable numbers. */
enum hk_net_backend_state {
    HK_NET_BACKEND_RUNNING = 1,  /* started (b: its pid) */
    HK_NET_BACKEND_MISSING = 2,  /* passt is not installed (not found in PATH) */
    HK_NET_BACKEND_FAILED = 3,   /* could not be started, or quit right away */
    HK_NET_BACKEND_DIED = 4,     /* exited or was killed while the VM ran (restarted soon) */
    HK_NET_BACKEND_GAVE_UP = 5,  /* kept dying: no more restarts */
    HK_NET_BACKEND_PROTOCOL = 6, /* sent something that is not a frame: stopped */
};

/* Why the link changed (HK_FACT_NET_LINK b). Stable numbers. */
enum hk_net_link_cause {
    HK_NET_LINK_BACKEND = 1, /* passt came up or went away */
    HK_NET_LINK_USER = 2,    /* the user plugged or unplugged the cable */
};

/* DHCP message types as the facts carry them (RFC 2132 option 53). */
enum hk_net_dhcp_type {
    HK_DHCP_DISCOVER = 1,
    HK_DHCP_OFFER = 2,
    HK_DHCP_REQUEST = 3,
    HK_DHCP_DECLINE = 4,
    HK_DHCP_ACK = 5,
    HK_DHCP_NAK = 6,
    HK_DHCP_RELEASE = 7,
    HK_DHCP_INFORM = 8,
};

/* "52:54:00:12:34:56" (also with '-' separators, either case). 0 or -1. Multicast addresses
 * (bit 0 of the first byte) are refused: a card cannot have one. */
int hk_net_parse_mac(const char *text, uint8_t mac[6]);
/* Lower-case colon-separated text into out (at least HK_NET_MAC_TEXT bytes). */
void hk_net_format_mac(const uint8_t mac[6], char *out);
/* A locally administered unicast MAC from six random bytes. */
void hk_net_make_mac(const uint8_t random[6], uint8_t mac[6]);

/* "tcp:8080:80" or "udp:5353:53": protocol, host port, guest port (1-65535). 0 or -1 with the
 * reason (English, for hako-vmm's error line) in why. */
int hk_net_parse_forward(const char *text, struct hk_net_forward *f, char *why, size_t why_len);
/* "tcp:8080:80" into out. */
void hk_net_format_forward(const struct hk_net_forward *f, char *out, size_t len);
const char *hk_net_proto_name(unsigned proto); /* "tcp", "udp" */
/* Two forwards of one protocol on the same host port cannot both bind: returns the index of the
 * first forward that repeats an earlier one's host port (*earlier: that one), or -1. */
int hk_net_forward_conflict(const struct hk_net_forward *f, unsigned n, unsigned *earlier);

/* Whether this host lets this process bind the forward's host port now (on the wildcard address,
 * as passt does). 0, or -1 with a one-line reason ("host port 8080 (tcp) is in use by another
 * program") in why and errno set. */
int hk_net_check_forward(const struct hk_net_forward *f, char *why, size_t why_len);

#endif
