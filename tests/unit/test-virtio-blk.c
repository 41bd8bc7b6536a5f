/* virtio-blk through the modern PCI transport, driven like a guest driver would: capabilities in
 * config space, BAR4 programmed on the PCI host, feature negotiation, queue set-up, requests on the
 * ring, doorbells on the notify BAR (no KVM here: the MMIO handler signals the eventfd),
 * completions with INTx/ISR or MSI-X. Covers read, write, flush (durable before completion,
 * ordering with earlier writes, errors), write-through without FLUSH, GET_ID, discard/write zeroes
 * (holes), read-only images, range checks, malformed requests (device error, reset, recovery), the
 * PCI configuration access window, and the worker thread. */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "fakevm.h"

#include "core/pci.h"
#include "virtio/blk.h"

#define RAM      (4u << 20)
#define BAR      0xE0000000ull
#define MSIX_BAR 0xE0010000ull
#define DEVFN    0x20
#define DESC     0x1000u
#define AVAIL    0x3000u
#define USED     0x4000u
#define HDRS     0x10000u
#define DATA     0x20000u
#define IMG_SIZE (1u << 20)

struct env {
    struct fakevm f;
    struct hk_pci_host host;
    struct hk_virtio_blk b;
    char path[64];
    uint16_t avail_idx, next_desc;
    /* flush-ordering probe */
    unsigned syncs;
    int sync_result;
    uint16_t used_at_sync[8];
    uint8_t sector10_at_sync;
};

static uint64_t rd(struct env *e, uint64_t off, unsigned size)
{
    uint64_t v = 0;
    hk_bus_read(&e->f.vm.mmio, BAR + off, size, &v);
    return v;
}

static void wr(struct env *e, uint64_t off, unsigned size, uint64_t v)
{
    hk_bus_write(&e->f.vm.mmio, BAR + off, size, v);
}

static struct hk_vring_used *used(struct env *e)
{
    return (struct hk_vring_used *)(e->f.ram + USED);
}

static int probe_sync(struct hk_virtio_blk *b)
{
    struct env *e = b->sync_opaque;
    if (e->syncs < 8)
        e->used_at_sync[e->syncs] = used(e)->idx;
    e->syncs++;
    uint8_t c = 0;
    if (pread(b->file.fd, &c, 1, 10 * 512) != 1)
        c = 0xEE;
    e->sector10_at_sync = c;
    if (e->sync_result == 0)
        return fdatasync(b->file.fd);
    return e->sync_result;
}

static void make_image(struct env *e, bool readonly)
{
    snprintf(e->path, sizeof(e->path), "/tmp/hako-test-blk-XXXXXX");
    int fd = mkstemp(e->path);
    CHECK(fd >= 0);
    uint8_t sec[512];
    for (unsigned s = 0; s < IMG_SIZE / 512; s++) {
        memset(sec, (uint8_t)(s * 7 + 1), sizeof(sec));
        CHECK_EQ(pwrite(fd, sec, 512, (off_t)s * 512), 512);
    }
    close(fd);
    char err[256];
    struct hk_disk_file df;
    CHECK_EQ(hk_disk_open(&df, e->path, HK_DISK_IMAGE, readonly, err, sizeof(err)), 0);
    CHECK_EQ(hk_virtio_blk_init(&e->b, &e->f.vm, &df), 0);
    e->b.sync = probe_sync;
    e->b.sync_opaque = e;
}

/* Finds the vendor capability of a type; returns its config offset. */
static unsigned find_cap(struct env *e, uint8_t type)
{
    unsigned off = hk_pci_cfg_read(&e->host, DEVFN, 0x34, 1);
    for (int n = 0; off && n < 48; n++) {
        if (hk_pci_cfg_read(&e->host, DEVFN, off, 1) == 0x09 &&
            hk_pci_cfg_read(&e->host, DEVFN, off + 3, 1) == type)
            return off;
        off = hk_pci_cfg_read(&e->host, DEVFN, off + 1, 1);
    }
    return 0;
}

static unsigned find_std_cap(struct env *e, uint8_t id)
{
    unsigned off = hk_pci_cfg_read(&e->host, DEVFN, 0x34, 1);
    for (int n = 0; off && n < 48; n++) {
        if (hk_pci_cfg_read(&e->host, DEVFN, off, 1) == id)
            return off;
        off = hk_pci_cfg_read(&e->host, DEVFN, off + 1, 1);
    }
    return 0;
}

