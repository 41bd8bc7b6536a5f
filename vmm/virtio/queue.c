#include "queue.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../core/mem.h"

/* The driver changes the rings concurrently: loads and stores that publish or consume an index are
 * atomic, and descriptors are copied once (the compiler barrier keeps it from re-reading guest
 * memory instead of the copy). */
#define barrier() __asm__ __volatile__("" ::: "memory")

static uint16_t load16(const uint16_t *p)
{
    return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static void read_desc(const struct hk_vring_desc *table, unsigned i, struct hk_vring_desc *out)
{
    memcpy(out, &table[i], sizeof(*out));
    barrier();
}

void hk_virtq_init(struct hk_virtq *q, struct hk_mem *mem)
{
    memset(q, 0, sizeof(*q));
    q->mem = mem;
}

static int fail(struct hk_virtq *q, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct hk_virtq *q, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(q->error, sizeof(q->error), fmt, ap);
    va_end(ap);
    q->broken = true;
    return -1;
}

int hk_virtq_start(struct hk_virtq *q, uint16_t size, uint64_t desc, uint64_t avail, uint64_t used,
                   bool event_idx)
{
    struct hk_mem *mem = q->mem;
    hk_virtq_init(q, mem);
    q->event_idx = event_idx;
    if (size == 0 || size > HK_VIRTQ_MAX_SIZE || (size & (size - 1)))
        return fail(q, "queue size %u is not a power of two up to %u", size, HK_VIRTQ_MAX_SIZE);
    if ((desc & 15) || (avail & 1) || (used & 3))
        return fail(q, "misaligned ring (descriptors 0x%llx, driver 0x%llx, device 0x%llx)",
                    (unsigned long long)desc, (unsigned long long)avail, (unsigned long long)used);
    q->size = size;
    q->desc_gpa = desc;
    q->avail_gpa = avail;
    q->used_gpa = used;
    q->desc = hk_mem_ptr(mem, desc, 16ull * size, false);
    q->avail = hk_mem_ptr(mem, avail, 6ull + 2ull * size, false);
    q->used = hk_mem_ptr(mem, used, 6ull + 8ull * size, true);
    if (!q->desc || !q->avail || !q->used)
        return fail(q, "ring outside guest RAM (descriptors 0x%llx, driver 0x%llx, device 0x%llx)",
                    (unsigned long long)desc, (unsigned long long)avail, (unsigned long long)used);
    /* both rings start at index 0 (the driver zeroed them) */
    q->used_idx = 0;
    q->last_avail = 0;
    q->ready = true;
    return 0;
}

void hk_virtq_stop(struct hk_virtq *q)
{
    struct hk_mem *mem = q->mem;
    hk_virtq_init(q, mem);
}

bool hk_virtq_has_work(struct hk_virtq *q)
{
    if (!q->ready || q->broken)
        return false;
    return __atomic_load_n(&q->avail->idx, __ATOMIC_ACQUIRE) != q->last_avail;
}

bool hk_virtq_grew(struct hk_virtq *q)
{
    if (!q->ready || q->broken)
        return false;
    return __atomic_load_n(&q->avail->idx, __ATOMIC_ACQUIRE) != q->seen_avail;
}

void hk_virtq_unpop(struct hk_virtq *q, uint16_t n)
{
    if (q->ready && !q->broken && n <= q->size)
        q->last_avail = (uint16_t)(q->last_avail - n);
}

int hk_virtq_pop(struct hk_virtq *q, struct hk_virtq_elem *e)
{
    if (q->broken)
        return -1;
    if (!q->ready)
        return 0;
    uint16_t avail_idx = __atomic_load_n(&q->avail->idx, __ATOMIC_ACQUIRE);
    q->seen_avail = avail_idx;
    uint16_t pending = (uint16_t)(avail_idx - q->last_avail);
    if (pending == 0)
        return 0;
    if (pending > q->size)
        return fail(q, "driver ring index moved by %u entries in a queue of %u", pending, q->size);
    uint16_t head = load16(&q->avail->ring[q->last_avail & (q->size - 1)]);
    if (head >= q->size)
        return fail(q, "chain head %u outside a queue of %u", head, q->size);

    e->head = head;
    e->nout = e->nin = 0;
    e->out_len = e->in_len = 0;
    const struct hk_vring_desc *table = q->desc;
    unsigned table_size = q->size, max = q->size, count = 0;
    struct hk_vring_desc d;
    read_desc(table, head, &d);
    if (d.flags & HK_VIRTQ_DESC_F_INDIRECT) {
        if (d.flags & HK_VIRTQ_DESC_F_NEXT)
            return fail(q, "indirect descriptor %u also has NEXT", head);
        if (d.len == 0 || (d.len % 16) || d.len / 16 > HK_VIRTQ_MAX_SEGS)
            return fail(q, "indirect table of %u bytes (a multiple of 16 up to %u entries)", d.len,
                        HK_VIRTQ_MAX_SEGS);
        table = hk_mem_ptr(q->mem, d.addr, d.len, false);
        if (!table)
            return fail(q, "indirect table at 0x%llx+%u outside guest RAM",
                        (unsigned long long)d.addr, d.len);
        table_size = max = d.len / 16;
        read_desc(table, 0, &d);
    }
    for (;;) {
        if (++count > max)
            return fail(q, "descriptor chain from %u longer than %u (a loop?)", head, max);
        if (d.flags & HK_VIRTQ_DESC_F_INDIRECT)
            return fail(q, "indirect descriptor inside a chain (from %u)", head);
        if (d.len) {
            bool w = d.flags & HK_VIRTQ_DESC_F_WRITE;
            if (!w && e->nin)
                return fail(q, "readable buffer after a writable one (chain from %u)", head);
            void *p = hk_mem_ptr(q->mem, d.addr, d.len, w);
            if (!p)
                return fail(q, "%s buffer 0x%llx+%u outside guest RAM (chain from %u)",
                            w ? "writable" : "readable", (unsigned long long)d.addr, d.len, head);
            struct iovec *v = &e->iov[e->nout + e->nin];
            v->iov_base = p;
            v->iov_len = d.len;
            if (w) {
                e->nin++;
                e->in_len += d.len;
            } else {
                e->nout++;
                e->out_len += d.len;
            }
        }
        if (!(d.flags & HK_VIRTQ_DESC_F_NEXT))
            break;
        if (d.next >= table_size)
            return fail(q, "descriptor %u points to %u outside its table of %u", head, d.next,
                        table_size);
        read_desc(table, d.next, &d);
    }
    q->last_avail++;
    return 1;
}

void hk_virtq_push(struct hk_virtq *q, uint16_t head, uint32_t written)
{
    if (!q->ready || q->broken)
        return;
    struct hk_vring_used_elem *u = &q->used->ring[q->used_idx & (q->size - 1)];
    __atomic_store_n(&u->id, (uint32_t)head, __ATOMIC_RELAXED);
    __atomic_store_n(&u->len, written, __ATOMIC_RELAXED);
    q->used_idx++;
    __atomic_store_n(&q->used->idx, q->used_idx, __ATOMIC_RELEASE);
}

bool hk_virtq_should_notify(struct hk_virtq *q)
{
    if (!q->ready)
        return false;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (!q->event_idx)
        return !(load16(&q->avail->flags) & HK_VIRTQ_AVAIL_F_NO_INTERRUPT);
    uint16_t old = q->signalled_used, now = q->used_idx;
    bool valid = q->signalled_valid;
    q->signalled_used = now;
    q->signalled_valid = true;
    if (!valid)
        return true;
    uint16_t used_event = load16(&q->avail->ring[q->size]);
    /* vring_need_event: the driver asked for an interrupt once used passes used_event */
    return (uint16_t)(now - used_event - 1) < (uint16_t)(now - old);
}

void hk_virtq_set_notify(struct hk_virtq *q, bool enable)
{
    if (!q->ready || q->broken)
        return;
    if (q->event_idx) {
        /* the driver kicks when it adds the entry avail_event names: leaving it behind
         * suppresses doorbells, moving it to the next entry asks for one */
        if (enable) {
            uint16_t *avail_event = (uint16_t *)&q->used->ring[q->size];
            uint16_t at = (uint16_t)(q->seen_avail - q->last_avail) <= q->size ? q->seen_avail
                                                                               : q->last_avail;
            __atomic_store_n(avail_event, at, __ATOMIC_RELAXED);
        }
    } else {
        __atomic_store_n(&q->used->flags, (uint16_t)(enable ? 0 : HK_VIRTQ_USED_F_NO_NOTIFY),
                         __ATOMIC_RELAXED);
    }
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* Copies between the byte range [off, off + len) of an iovec list and a flat buffer, or fills
 * that range: the one walk behind the three hk_iov_* copies. Returns the bytes done. */
enum iov_op { IOV_TO_BUF, IOV_FROM_BUF, IOV_FILL };

static size_t iov_walk(const struct iovec *iov, unsigned n, size_t off, size_t len, enum iov_op op,
                       uint8_t *buf, int c)
{
    size_t done = 0;
    for (unsigned i = 0; i < n && done < len; i++) {
        if (off >= iov[i].iov_len) {
            off -= iov[i].iov_len;
            continue;
        }
        size_t k = iov[i].iov_len - off;
        if (k > len - done)
            k = len - done;
        uint8_t *seg = (uint8_t *)iov[i].iov_base + off;
        switch (op) {
        case IOV_TO_BUF: memcpy(buf + done, seg, k); break;
        case IOV_FROM_BUF: memcpy(seg, buf + done, k); break;
        case IOV_FILL: memset(seg, c, k); break;
        }
        done += k;
        off = 0;
    }
    return done;
}

size_t hk_iov_to_buf(const struct iovec *iov, unsigned n, size_t off, void *buf, size_t len)
{
    size_t done = iov_walk(iov, n, off, len, IOV_TO_BUF, buf, 0);
    barrier();
    return done;
}

size_t hk_iov_from_buf(const struct iovec *iov, unsigned n, size_t off, const void *buf, size_t len)
{
    return iov_walk(iov, n, off, len, IOV_FROM_BUF, (uint8_t *)(uintptr_t)buf, 0);
}

size_t hk_iov_memset(const struct iovec *iov, unsigned n, size_t off, int c, size_t len)
{
    return iov_walk(iov, n, off, len, IOV_FILL, NULL, c);
}

unsigned hk_iov_slice(const struct iovec *iov, unsigned n, size_t off, size_t len,
                      struct iovec *out, unsigned max, size_t *got)
{
    unsigned k = 0;
    size_t done = 0;
    for (unsigned i = 0; i < n && done < len && k < max; i++) {
        if (off >= iov[i].iov_len) {
            off -= iov[i].iov_len;
            continue;
        }
        size_t m = iov[i].iov_len - off;
        if (m > len - done)
            m = len - done;
        out[k].iov_base = (uint8_t *)iov[i].iov_base + off;
        out[k].iov_len = m;
        k++;
        done += m;
        off = 0;
    }
    if (got)
        *got = done;
    return k;
}
