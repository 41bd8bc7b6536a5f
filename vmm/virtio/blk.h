/*
 * virtio-blk (VIRTIO 1.1 §5.2 "Block Device"): PCI 1af4:1042 over the modern transport, one request
 * queue, backed by a raw image file (or block device) with 512-byte sectors; capacity = file size /
 * 512. Requests: IN/OUT (preadv/pwritev straight into the guest's buffers), FLUSH (fdatasync: the
 * completion is written only after the data is durable), GET_ID (a serial derived from the image's
 * device and inode), DISCARD and WRITE_ZEROES (holes punched with fallocate, or BLKDISCARD /
 * BLKZEROOUT on a block device), read-only mode (VIRTIO_BLK_F_RO; writes fail with IOERR).
 *
 * Cache semantics: with VIRTIO_BLK_F_FLUSH negotiated the image is a write-back cache the driver
 * flushes; without it (SeaBIOS, old drivers) every write is made durable before it completes, and
 * so when the driver turned the cache off (VIRTIO_BLK_F_CONFIG_WCE, writeback = 0). The legacy
 * geometry (VIRTIO_BLK_F_GEOMETRY) is the one QEMU guesses for a disk without a partition table:
 * 16 heads, 63 sectors, capacity / 1008 cylinders (2-16383).
 * Requests on a queue are executed in order on the device's worker thread, so a flush covers every
 * write completed before it.
 */
#ifndef HK_VIRTIO_BLK_H
#define HK_VIRTIO_BLK_H

#include <stdbool.h>
#include <stdint.h>

#include "../block/disk.h"
#include "pci.h"

#define HK_BLK_QUEUE_SIZE 256
#define HK_BLK_CFG_SIZE   0x3C
#define HK_BLK_ID_BYTES   20

/* feature bits (§5.2.3) */
#define HK_BLK_F_SIZE_MAX     (1ull << 1)
#define HK_BLK_F_SEG_MAX      (1ull << 2)
#define HK_BLK_F_GEOMETRY     (1ull << 4)
#define HK_BLK_F_RO           (1ull << 5)
#define HK_BLK_F_BLK_SIZE     (1ull << 6)
#define HK_BLK_F_FLUSH        (1ull << 9)
#define HK_BLK_F_TOPOLOGY     (1ull << 10)
#define HK_BLK_F_CONFIG_WCE   (1ull << 11)
#define HK_BLK_F_DISCARD      (1ull << 13)
#define HK_BLK_F_WRITE_ZEROES (1ull << 14)

/* request types and status (§5.2.6) */
#define HK_BLK_T_IN           0
#define HK_BLK_T_OUT          1
#define HK_BLK_T_FLUSH        4
#define HK_BLK_T_GET_ID       8
#define HK_BLK_T_DISCARD      11
#define HK_BLK_T_WRITE_ZEROES 13
#define HK_BLK_S_OK           0
#define HK_BLK_S_IOERR        1
#define HK_BLK_S_UNSUPP       2

#define HK_BLK_MAX_DISCARD_SECTORS 0x3FFFFF

struct hk_virtio_blk;

/* Makes written data durable (default: fdatasync). Tests replace it to watch the ordering. */
typedef int (*hk_blk_sync_fn)(struct hk_virtio_blk *b);

struct hk_virtio_blk {
    struct hk_virtio_pci t;
    struct hk_vm *vm;
    struct hk_disk_file file;
    uint64_t capacity; /* 512-byte sectors */
    bool readonly;
    uint8_t writeback; /* CONFIG_WCE: 1 write-back (the default), 0 write-through */
    char serial[HK_BLK_ID_BYTES + 1];
    uint8_t cfg[HK_BLK_CFG_SIZE];
    hk_blk_sync_fn sync;
    void *sync_opaque;
    bool boot_read_seen; /* worker thread only */
    struct hk_virtq_elem *elem;
    /* statistics (worker thread) */
    uint64_t reads, writes, flushes, discards, errors;
};

/* Takes ownership of file (closed on failure too). Returns 0 or -1. */
int hk_virtio_blk_init(struct hk_virtio_blk *b, struct hk_vm *vm, struct hk_disk_file *file);
int hk_virtio_blk_register(struct hk_virtio_blk *b, struct hk_pci_host *host, uint8_t devfn);
void hk_virtio_blk_destroy(struct hk_virtio_blk *b);

#endif