static void setup_dev(struct env *e, bool readonly)
{
    memset(e, 0, sizeof(*e));
    fakevm_init(&e->f, RAM);
    hk_pci_host_init(&e->host, &e->f.vm);
    make_image(e, readonly);
    CHECK_EQ(hk_virtio_blk_register(&e->b, &e->host, DEVFN), 0);
    hk_pci_cfg_write(&e->host, DEVFN, 0x20, 4, (uint32_t)BAR);      /* BAR4 */
    hk_pci_cfg_write(&e->host, DEVFN, 0x14, 4, (uint32_t)MSIX_BAR); /* BAR1 */
    hk_pci_cfg_write(&e->host, DEVFN, 0x04, 2, 0x0006);             /* memory + bus master */
}

/* The driver side of §3.1.1: reset, ACK, DRIVER, features, FEATURES_OK, queue 0, DRIVER_OK. */
static bool driver_init(struct env *e, uint64_t want)
{
    wr(e, 0x14, 1, 0);
    wr(e, 0x14, 1, HK_VIRTIO_S_ACKNOWLEDGE | HK_VIRTIO_S_DRIVER);
    wr(e, 0x00, 4, 0);
    uint64_t f = rd(e, 0x04, 4);
    wr(e, 0x00, 4, 1);
    f |= rd(e, 0x04, 4) << 32;
    wr(e, 0x08, 4, 0);
    wr(e, 0x0C, 4, (uint32_t)(f & want));
    wr(e, 0x08, 4, 1);
    wr(e, 0x0C, 4, (uint32_t)((f & want) >> 32));
    wr(e, 0x14, 1, HK_VIRTIO_S_ACKNOWLEDGE | HK_VIRTIO_S_DRIVER | HK_VIRTIO_S_FEATURES_OK);
    if (!(rd(e, 0x14, 1) & HK_VIRTIO_S_FEATURES_OK))
        return false;
    memset(e->f.ram + DESC, 0, USED + 0x1000 - DESC);
    e->avail_idx = 0;
    wr(e, 0x16, 2, 0);
    CHECK_EQ(rd(e, 0x18, 2), HK_BLK_QUEUE_SIZE);
    wr(e, 0x20, 4, DESC);
    wr(e, 0x24, 4, 0);
    wr(e, 0x28, 4, AVAIL);
    wr(e, 0x2C, 4, 0);
    wr(e, 0x30, 4, USED);
    wr(e, 0x34, 4, 0);
    wr(e, 0x1C, 2, 1);
    wr(e, 0x14, 1, 0x0F);
    return true;
}

static void teardown(struct env *e)
{
    hk_virtio_blk_destroy(&e->b);
    hk_pci_host_destroy(&e->host);
    fakevm_destroy(&e->f);
    unlink(e->path);
}

static void set_desc(struct env *e, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
                     uint16_t next)
{
    ((struct hk_vring_desc *)(e->f.ram + DESC))[i] = (struct hk_vring_desc){addr, len, flags, next};
}

/* Queues a header/data/status chain (slot picks the header and descriptors); returns the status
 * byte's guest address. */
static uint32_t queue_req(struct env *e, unsigned slot, uint32_t type, uint64_t sector,
                          uint64_t data, uint32_t len, bool data_in)
{
    uint32_t hdr = HDRS + 32 * slot;
    uint8_t *h = e->f.ram + hdr;
    memset(h, 0, 17);
    memcpy(h, &type, 4);
    memcpy(h + 8, &sector, 8);
    h[16] = 0xAA; /* status byte, overwritten by the device */
    unsigned d = 3 * slot;
    if (len) {
        set_desc(e, d, hdr, 16, HK_VIRTQ_DESC_F_NEXT, (uint16_t)(d + 1));
        set_desc(e, d + 1, data, len,
                 (uint16_t)(HK_VIRTQ_DESC_F_NEXT | (data_in ? HK_VIRTQ_DESC_F_WRITE : 0)),
                 (uint16_t)(d + 2));
        set_desc(e, d + 2, hdr + 16, 1, HK_VIRTQ_DESC_F_WRITE, 0);
    } else {
        set_desc(e, d, hdr, 16, HK_VIRTQ_DESC_F_NEXT, (uint16_t)(d + 2));
        set_desc(e, d + 2, hdr + 16, 1, HK_VIRTQ_DESC_F_WRITE, 0);
    }
    struct hk_vring_avail *av = (struct hk_vring_avail *)(e->f.ram + AVAIL);
    av->ring[e->avail_idx % HK_BLK_QUEUE_SIZE] = (uint16_t)d;
    e->avail_idx++;
    __atomic_store_n(&av->idx, e->avail_idx, __ATOMIC_RELEASE);
    return hdr + 16;
}

