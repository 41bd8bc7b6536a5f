#include "blk.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "hako/bytes.h"
#include "../core/vm.h"

#define SECTOR        512ull
#define CFG_WRITEBACK 0x20

/* Whether a completed write may stay in the host's cache until the driver flushes. */
static bool write_back(struct hk_virtio_blk *b)
{
    if (!hk_virtio_has_feature(&b->t, HK_BLK_F_FLUSH))
        return false;
    return !hk_virtio_has_feature(&b->t, HK_BLK_F_CONFIG_WCE) ||
           __atomic_load_n(&b->writeback, __ATOMIC_RELAXED);
}

static int default_sync(struct hk_virtio_blk *b)
{
    return fdatasync(b->file.fd);
}

/* [sector, sector + count) inside the disk, without overflow */
static bool in_range(const struct hk_virtio_blk *b, uint64_t sector, uint64_t count)
{
    return sector <= b->capacity && count <= b->capacity - sector;
}

/* preadv/pwritev until done (short transfers and EINTR are retried). */
static int rw_all(int fd, struct iovec *iov, unsigned n, uint64_t off, bool write)
{
    while (n > 0) {
        ssize_t r = write ? pwritev(fd, iov, (int)(n > IOV_MAX ? IOV_MAX : n), (off_t)off)
                          : preadv(fd, iov, (int)(n > IOV_MAX ? IOV_MAX : n), (off_t)off);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (r == 0) {
            if (write)
                return -1;
            /* past the end of a file that shrank under us: the rest reads as zeros */
            for (unsigned i = 0; i < n; i++)
                memset(iov[i].iov_base, 0, iov[i].iov_len);
            return 0;
        }
        off += (uint64_t)r;
        size_t done = (size_t)r;
        while (n > 0 && done >= iov[0].iov_len) {
            done -= iov[0].iov_len;
            iov++;
            n--;
        }
        if (n > 0 && done) {
            iov[0].iov_base = (uint8_t *)iov[0].iov_base + done;
            iov[0].iov_len -= done;
        }
    }
    return 0;
}

static int write_zeroes_slow(struct hk_virtio_blk *b, uint64_t off, uint64_t len)
{
    static const uint8_t zeros[65536];
    while (len > 0) {
        size_t n = len < sizeof(zeros) ? (size_t)len : sizeof(zeros);
        ssize_t r = pwrite(b->file.fd, zeros, n, (off_t)off);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        off += (uint64_t)r;
        len -= (uint64_t)r;
    }
    return 0;
}

/* Discard / write zeroes of [off, off+len): a hole in a file, BLKDISCARD/BLKZEROOUT on a device. */
static int punch(struct hk_virtio_blk *b, uint64_t off, uint64_t len, bool zeroes)
{
    if (b->file.blockdev) {
        uint64_t range[2] = {off, len};
        if (ioctl(b->file.fd, zeroes ? BLKZEROOUT : BLKDISCARD, range) == 0)
            return 0;
        return zeroes ? write_zeroes_slow(b, off, len) : 0;
    }
    if (fallocate(b->file.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len) ==
        0)
        return 0;
    if (errno != EOPNOTSUPP && errno != ENOSYS)
        return -1;
    /* no holes on this file system: discard is only a hint, write zeroes must still zero */
    return zeroes ? write_zeroes_slow(b, off, len) : 0;
}

