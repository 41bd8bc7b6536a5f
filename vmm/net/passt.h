/*
 * The passt connection of one VM's network card: starts passt (hako/passt.h), frames the stream
 * both ways (each Ethernet frame preceded by its length, 32-bit big-endian), keeps passt's log in
 * the VM's log, notices when passt dies and starts it again.
 *
 * Life: a connection is "up" while passt runs. When passt is missing, the connection stays down
 * for good (fact: backend missing). When it exits or is killed, the connection goes down (fact:
 * backend died) and passt is started again after a delay that doubles with every quick death (1 s
 * up to 30 s); after HK_PASST_MAX_QUICK_DEATHS deaths within 10 s of their start it gives up
 * (fact). A stream that breaks the framing (a length of 0 or above HK_PASST_MAX_FRAME) stops
 * passt the same way.
 *
 * Threading: everything runs on the card's worker thread (the descriptors to poll come from
 * hk_passt_poll_fds); hk_passt_destroy after the worker stopped. No locks.
 *
 * Transmit batching: frames are copied into a send buffer (up to HK_PASST_TX_BUF bytes) and
 * written with one send() per batch; a partial write keeps the rest for POLLOUT, and the card
 * stops taking frames from the guest meanwhile (hk_passt_tx_room). Receive reads large chunks and
 * hands out complete frames in place.
 */
#ifndef HK_NET_PASST_H
#define HK_NET_PASST_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "../core/facts.h"
#include "../core/log.h"
#include "hako/net.h"
#include "hako/passt.h"

#define HK_PASST_MAX_FRAME        (65535 + 14 + 4) /* an IP datagram at most, plus Ethernet + VLAN */
#define HK_PASST_RX_BUF           (1u << 20)
#define HK_PASST_TX_BUF           (1u << 19)
#define HK_PASST_MAX_QUICK_DEATHS 5
#define HK_PASST_NPOLL            3

struct hk_passt_config {
    const char *program; /* name or path; NULL: "passt" from PATH */
    int fd; /* >= 0: an already connected socket to use instead of starting passt (tests); it is
             * owned from hk_passt_start on, and nothing is restarted when it closes */
    unsigned mtu;
    struct hk_net_forward fwd[HK_NET_MAX_FORWARDS];
    unsigned nfwd;
};

struct hk_passt {
    struct hk_passt_config cfg;
    struct hk_log *log;
    struct hk_facts *facts;
    char path[HK_PASST_PATH_MAX];
    struct hk_passt_child child; /* pid -1 when not running */
    bool up;
    bool gave_up;        /* missing or died too often: no more restarts */
    uint64_t started_ns; /* when the running passt was started */
    uint64_t restart_ns; /* when to start again (0: not scheduled) */
    unsigned quick_deaths;
    unsigned starts;
    char last_words[160];  /* passt's last warning, for the fact when it dies */
    char early_words[160]; /* its last line on standard error (errors before its log opened) */
    uint64_t frames_in;    /* frames from the running passt (peeks; a frame may count twice) */
    /* partial log lines */
    char logbuf[2][512];
    size_t loglen[2];
    /* receive: [rx_head, rx_head + rx_len) holds bytes not yet handed out */
    uint8_t *rx;
    size_t rx_head, rx_len;
    /* send: [tx_off, tx_len) still to be written */
    uint8_t *tx;
    size_t tx_off, tx_len;
    /* statistics */
    uint64_t restarts;
};

/* Copies the configuration; starts nothing yet. 0 or -1 (out of memory). */
int hk_passt_init(struct hk_passt *p, const struct hk_passt_config *cfg, struct hk_log *log,
                  struct hk_facts *facts);
/* Starts passt now (first start; later ones happen by themselves). 0, or -1 when it could not be
 * started (the fact says why; a restart may be scheduled). */
int hk_passt_start(struct hk_passt *p);
void hk_passt_destroy(struct hk_passt *p);

/* Fills up to HK_PASST_NPOLL entries of pfd with the descriptors to watch: the socket (POLLIN when
 * want_rx and the receive buffer has room, POLLOUT while a batch is unsent) and passt's log pipes.
 * Lowers *timeout_ms to the next restart. Returns the number of entries. */
unsigned hk_passt_poll_fds(struct hk_passt *p, struct pollfd *pfd, bool want_rx, int *timeout_ms);
/* After poll: reads logs, sends what is pending, notices a dead passt, restarts when due. pfd as
 * filled by hk_passt_poll_fds (n entries), revents set (n may be 0 after a timeout). Returns true
 * when the connection went up or down (the card's link follows). */
bool hk_passt_poll_events(struct hk_passt *p, const struct pollfd *pfd, unsigned n);

/* Receive: reads what the socket has into the buffer (non-blocking), then returns the next
 * complete frame (pointer into the buffer, valid until hk_passt_rx_next) or NULL. May take the
 * connection down (framing error, EOF): check hk_passt_up afterwards. */
const uint8_t *hk_passt_rx_peek(struct hk_passt *p, size_t *len);
void hk_passt_rx_next(struct hk_passt *p);
/* Reads what the socket has into the buffer without handing anything out (while the guest has no
 * buffers posted: passt finds room, the frames wait here). */
void hk_passt_rx_fill(struct hk_passt *p);

/* Send: true while a frame of len bytes fits into the send buffer. */
bool hk_passt_tx_room(struct hk_passt *p, size_t len);
/* Copies the frame (len bytes from the iovecs, len <= HK_PASST_MAX_FRAME) into the send buffer.
 * Call hk_passt_tx_room first. */
void hk_passt_tx_queue(struct hk_passt *p, const struct iovec *iov, unsigned niov, size_t len);
/* Writes the send buffer (as much as the socket takes). Returns false when the connection went
 * down. */
bool hk_passt_tx_flush(struct hk_passt *p);

static inline bool hk_passt_up(const struct hk_passt *p)
{
    return p->up;
}

#endif