static void kick_and_run(struct env *e)
{
    wr(e, HK_VIRTIO_NOTIFY_OFF, 2, 0);
    hk_virtio_pci_poll(&e->b.t);
}

static uint8_t req(struct env *e, uint32_t type, uint64_t sector, uint64_t data, uint32_t len,
                   bool data_in)
{
    uint32_t st = queue_req(e, 0, type, sector, data, len, data_in);
    kick_and_run(e);
    return e->f.ram[st];
}

static const uint64_t ALL = HK_VIRTIO_F_VERSION_1 | HK_BLK_F_FLUSH | HK_BLK_F_BLK_SIZE |
                            HK_BLK_F_SEG_MAX | HK_BLK_F_DISCARD | HK_BLK_F_WRITE_ZEROES |
                            HK_BLK_F_RO | HK_VIRTIO_F_EVENT_IDX | HK_VIRTIO_F_INDIRECT_DESC;

static void test_pci_identity(void)
{
    struct env e;
    setup_dev(&e, false);
    CHECK_EQ(hk_pci_cfg_read(&e.host, DEVFN, 0, 4), 0x10421AF4);
    CHECK_EQ(hk_pci_cfg_read(&e.host, DEVFN, 8, 1), 1); /* revision 1: modern */
    CHECK_EQ(hk_pci_cfg_read(&e.host, DEVFN, 0x2C, 2), 0x1AF4);
    CHECK_EQ(hk_pci_cfg_read(&e.host, DEVFN, 0x3D, 1), 1); /* INTA */
    unsigned common = find_cap(&e, 1), notify = find_cap(&e, 2), isr = find_cap(&e, 3),
             dev = find_cap(&e, 4), pcicfg = find_cap(&e, 5);
    CHECK(common && notify && isr && dev && pcicfg);
    CHECK_EQ(hk_pci_cfg_read(&e.host, DEVFN, common + 4, 1), 4); /* BAR4 */
    CHECK_EQ(hk_pci_cfg_read(&e.host, DEVFN, common + 8, 4), HK_VIRTIO_COMMON_OFF);
    CHECK_EQ(hk_pci_cfg_read(&e.host, DEVFN, notify + 8, 4), HK_VIRTIO_NOTIFY_OFF);
    CHECK_EQ(hk_pci_cfg_read(&e.host, DEVFN, notify + 16, 4), HK_VIRTIO_NOTIFY_MULT);
    CHECK_EQ(hk_pci_cfg_read(&e.host, DEVFN, isr + 8, 4), HK_VIRTIO_ISR_OFF);
    CHECK_EQ(hk_pci_cfg_read(&e.host, DEVFN, dev + 12, 4), 0x1000);
    CHECK(find_std_cap(&e, 0x11) != 0); /* MSI-X */
    /* the layout of QEMU's virtio-pci (found by the conformance replay of SeaBIOS and Linux):
     * MSI-X at 0x98 heads the list, then PCI config access 0x84, notify 0x70, device 0x60, ISR
     * 0x50, common 0x40; BAR4 is 64-bit prefetchable; the command register takes SERR# */
    CHECK_EQ(hk_pci_cfg_read(&e.host, DEVFN, 0x34, 1), 0x98);
    static const uint8_t chain[][2] = {{0x98, 0x11}, {0x84, 0x09}, {0x70, 0x09},
                                       {0x60, 0x09}, {0x50, 0x09}, {0x40, 0x09}};
    for (unsigned i = 0; i < 6; i++) {
        CHECK_EQ(hk_pci_cfg_read(&e.host, DEVFN, chain[i][0], 1), chain[i][1]);
        CHECK_EQ(hk_pci_cfg_read(&e.host, DEVFN, chain[i][0] + 1, 1), i < 5 ? chain[i + 1][0] : 0);
    }
    CHECK_EQ(common, 0x40);
    CHECK_EQ(isr, 0x50);
    CHECK_EQ(dev, 0x60);
    CHECK_EQ(notify, 0x70);
    CHECK_EQ(pcicfg, 0x84);
    CHECK_EQ(hk_pci_cfg_read(&e.host, DEVFN, 0x20, 4) & 0xF, 0xC); /* BAR4: 64-bit, prefetchable */
    hk_pci_cfg_write(&e.host, DEVFN, 0x04, 2, 0x0107);
    CHECK_EQ(hk_pci_cfg_read(&e.host, DEVFN, 0x04, 2), 0x0107);
    /* capacity in the device configuration */
    CHECK_EQ(rd(&e, HK_VIRTIO_DEVCFG_OFF, 4), IMG_SIZE / 512);
    CHECK_EQ(rd(&e, HK_VIRTIO_DEVCFG_OFF + 4, 4), 0);
    CHECK_EQ(rd(&e, HK_VIRTIO_DEVCFG_OFF + 0x14, 4), 512);
    CHECK_EQ(rd(&e, 0x12, 2), 1); /* num_queues */
    /* the configuration access window reaches the same registers */
    hk_pci_cfg_write(&e.host, DEVFN, pcicfg + 4, 1, 4);
    hk_pci_cfg_write(&e.host, DEVFN, pcicfg + 8, 4, HK_VIRTIO_DEVCFG_OFF);
    hk_pci_cfg_write(&e.host, DEVFN, pcicfg + 12, 4, 4);
    CHECK_EQ(hk_pci_cfg_read(&e.host, DEVFN, pcicfg + 16, 4), IMG_SIZE / 512);
    hk_pci_cfg_write(&e.host, DEVFN, pcicfg + 8, 4, 0x14); /* device_status */
    hk_pci_cfg_write(&e.host, DEVFN, pcicfg + 12, 4, 1);
    hk_pci_cfg_write(&e.host, DEVFN, pcicfg + 16, 1, HK_VIRTIO_S_ACKNOWLEDGE);
    CHECK_EQ(rd(&e, 0x14, 1), HK_VIRTIO_S_ACKNOWLEDGE);
    teardown(&e);
}