static uint8_t do_discard(struct hk_virtio_blk *b, struct hk_virtq_elem *e, bool zeroes)
{
    uint64_t f = zeroes ? HK_BLK_F_WRITE_ZEROES : HK_BLK_F_DISCARD;
    if (!hk_virtio_has_feature(&b->t, f))
        return HK_BLK_S_UNSUPP;
    if (b->readonly)
        return HK_BLK_S_IOERR;
    uint64_t plen = e->out_len - 16;
    if (plen == 0 || plen % 16 || plen / 16 > 1)
        return HK_BLK_S_UNSUPP; /* max_discard_seg / max_write_zeroes_seg = 1 */
    uint8_t seg[16];
    hk_iov_to_buf(e->iov, e->nout, 16, seg, 16);
    uint64_t sector = hk_get_le(seg, 8);
    uint32_t count = (uint32_t)hk_get_le(seg + 8, 4);
    uint32_t flags = (uint32_t)hk_get_le(seg + 12, 4);
    if (flags & ~1u)
        return HK_BLK_S_UNSUPP;
    if (!zeroes && (flags & 1))
        return HK_BLK_S_UNSUPP; /* the unmap flag is for write zeroes only */
    if (count > HK_BLK_MAX_DISCARD_SECTORS || !in_range(b, sector, count))
        return HK_BLK_S_IOERR;
    if (count && punch(b, sector * SECTOR, count * SECTOR, zeroes) < 0)
        return HK_BLK_S_IOERR;
    b->discards++;
    if (zeroes && !hk_virtio_has_feature(&b->t, HK_BLK_F_FLUSH) && b->sync(b) < 0)
        return HK_BLK_S_IOERR;
    return HK_BLK_S_OK;
}

/* Executes one request; returns the status and sets *data_in to the bytes written before it. */
static uint8_t handle(struct hk_virtio_blk *b, struct hk_virtq_elem *e, uint32_t *data_in)
{
    uint8_t hdr[16];
    hk_iov_to_buf(e->iov, e->nout, 0, hdr, 16);
    uint32_t type = (uint32_t)hk_get_le(hdr, 4);
    uint64_t sector = hk_get_le(hdr + 8, 8);
    struct iovec *in = e->iov + e->nout;
    uint64_t in_len = e->in_len - 1; /* the status byte is the last writable byte */
    *data_in = 0;

    switch (type) {
    case HK_BLK_T_IN: {
        if (in_len % SECTOR || !in_range(b, sector, in_len / SECTOR))
            return HK_BLK_S_IOERR;
        if (!b->boot_read_seen && sector == 0 && in_len) {
            b->boot_read_seen = true;
            hk_fact(&b->vm->facts, HK_FACT_BOOT_READ, 0, b->t.pci.devfn, 0,
                    "%s %02x.%x: boot sector (LBA 0) of %s", b->t.name, b->t.pci.devfn >> 3,
                    b->t.pci.devfn & 7, b->file.path);
        }
        struct iovec v[HK_VIRTQ_MAX_SEGS];
        size_t got;
        unsigned n = hk_iov_slice(in, e->nin, 0, (size_t)in_len, v, HK_VIRTQ_MAX_SEGS, &got);
        if (rw_all(b->file.fd, v, n, sector * SECTOR, false) < 0)
            return HK_BLK_S_IOERR;
        b->reads++;
        *data_in = in_len < UINT32_MAX ? (uint32_t)in_len : UINT32_MAX - 1; /* used.len is 32-bit */
        return HK_BLK_S_OK;
    }
    case HK_BLK_T_OUT: {
        uint64_t len = e->out_len - 16;
        if (b->readonly)
            return HK_BLK_S_IOERR;
        if (len % SECTOR || !in_range(b, sector, len / SECTOR))
            return HK_BLK_S_IOERR;
        struct iovec v[HK_VIRTQ_MAX_SEGS];
        size_t got;
        unsigned n = hk_iov_slice(e->iov, e->nout, 16, (size_t)len, v, HK_VIRTQ_MAX_SEGS, &got);
        if (rw_all(b->file.fd, v, n, sector * SECTOR, true) < 0)
            return HK_BLK_S_IOERR;
        b->writes++;
        /* write-through unless the driver manages the cache with flushes */
        if (!write_back(b) && b->sync(b) < 0)
            return HK_BLK_S_IOERR;
        return HK_BLK_S_OK;
    }
    case HK_BLK_T_FLUSH:
        b->flushes++;
        /* every earlier write on this queue has completed: one sync makes them all durable, and
         * the status is written only after it returned */
        return b->sync(b) < 0 ? HK_BLK_S_IOERR : HK_BLK_S_OK;
    case HK_BLK_T_GET_ID: {
        size_t n = in_len < HK_BLK_ID_BYTES ? (size_t)in_len : HK_BLK_ID_BYTES;
        uint8_t id[HK_BLK_ID_BYTES];
        memset(id, 0, sizeof(id));
        memcpy(id, b->serial, strlen(b->serial));
        *data_in = (uint32_t)hk_iov_from_buf(in, e->nin, 0, id, n);
        return HK_BLK_S_OK;
    }
    case HK_BLK_T_DISCARD: return do_discard(b, e, false);
    case HK_BLK_T_WRITE_ZEROES: return do_discard(b, e, true);
    default: return HK_BLK_S_UNSUPP;
    }
}

