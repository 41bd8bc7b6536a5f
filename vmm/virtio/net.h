/*
 * virtio-net (VIRTIO 1.1 §5.1 "Network Device"): PCI 1af4:1041, class 0x0200, over the modern
 * transport, one receive queue (0) and one transmit queue (1), no control queue. Frames go to and
 * come from passt (vmm/net/passt.h), the user-mode NAT network that needs no privileges.
 *
 * Features offered: VERSION_1, MAC, STATUS (link up/down with a configuration-change interrupt),
 * MTU, MRG_RXBUF, EVENT_IDX, INDIRECT_DESC; no checksum or segmentation offloads (passt takes and
 * gives complete frames with their checksums). Every frame carries the 12-byte virtio_net_hdr.
 *
 * Checked guest input: a transmitted chain without a whole header, with segmentation requested, or
 * with a frame shorter than an Ethernet header or longer than the MTU + 18 bytes (Ethernet header
 * and a VLAN tag) is dropped and counted; a receive buffer that the device cannot write is a device
 * error (DEVICE_NEEDS_RESET). A frame from passt that does not fit the posted buffers (no
 * MRG_RXBUF, small buffers) is dropped and counted; frames that arrive before the driver runs its
 * receive queue are dropped and counted; while the driver runs but has no buffers posted, the card
 * stops reading from passt until it posts some (passt then drops what it cannot queue).
 *
 * The link is up while passt runs and the user has not unplugged the cable
 * (hk_virtio_net_set_link). A change sets STATUS and interrupts the driver; passt dying, missing or
 * restarted are facts, and so is what the network diagnosis needs from the frames that pass:
 * DRIVER_OK, the first transmitted frame, DHCP DISCOVER/REQUEST/OFFER/ACK/NAK with the leased
 * address, the first DNS query and answer.
 */
#ifndef HK_VIRTIO_NET_H
#define HK_VIRTIO_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "../net/passt.h"
#include "pci.h"

#define HK_NET_QUEUE_SIZE  256
#define HK_NET_CFG_SIZE    12
#define HK_NET_HDR_LEN     12 /* virtio_net_hdr with num_buffers (VERSION_1) */
#define HK_NET_RXQ         0
#define HK_NET_TXQ         1
#define HK_NET_MAX_MERGE   128 /* receive buffers one frame may span (MRG_RXBUF) */
#define HK_NET_FRAME_SLACK 18  /* Ethernet header + one VLAN tag above the MTU */

/* feature bits (§5.1.3) */
#define HK_NET_F_MTU       (1ull << 3)
#define HK_NET_F_MAC       (1ull << 5)
#define HK_NET_F_MRG_RXBUF (1ull << 15)
#define HK_NET_F_STATUS    (1ull << 16)
#define HK_NET_S_LINK_UP   1

struct hk_net_stats {
    uint64_t rx_frames, rx_bytes, tx_frames, tx_bytes;
    uint64_t rx_dropped, tx_dropped; /* totals of the reasons below */
    uint64_t rx_no_driver, rx_too_big, rx_link_down;
    uint64_t tx_malformed, tx_too_big, tx_link_down;
};

struct hk_virtio_net_config {
    uint8_t mac[6];
    unsigned mtu; /* 0: HK_NET_MTU_DEFAULT */
    struct hk_passt_config passt;
};

struct hk_virtio_net {
    struct hk_virtio_pci t;
    struct hk_vm *vm;
    uint8_t mac[6];
    unsigned mtu;
    struct hk_passt backend;
    /* link: the user's cable (any thread) and what the guest sees (worker, read by vCPUs) */
    bool link_user;
    bool link_up;
    bool backend_pub; /* passt runs (the worker's view, for other threads) */
    /* what the driver negotiated (set at FEATURES_OK by the status hook) */
    bool mrg;
    /* worker thread only */
    bool rx_waiting;      /* a frame waits for receive buffers */
    bool backend_seen_up; /* passt's state when the link was last brought in line */
    bool tx_blocked;      /* passt's socket is full: transmit resumes on POLLOUT */
    unsigned npoll;
    struct hk_virtq_elem *elem, *first;
    uint16_t merge_heads[HK_NET_MAX_MERGE];
    uint32_t merge_lens[HK_NET_MAX_MERGE];
    /* diagnosis: which "first" facts were recorded since the driver last reset the card */
    uint32_t seen;
    uint32_t last_lease;
    unsigned leases;
    struct hk_net_stats stats; /* worker writes, others read with relaxed atomics */
};

/* Sets up the card; the configuration is copied. 0 or -1. */
int hk_virtio_net_init(struct hk_virtio_net *n, struct hk_vm *vm,
                       const struct hk_virtio_net_config *cfg);
int hk_virtio_net_register(struct hk_virtio_net *n, struct hk_pci_host *host, uint8_t devfn);
/* Starts passt (before the worker; a failure leaves the link down and is a fact, not an error). */
void hk_virtio_net_start_backend(struct hk_virtio_net *n);
void hk_virtio_net_destroy(struct hk_virtio_net *n);

/* The cable: plugged in (up) or not. Any thread. */
void hk_virtio_net_set_link(struct hk_virtio_net *n, bool up);
bool hk_virtio_net_link_up(struct hk_virtio_net *n);
/* A consistent-enough copy of the counters. Any thread. */
void hk_virtio_net_get_stats(struct hk_virtio_net *n, struct hk_net_stats *out);
/* The state the app shows. Any thread. */
struct hk_net_state {
    bool link_up, cable, backend, driver_ok;
};
void hk_virtio_net_get_state(struct hk_virtio_net *n, struct hk_net_state *out);

#endif