static void test_features(void)
{
    struct env e;
    setup_dev(&e, false);
    wr(&e, 0x00, 4, 1);
    CHECK_EQ(rd(&e, 0x04, 4) & 1, 1); /* VERSION_1 */
    wr(&e, 0x00, 4, 0);
    uint32_t f = (uint32_t)rd(&e, 0x04, 4);
    CHECK(f & HK_BLK_F_FLUSH);
    CHECK(f & HK_BLK_F_DISCARD);
    CHECK(!(f & HK_BLK_F_RO));
    /* without VERSION_1 the device refuses */
    CHECK(!driver_init(&e, HK_BLK_F_FLUSH));
    /* a feature it did not offer: refused too */
    wr(&e, 0x14, 1, 0);
    wr(&e, 0x14, 1, 3);
    wr(&e, 0x08, 4, 0);
    wr(&e, 0x0C, 4, 1u << 3); /* not offered */
    wr(&e, 0x08, 4, 1);
    wr(&e, 0x0C, 4, 1);
    wr(&e, 0x14, 1, 0x0B);
    CHECK(!(rd(&e, 0x14, 1) & HK_VIRTIO_S_FEATURES_OK));
    CHECK(driver_init(&e, ALL));
    CHECK_EQ(rd(&e, 0x14, 1), 0x0F);
    teardown(&e);
}