static void blk_process(void *opaque, unsigned qi)
{
    struct hk_virtio_blk *b = opaque;
    struct hk_virtq_elem *e = b->elem;
    while (hk_virtio_pop(&b->t, qi, e) == 1) {
        if (e->out_len < 16 || e->in_len < 1) {
            /* no header or no status byte: nothing can be reported to the driver */
            hk_virtio_fail(&b->t, qi,
                           e->out_len < 16 ? "request without a header"
                                           : "request without a "
                                             "status byte");
            return;
        }
        uint32_t data_in = 0;
        uint8_t status = handle(b, e, &data_in);
        if (status != HK_BLK_S_OK)
            b->errors++;
        hk_iov_from_buf(e->iov + e->nout, e->nin, e->in_len - 1, &status, 1);
        hk_virtio_push(&b->t, qi, e->head, data_in + 1);
        if (!hk_virtio_checkpoint(&b->t))
            return;
    }
}

static uint64_t blk_cfg_read(void *opaque, unsigned off, unsigned size)
{
    struct hk_virtio_blk *b = opaque;
    if (off <= CFG_WRITEBACK && off + size > CFG_WRITEBACK) {
        uint8_t c[8];
        memcpy(c, b->cfg + off, size);
        c[CFG_WRITEBACK - off] = __atomic_load_n(&b->writeback, __ATOMIC_RELAXED);
        return hk_get_le(c, size);
    }
    return hk_get_le(b->cfg + off, size);
}

static void blk_cfg_write(void *opaque, unsigned off, uint64_t val, unsigned size)
{
    /* only writeback (CONFIG_WCE) is writable: 0 write-through, 1 write-back */
    struct hk_virtio_blk *b = opaque;
    if (off <= CFG_WRITEBACK && off + size > CFG_WRITEBACK && !b->readonly)
        __atomic_store_n(&b->writeback, (uint8_t)((val >> (8 * (CFG_WRITEBACK - off))) & 1),
                         __ATOMIC_RELAXED);
}

static void blk_reset(void *opaque)
{
    struct hk_virtio_blk *b = opaque;
    b->boot_read_seen = false;
    __atomic_store_n(&b->writeback, 1, __ATOMIC_RELAXED);
}

static const struct hk_virtio_ops blk_ops = {
    .cfg_read = blk_cfg_read,
    .cfg_write = blk_cfg_write,
    .process = blk_process,
    .reset = blk_reset,
};

