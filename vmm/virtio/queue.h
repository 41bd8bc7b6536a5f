/*
 * Split virtqueues (Virtual I/O Device (VIRTIO) Version 1.1, §2.6 "Split Virtqueues"): the
 * descriptor table, the driver ("available") ring and the device ("used") ring, as the driver laid
 * them out in guest memory. The device side pops descriptor chains and pushes used elements.
 *
 * Everything the guest wrote is treated as hostile: ring addresses and sizes are checked against
 * guest memory when the queue is enabled; each descriptor is copied once before it is looked at;
 * every index is checked against the queue size; chains longer than the queue (direct) or than
 * HK_VIRTQ_MAX_SEGS (with an indirect table), loops, NEXT inside an indirect table pointing out of
 * it, readable buffers after writable ones and buffers outside guest RAM make the queue "broken": a
 * device error the transport reports as DEVICE_NEEDS_RESET. Nothing here can crash on any ring
 * contents.
 *
 * Not thread-safe by itself: the owning device serialises pop/push (one worker per queue).
 */
#ifndef HK_VIRTIO_QUEUE_H
#define HK_VIRTIO_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

struct hk_mem;

#define HK_VIRTQ_MAX_SIZE 1024 /* largest queue a device offers */
#define HK_VIRTQ_MAX_SEGS 1024 /* buffers in one chain, indirect tables included */

/* descriptor flags */
#define HK_VIRTQ_DESC_F_NEXT     1
#define HK_VIRTQ_DESC_F_WRITE    2
#define HK_VIRTQ_DESC_F_INDIRECT 4
/* driver ring flags / device ring flags */
#define HK_VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define HK_VIRTQ_USED_F_NO_NOTIFY     1

/* Ring layouts (little-endian; x86 guests and hosts only). */
struct hk_vring_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

struct hk_vring_avail {
    uint16_t flags;
    uint16_t idx;
    uint16_t ring[]; /* size entries, then used_event (EVENT_IDX) */
};

struct hk_vring_used_elem {
    uint32_t id;
    uint32_t len;
};

struct hk_vring_used {
    uint16_t flags;
    uint16_t idx;
    struct hk_vring_used_elem ring[]; /* size entries, then avail_event (EVENT_IDX) */
};

struct hk_virtq {
    struct hk_mem *mem;
    uint16_t size;
    bool ready;     /* hk_virtq_start succeeded */
    bool broken;    /* a device error: nothing more is popped or pushed */
    bool event_idx; /* VIRTIO_F_EVENT_IDX negotiated */
    uint64_t desc_gpa, avail_gpa, used_gpa;
    struct hk_vring_desc *desc; /* host views of the rings */
    struct hk_vring_avail *avail;
    struct hk_vring_used *used;
    uint16_t last_avail;     /* next driver ring entry to consume */
    uint16_t seen_avail;     /* the driver's index as the last pop read it */
    uint16_t used_idx;       /* our copy of used->idx */
    uint16_t signalled_used; /* used_idx when the driver was last interrupted (EVENT_IDX) */
    bool signalled_valid;
    char error[96]; /* why the queue broke */
};

/* One popped chain: the device-readable buffers first (iov[0..nout)), then the device-writable
 * ones (iov[nout..nout+nin)). Lengths are totals in bytes. */
struct hk_virtq_elem {
    uint16_t head;
    unsigned nout, nin;
    uint64_t out_len, in_len;
    struct iovec iov[HK_VIRTQ_MAX_SEGS];
};

void hk_virtq_init(struct hk_virtq *q, struct hk_mem *mem);
/* Maps the rings the driver configured. Returns 0, or -1 with q->error set (size not a power of two
 * or above HK_VIRTQ_MAX_SIZE, a ring misaligned or outside guest RAM). */
int hk_virtq_start(struct hk_virtq *q, uint16_t size, uint64_t desc, uint64_t avail, uint64_t used,
                   bool event_idx);
void hk_virtq_stop(struct hk_virtq *q);
/* Takes the next chain. Returns 1 with *e filled, 0 when the driver ring is empty, -1 when the
 * queue is (now) broken (q->error says why). */
int hk_virtq_pop(struct hk_virtq *q, struct hk_virtq_elem *e);
/* Gives a chain back with the number of bytes the device wrote into its writable buffers. */
void hk_virtq_push(struct hk_virtq *q, uint16_t head, uint32_t written);
/* After one or more pushes: true when the driver wants an interrupt now (honours NO_INTERRUPT or,
 * with EVENT_IDX, used_event). */
bool hk_virtq_should_notify(struct hk_virtq *q);
/* Asks the driver not to notify while the device is busy (or to notify again). With EVENT_IDX this
 * publishes avail_event instead: a doorbell for the first entry beyond the ones the last pop saw.
 */
void hk_virtq_set_notify(struct hk_virtq *q, bool enable);
/* True when the driver ring has entries the device has not popped. */
bool hk_virtq_has_work(struct hk_virtq *q);
/* True when the driver added entries after the last pop looked (which found too few or none). */
bool hk_virtq_grew(struct hk_virtq *q);
/* Takes back the last n pops: those entries are popped again later. */
void hk_virtq_unpop(struct hk_virtq *q, uint16_t n);

/* iovec helpers for devices that parse requests with arbitrary framing. */
/* Copies up to len bytes starting at byte offset off of the iovec list into buf; returns bytes. */
size_t hk_iov_to_buf(const struct iovec *iov, unsigned n, size_t off, void *buf, size_t len);
/* Copies len bytes of buf into the iovec list at byte offset off; returns bytes copied. */
size_t hk_iov_from_buf(const struct iovec *iov, unsigned n, size_t off, const void *buf,
                       size_t len);
/* Builds in out[] (at most max entries) the part of iov[] from byte off, at most len bytes long.
 * Returns the number of entries; *got receives the bytes covered. */
unsigned hk_iov_slice(const struct iovec *iov, unsigned n, size_t off, size_t len,
                      struct iovec *out, unsigned max, size_t *got);
/* Fills len bytes at byte offset off with zeros. */
size_t hk_iov_memset(const struct iovec *iov, unsigned n, size_t off, int c, size_t len);

#endif