static void test_read_write(void)
{
    struct env e;
    setup_dev(&e, false);
    CHECK(driver_init(&e, ALL));
    CHECK_EQ(req(&e, HK_BLK_T_IN, 5, DATA, 1024, true), HK_BLK_S_OK);
    CHECK_EQ(e.f.ram[DATA], 5 * 7 + 1);
    CHECK_EQ(e.f.ram[DATA + 1023], 6 * 7 + 1);
    CHECK_EQ(used(&e)->ring[0].len, 1025);
    CHECK_EQ(used(&e)->ring[0].id, 0);
    /* a boot-sector read is a fact */
    CHECK_EQ(req(&e, HK_BLK_T_IN, 0, DATA, 512, true), HK_BLK_S_OK);
    CHECK_EQ(facts_of(&e.f, HK_FACT_BOOT_READ, NULL), 1);
    memset(e.f.ram + DATA, 0x5C, 2048);
    CHECK_EQ(req(&e, HK_BLK_T_OUT, 100, DATA, 2048, false), HK_BLK_S_OK);
    CHECK_EQ(used(&e)->ring[2].len, 1);
    uint8_t buf[2048];
    CHECK_EQ(pread(e.b.file.fd, buf, 2048, 100 * 512), 2048);
    CHECK(buf[0] == 0x5C && buf[2047] == 0x5C);
    /* ranges and sizes */
    CHECK_EQ(req(&e, HK_BLK_T_IN, IMG_SIZE / 512 - 1, DATA, 512, true), HK_BLK_S_OK);
    CHECK_EQ(req(&e, HK_BLK_T_IN, IMG_SIZE / 512 - 1, DATA, 1024, true), HK_BLK_S_IOERR);
    CHECK_EQ(req(&e, HK_BLK_T_IN, ~0ull, DATA, 512, true), HK_BLK_S_IOERR);
    CHECK_EQ(req(&e, HK_BLK_T_OUT, 1, DATA, 100, false), HK_BLK_S_IOERR);
    CHECK_EQ(req(&e, 77, 0, DATA, 512, true), HK_BLK_S_UNSUPP);
    /* GET_ID: 20 bytes */
    memset(e.f.ram + DATA, 0, 32);
    CHECK_EQ(req(&e, HK_BLK_T_GET_ID, 0, DATA, 20, true), HK_BLK_S_OK);
    CHECK(memcmp(e.f.ram + DATA, "HAKO", 4) == 0);
    CHECK_EQ(strlen((char *)e.f.ram + DATA), 20);
    teardown(&e);
}

static void test_flush_ordering(void)
{
    struct env e;
    setup_dev(&e, false);
    CHECK(driver_init(&e, ALL));
    /* write A to sector 10, flush, write B to sector 11: all queued before the doorbell */
    memset(e.f.ram + DATA, 'A', 512);
    memset(e.f.ram + DATA + 512, 'B', 512);
    uint32_t s1 = queue_req(&e, 0, HK_BLK_T_OUT, 10, DATA, 512, false);
    uint32_t s2 = queue_req(&e, 1, HK_BLK_T_FLUSH, 0, 0, 0, false);
    uint32_t s3 = queue_req(&e, 2, HK_BLK_T_OUT, 11, DATA + 512, 512, false);
    kick_and_run(&e);
    CHECK_EQ(e.syncs, 1);
    /* at the sync, the earlier write had landed and was complete, the flush was not */
    CHECK_EQ(e.sector10_at_sync, 'A');
    CHECK_EQ(e.used_at_sync[0], 1);
    CHECK_EQ(e.f.ram[s1], HK_BLK_S_OK);
    CHECK_EQ(e.f.ram[s2], HK_BLK_S_OK);
    CHECK_EQ(e.f.ram[s3], HK_BLK_S_OK);
    CHECK_EQ(used(&e)->idx, 3);
    CHECK_EQ(used(&e)->ring[1].id, 3); /* completions in submission order */
    /* a failing sync fails the flush */
    e.sync_result = -1;
    CHECK_EQ(req(&e, HK_BLK_T_FLUSH, 0, 0, 0, false), HK_BLK_S_IOERR);
    e.sync_result = 0;
    teardown(&e);

    /* without FLUSH negotiated every write is durable before it completes */
    setup_dev(&e, false);
    CHECK(driver_init(&e, HK_VIRTIO_F_VERSION_1));
    memset(e.f.ram + DATA, 'A', 512);
    uint16_t before = used(&e)->idx;
    CHECK_EQ(req(&e, HK_BLK_T_OUT, 10, DATA, 512, false), HK_BLK_S_OK);
    CHECK_EQ(e.syncs, 1);
    CHECK_EQ(e.used_at_sync[0], before); /* synced before the completion was published */
    e.sync_result = -1;
    CHECK_EQ(req(&e, HK_BLK_T_OUT, 10, DATA, 512, false), HK_BLK_S_IOERR);
    e.sync_result = 0;
    teardown(&e);
}

/* The legacy geometry and the driver's cache switch, as QEMU's virtio-blk offers them (the
 * conformance replay found Linux and SeaBIOS negotiating both): 16 heads, 63 sectors, capacity /
 * 1008 cylinders; writeback 1 at reset; with writeback 0 every write is durable before it
 * completes even though FLUSH was negotiated. */