int hk_virtio_blk_init(struct hk_virtio_blk *b, struct hk_vm *vm, struct hk_disk_file *file)
{
    memset(b, 0, sizeof(*b));
    b->vm = vm;
    b->file = *file;
    file->fd = -1;
    file->path = NULL;
    b->readonly = b->file.readonly;
    b->capacity = b->file.size / SECTOR;
    b->sync = default_sync;
    b->elem = malloc(sizeof(*b->elem));
    if (!b->elem)
        goto fail;
    if (b->file.size % SECTOR)
        hk_warn(vm->log,
                "disk image %s: the last %llu bytes (not a whole 512-byte sector) are "
                "not visible to the guest",
                b->file.path, (unsigned long long)(b->file.size % SECTOR));
    /* a stable serial for GET_ID: FNV-1a over the image's device and inode */
    uint64_t h = 0xcbf29ce484222325ull;
    uint64_t key[2] = {(uint64_t)b->file.dev, (uint64_t)b->file.ino};
    for (unsigned i = 0; i < sizeof(key); i++) {
        h ^= ((const uint8_t *)key)[i];
        h *= 0x100000001b3ull;
    }
    snprintf(b->serial, sizeof(b->serial), "HAKO%016llx", (unsigned long long)h);

    uint8_t *c = b->cfg;
    hk_put_le(c + 0x00, b->capacity, 8);
    hk_put_le(c + 0x0C, HK_BLK_QUEUE_SIZE - 2, 4); /* seg_max */
    uint64_t cyl = b->capacity / (16 * 63);
    hk_put_le(c + 0x10, cyl < 2 ? 2 : cyl > 16383 ? 16383 : cyl, 2); /* geometry: cylinders */
    c[0x12] = 16;                                                    /* heads */
    c[0x13] = 63;                                                    /* sectors */
    hk_put_le(c + 0x14, 512, 4);                                     /* blk_size */
    hk_put_le(c + 0x18, 3, 1);                                       /* 4 KiB physical blocks */
    hk_put_le(c + 0x1A, 8, 2); /* min_io_size, in logical blocks */
    hk_put_le(c + 0x22, 1, 2); /* num_queues */
    hk_put_le(c + 0x24, HK_BLK_MAX_DISCARD_SECTORS, 4);
    hk_put_le(c + 0x28, 1, 4); /* max_discard_seg */
    hk_put_le(c + 0x2C, 8, 4); /* discard_sector_alignment */
    hk_put_le(c + 0x30, HK_BLK_MAX_DISCARD_SECTORS, 4);
    hk_put_le(c + 0x34, 1, 4); /* max_write_zeroes_seg */
    c[0x38] = 1;               /* write_zeroes_may_unmap */

    b->writeback = 1;
    uint64_t features = HK_BLK_F_SEG_MAX | HK_BLK_F_GEOMETRY | HK_BLK_F_BLK_SIZE | HK_BLK_F_FLUSH |
                        HK_BLK_F_CONFIG_WCE | HK_VIRTIO_F_INDIRECT_DESC | HK_VIRTIO_F_EVENT_IDX |
                        HK_BLK_F_TOPOLOGY;
    if (b->readonly)
        features |= HK_BLK_F_RO;
    else
        features |= HK_BLK_F_DISCARD | HK_BLK_F_WRITE_ZEROES;
    uint16_t qs = HK_BLK_QUEUE_SIZE;
    if (hk_virtio_pci_init(&b->t, vm, "virtio-blk", 2, 0x010000, features, HK_BLK_CFG_SIZE, 1, &qs,
                           &blk_ops, b) < 0)
        goto fail;
    return 0;
fail:
    hk_err(vm->log, "cannot set up virtio-blk for %s", b->file.path ? b->file.path : "?");
    hk_virtio_pci_destroy(&b->t);
    hk_disk_close(&b->file);
    free(b->elem);
    b->elem = NULL;
    return -1;
}

int hk_virtio_blk_register(struct hk_virtio_blk *b, struct hk_pci_host *host, uint8_t devfn)
{
    return hk_virtio_pci_register(&b->t, host, devfn);
}

void hk_virtio_blk_destroy(struct hk_virtio_blk *b)
{
    hk_virtio_pci_destroy(&b->t);
    hk_disk_close(&b->file);
    free(b->elem);
    b->elem = NULL;
}
