/* Fuzz target: the split virtqueue parser against arbitrary guest memory. The input picks the
 * queue size, the ring placement (usually valid, sometimes not) and EVENT_IDX, and is copied over
 * guest RAM (two regions with a hole between them), so descriptors, indirect tables and both ring
 * indices are hostile. Every chain popped must lie inside guest RAM; the device writes into its
 * writable buffers (ASan checks the pointers) and pushes it back. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "virtio/queue.h"

#define LOW_SIZE  0x10000u
#define HIGH_BASE 0x20000u
#define HIGH_SIZE 0x8000u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int inside(const uint8_t *p, size_t len, const uint8_t *base, size_t rlen)
{
    return p >= base && len <= rlen && (size_t)(p - base) <= rlen - len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    uint8_t *low = calloc(1, LOW_SIZE), *high = calloc(1, HIGH_SIZE);
    struct hk_mem mem;
    hk_mem_init(&mem);
    hk_mem_add(&mem, 0, LOW_SIZE, low, 0, -1, "low");
    hk_mem_add(&mem, HIGH_BASE, HIGH_SIZE, high, 0, -1, "high");
    uint16_t qsize = (uint16_t)(1u << (data[0] % 10));
    bool event_idx = data[1] & 1;
    uint64_t desc = 0x0000, avail = 0x4000, used = 0x6000;
    if (data[1] & 0x80) { /* a placement from the input: often invalid */
        desc = (uint64_t)data[2] << 12 | (data[3] & 0x30);
        avail = (uint64_t)data[3] << 9;
        used = (uint64_t)data[2] << 10 | (data[1] & 6);
    }
    size_t body = size - 4;
    memcpy(low, data + 4, body < LOW_SIZE ? body : LOW_SIZE);
    if (body > LOW_SIZE)
        memcpy(high, data + 4 + LOW_SIZE,
               body - LOW_SIZE < HIGH_SIZE ? body - LOW_SIZE : HIGH_SIZE);

    struct hk_virtq q;
    hk_virtq_init(&q, &mem);
    struct hk_virtq_elem *e = malloc(sizeof(*e));
    if (hk_virtq_start(&q, qsize, desc, avail, used, event_idx) == 0) {
        /* the driver "moved" its index: take it from the input as well */
        for (unsigned round = 0; round < 2u * qsize + 4; round++) {
            int r = hk_virtq_pop(&q, e);
            if (r <= 0)
                break;
            uint64_t out = 0, in = 0;
            if (e->nout + e->nin > HK_VIRTQ_MAX_SEGS)
                abort();
            for (unsigned i = 0; i < e->nout + e->nin; i++) {
                const uint8_t *p = e->iov[i].iov_base;
                size_t l = e->iov[i].iov_len;
                if (!inside(p, l, low, LOW_SIZE) && !inside(p, l, high, HIGH_SIZE))
                    abort();
                if (i < e->nout)
                    out += l;
                else
                    in += l;
            }
            if (out != e->out_len || in != e->in_len)
                abort();
            hk_iov_memset(e->iov + e->nout, e->nin, 0, 0x5A, (size_t)e->in_len);
            hk_virtq_push(&q, e->head, (uint32_t)e->in_len);
            hk_virtq_should_notify(&q);
            hk_virtq_set_notify(&q, round & 1);
            hk_virtq_has_work(&q);
        }
    }
    free(e);
    hk_mem_destroy(&mem);
    free(low);
    free(high);
    return 0;
}