static void test_geometry_and_wce(void)
{
    struct env e;
    setup_dev(&e, false);
    uint64_t f = (uint64_t)rd(&e, 0x04, 4); /* device_feature_select is 0 */
    CHECK(f & HK_BLK_F_GEOMETRY);
    CHECK(f & HK_BLK_F_CONFIG_WCE);
    uint64_t cyl = IMG_SIZE / 512 / 1008;
    CHECK_EQ(rd(&e, HK_VIRTIO_DEVCFG_OFF + 0x10, 2), cyl < 2 ? 2 : cyl);
    CHECK_EQ(rd(&e, HK_VIRTIO_DEVCFG_OFF + 0x12, 1), 16);
    CHECK_EQ(rd(&e, HK_VIRTIO_DEVCFG_OFF + 0x13, 1), 63);
    CHECK_EQ(rd(&e, HK_VIRTIO_DEVCFG_OFF + 0x20, 1), 1);
    CHECK(driver_init(&e, ALL | HK_BLK_F_CONFIG_WCE));
    memset(e.f.ram + DATA, 'A', 512);
    CHECK_EQ(req(&e, HK_BLK_T_OUT, 10, DATA, 512, false), HK_BLK_S_OK);
    CHECK_EQ(e.syncs, 0); /* write-back */
    wr(&e, HK_VIRTIO_DEVCFG_OFF + 0x20, 1, 0);
    CHECK_EQ(rd(&e, HK_VIRTIO_DEVCFG_OFF + 0x20, 1), 0);
    CHECK_EQ(req(&e, HK_BLK_T_OUT, 10, DATA, 512, false), HK_BLK_S_OK);
    CHECK_EQ(e.syncs, 1); /* write-through */
    wr(&e, 0x14, 1, 0);   /* device reset: back to write-back */
    CHECK_EQ(rd(&e, HK_VIRTIO_DEVCFG_OFF + 0x20, 1), 1);
    teardown(&e);
}

static void test_discard(void)
{
    struct env e;
    setup_dev(&e, false);
    CHECK(driver_init(&e, ALL));
    struct stat st0, st1;
    fstat(e.b.file.fd, &st0);
    /* discard 256 KiB at sector 512 */
    uint8_t *seg = e.f.ram + DATA;
    uint64_t sector = 512;
    uint32_t count = 512, flags = 0;
    memcpy(seg, &sector, 8);
    memcpy(seg + 8, &count, 4);
    memcpy(seg + 12, &flags, 4);
    CHECK_EQ(req(&e, HK_BLK_T_DISCARD, 0, DATA, 16, false), HK_BLK_S_OK);
    fstat(e.b.file.fd, &st1);
    CHECK(st1.st_blocks < st0.st_blocks); /* a hole */
    CHECK_EQ(st1.st_size, IMG_SIZE);
    /* write zeroes with unmap */
    sector = 4;
    count = 2;
    flags = 1;
    memcpy(seg, &sector, 8);
    memcpy(seg + 8, &count, 4);
    memcpy(seg + 12, &flags, 4);
    CHECK_EQ(req(&e, HK_BLK_T_WRITE_ZEROES, 0, DATA, 16, false), HK_BLK_S_OK);
    uint8_t buf[1536];
    CHECK_EQ(pread(e.b.file.fd, buf, 1536, 3 * 512), 1536);
    CHECK_EQ(buf[511], 3 * 7 + 1);
    CHECK(buf[512] == 0 && buf[1535] == 0);
    /* discard with the unmap flag, two segments, out of range: refused */
    CHECK_EQ(req(&e, HK_BLK_T_DISCARD, 0, DATA, 16, false), HK_BLK_S_UNSUPP);
    CHECK_EQ(req(&e, HK_BLK_T_WRITE_ZEROES, 0, DATA, 32, false), HK_BLK_S_UNSUPP);
    sector = IMG_SIZE / 512 - 1;
    flags = 0;
    memcpy(seg, &sector, 8);
    memcpy(seg + 12, &flags, 4);
    CHECK_EQ(req(&e, HK_BLK_T_DISCARD, 0, DATA, 16, false), HK_BLK_S_IOERR);
    teardown(&e);
}

static void test_readonly(void)
{
    struct env e;
    setup_dev(&e, true);
    wr(&e, 0x00, 4, 0);
    uint32_t f = (uint32_t)rd(&e, 0x04, 4);
    CHECK(f & HK_BLK_F_RO);
    CHECK(!(f & HK_BLK_F_DISCARD));
    CHECK(driver_init(&e, ALL));
    CHECK_EQ(req(&e, HK_BLK_T_IN, 1, DATA, 512, true), HK_BLK_S_OK);
    CHECK_EQ(req(&e, HK_BLK_T_OUT, 1, DATA, 512, false), HK_BLK_S_IOERR);
    CHECK_EQ(req(&e, HK_BLK_T_DISCARD, 0, DATA, 16, false), HK_BLK_S_UNSUPP);
    uint8_t c;
    CHECK_EQ(pread(e.b.file.fd, &c, 1, 512), 1);
    CHECK_EQ(c, 8); /* unchanged */
    teardown(&e);
}

static void test_intx_and_isr(void)
{
    struct env e;
    setup_dev(&e, false);
    CHECK(driver_init(&e, ALL & ~HK_VIRTIO_F_EVENT_IDX));
    CHECK_EQ(req(&e, HK_BLK_T_IN, 1, DATA, 512, true), HK_BLK_S_OK);
    CHECK_EQ(e.b.t.pci.intx_level, 1);
    CHECK_EQ(rd(&e, HK_VIRTIO_ISR_OFF, 1), 1);
    CHECK_EQ(e.b.t.pci.intx_level, 0);
    CHECK_EQ(rd(&e, HK_VIRTIO_ISR_OFF, 1), 0);
    /* NO_INTERRUPT: no interrupt */
    ((struct hk_vring_avail *)(e.f.ram + AVAIL))->flags = HK_VIRTQ_AVAIL_F_NO_INTERRUPT;
    CHECK_EQ(req(&e, HK_BLK_T_IN, 1, DATA, 512, true), HK_BLK_S_OK);
    CHECK_EQ(e.b.t.pci.intx_level, 0);
    teardown(&e);
}

static void test_msix(void)
{
    struct env e;
    setup_dev(&e, false);
    unsigned cap = find_std_cap(&e, 0x11);
    CHECK(cap != 0);
    CHECK_EQ(hk_pci_cfg_read(&e.host, DEVFN, cap + 2, 2) & 0x7FF, 1); /* 2 vectors */
    /* vector 0: address and data, unmasked */
    hk_bus_write(&e.f.vm.mmio, MSIX_BAR + 0, 4, 0xFEE00000);
    hk_bus_write(&e.f.vm.mmio, MSIX_BAR + 8, 4, 0x41);
    hk_bus_write(&e.f.vm.mmio, MSIX_BAR + 12, 4, 0);
    hk_pci_cfg_write(&e.host, DEVFN, cap + 2, 2, 0x8000); /* enable */
    CHECK(driver_init(&e, ALL & ~HK_VIRTIO_F_EVENT_IDX));
    wr(&e, 0x16, 2, 0);
    wr(&e, 0x1A, 2, 0);
    CHECK_EQ(rd(&e, 0x1A, 2), 0);
    wr(&e, 0x10, 2, 7); /* no such vector: reads back NO_VECTOR */
    CHECK_EQ(rd(&e, 0x10, 2), HK_VIRTIO_NO_VECTOR);
    CHECK_EQ(req(&e, HK_BLK_T_IN, 1, DATA, 512, true), HK_BLK_S_OK);
    CHECK_EQ(e.b.t.msi_sent, 1);
    CHECK_EQ(e.b.t.pci.intx_level, 0); /* no INTx with MSI-X */
    /* masked: pending bit, sent on unmask */
    hk_bus_write(&e.f.vm.mmio, MSIX_BAR + 12, 4, 1);
    CHECK_EQ(req(&e, HK_BLK_T_IN, 1, DATA, 512, true), HK_BLK_S_OK);
    CHECK_EQ(e.b.t.msi_sent, 1);
    uint64_t pba = 0;
    hk_bus_read(&e.f.vm.mmio, MSIX_BAR + HK_VIRTIO_MSIX_PBA_OFF, 4, &pba);
    CHECK_EQ(pba, 1);
    hk_bus_write(&e.f.vm.mmio, MSIX_BAR + 12, 4, 0);
    CHECK_EQ(e.b.t.msi_sent, 2);
    hk_bus_read(&e.f.vm.mmio, MSIX_BAR + HK_VIRTIO_MSIX_PBA_OFF, 4, &pba);
    CHECK_EQ(pba, 0);
    teardown(&e);
}

static void test_hostile_request(void)
{
    struct env e;
    setup_dev(&e, false);
    CHECK(driver_init(&e, ALL & ~HK_VIRTIO_F_EVENT_IDX));
    /* a chain with a header but no status byte */
    set_desc(&e, 0, HDRS, 16, 0, 0);
    struct hk_vring_avail *av = (struct hk_vring_avail *)(e.f.ram + AVAIL);
    av->ring[0] = 0;
    av->idx = ++e.avail_idx;
    kick_and_run(&e);
    CHECK(rd(&e, 0x14, 1) & HK_VIRTIO_S_NEEDS_RESET);
    CHECK_EQ(rd(&e, HK_VIRTIO_ISR_OFF, 1), 2); /* configuration change */
    CHECK(facts_of(&e.f, HK_FACT_GUEST_ERROR, NULL) >= 1);
    CHECK_EQ(used(&e)->idx, 0);
    /* after a reset the device works again */
    CHECK(driver_init(&e, ALL));
    CHECK_EQ(req(&e, HK_BLK_T_IN, 2, DATA, 512, true), HK_BLK_S_OK);
    CHECK_EQ(e.f.ram[DATA], 2 * 7 + 1);
    /* a loop in the ring: device error, never a hang */
    set_desc(&e, 9, HDRS, 16, HK_VIRTQ_DESC_F_NEXT, 9);
    av->ring[e.avail_idx % HK_BLK_QUEUE_SIZE] = 9;
    av->idx = ++e.avail_idx;
    kick_and_run(&e);
    CHECK(rd(&e, 0x14, 1) & HK_VIRTIO_S_NEEDS_RESET);
    /* queue enable with rings outside RAM */
    wr(&e, 0x14, 1, 0);
    wr(&e, 0x14, 1, 3);
    wr(&e, 0x0C, 4, 0);
    wr(&e, 0x08, 4, 1);
    wr(&e, 0x0C, 4, 1);
    wr(&e, 0x14, 1, 0x0B);
    wr(&e, 0x20, 4, 0xF0000000u);
    wr(&e, 0x1C, 2, 1);
    CHECK(rd(&e, 0x14, 1) & HK_VIRTIO_S_NEEDS_RESET);
    /* a board reset clears everything */
    hk_pci_host_reset(&e.host);
    CHECK_EQ(rd(&e, 0x14, 1), 0xFF); /* BAR unmapped after reset: unclaimed */
    CHECK_EQ(e.b.t.status, 0);
    teardown(&e);
}

static void test_worker_thread(void)
{
    struct env e;
    setup_dev(&e, false);
    CHECK_EQ(hk_virtio_pci_start(&e.b.t), 0);
    CHECK(driver_init(&e, ALL));
    for (unsigned i = 0; i < 50; i++) {
        uint32_t st = queue_req(&e, i % 8, HK_BLK_T_IN, i, DATA + 512 * (i % 8), 512, true);
        wr(&e, HK_VIRTIO_NOTIFY_OFF, 2, 0);
        for (int spin = 0;
             spin < 20000 && __atomic_load_n(&used(&e)->idx, __ATOMIC_ACQUIRE) != (uint16_t)(i + 1);
             spin++)
            usleep(50);
        CHECK_EQ(used(&e)->idx, i + 1);
        CHECK_EQ(e.f.ram[st], HK_BLK_S_OK);
        CHECK_EQ(e.f.ram[DATA + 512 * (i % 8)], (uint8_t)(i * 7 + 1));
    }
    /* reset while the worker runs */
    wr(&e, 0x14, 1, 0);
    CHECK_EQ(rd(&e, 0x14, 1), 0);
    teardown(&e);
}

TEST_MAIN(TEST(test_pci_identity), TEST(test_features), TEST(test_read_write),
          TEST(test_flush_ordering), TEST(test_geometry_and_wce), TEST(test_discard),
          TEST(test_readonly), TEST(test_intx_and_isr), TEST(test_msix), TEST(test_hostile_request),
          TEST(test_worker_thread))
