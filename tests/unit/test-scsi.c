/* The CD-ROM logical unit and the virtio-scsi host: answers compared byte for byte with what SPC-3
 * and MMC-5 define (INQUIRY, READ CAPACITY, MODE SENSE, READ TOC, GET CONFIGURATION, GESN, sense
 * data), reads, unit attentions, media change and eject, El Torito boot facts, the LUN addressing
 * of virtio-scsi and a full request through the virtqueue (good, bad target, short header). */
#include <fcntl.h>
#include <unistd.h>

#include "cdimage.h"
#include "check.h"
#include "fakevm.h"

#include "core/pci.h"
#include "virtio/scsi.h"

#define BLOCKS 100

static char iso_path[64];

/* A 100-block image (cdimage.h) in a file. */
static void make_iso(char *path, size_t n)
{
    snprintf(path, n, "/tmp/hako-test-iso-XXXXXX");
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    uint8_t b[2048];
    for (unsigned i = 0; i < BLOCKS; i++) {
        cdimage_block(b, i);
        CHECK_EQ(pwrite(fd, b, sizeof(b), (off_t)i * 2048), 2048);
    }
    close(fd);
}

struct lun {
    struct fakevm f;
    struct hk_cdrom cd;
    uint8_t buf[65536];
    struct iovec iov;
    struct hk_scsi_cmd c;
};

static void insert(struct lun *l, const char *path)
{
    char err[256];
    struct hk_disk_file df;
    CHECK_EQ(hk_disk_open(&df, path, HK_DISK_CDROM, true, err, sizeof(err)), 0);
    hk_cdrom_insert(&l->cd, &df);
}

static void lun_setup(struct lun *l)
{
    memset(l, 0, sizeof(*l));
    fakevm_init(&l->f, 0);
    hk_cdrom_init(&l->cd, &l->f.vm.facts, &l->f.log);
    insert(l, iso_path);
}

static void lun_teardown(struct lun *l)
{
    hk_cdrom_destroy(&l->cd);
    fakevm_destroy(&l->f);
}

/* Runs a CDB with a data-in buffer of room bytes. */
static struct hk_scsi_cmd *run(struct lun *l, const uint8_t *cdb, unsigned len, size_t room)
{
    memset(l->buf, 0xCC, sizeof(l->buf));
    l->iov.iov_base = l->buf;
    l->iov.iov_len = room;
    l->c = (struct hk_scsi_cmd){
        .cdb = cdb, .cdb_len = len, .din = &l->iov, .ndin = 1, .din_len = room};
    hk_cdrom_exec(&l->cd, &l->c);
    return &l->c;
}

#define RUN(l, room, ...)                                                                          \
    ({                                                                                             \
        static const uint8_t cdb_[16] = {__VA_ARGS__};                                             \
        run((l), cdb_, 16, (room));                                                                \
    })

static void check_sense(struct hk_scsi_cmd *c, uint8_t key, uint8_t asc, uint8_t ascq)
{
    const uint8_t want[18] = {0x70, 0, key, 0, 0, 0, 0, 10, 0, 0, 0, 0, asc, ascq, 0, 0, 0, 0};
    CHECK_EQ(c->status, HK_SCSI_CHECK_CONDITION);
    CHECK_EQ(c->sense_len, 18);
    CHECK(memcmp(c->sense, want, 18) == 0);
    if (memcmp(c->sense, want, 18) != 0)
        fprintf(stderr, "  sense %x/%02x/%02x, wanted %x/%02x/%02x\n", c->sense[2], c->sense[12],
                c->sense[13], key, asc, ascq);
}

static void clear_ua(struct lun *l)
{
    RUN(l, 0, 0x00);
}

static void test_unit_attention(void)
{
    struct lun l;
    lun_setup(&l);
    /* power-on: the unit attention is reported once, INQUIRY is not affected */
    struct hk_scsi_cmd *c = RUN(&l, 96, 0x12, 0, 0, 0, 36, 0);
    CHECK_EQ(c->status, HK_SCSI_GOOD);
    c = RUN(&l, 0, 0x00);
    check_sense(c, 6, 0x28, 0x00); /* medium inserted after init: "may have changed" */
    c = RUN(&l, 0, 0x00);
    CHECK_EQ(c->status, HK_SCSI_GOOD);
    hk_cdrom_reset(&l.cd);
    /* REQUEST SENSE returns the unit attention and clears it */
    c = RUN(&l, 252, 0x03, 0, 0, 0, 252, 0);
    CHECK_EQ(c->status, HK_SCSI_GOOD);
    CHECK_EQ(c->data_len, 18);
    const uint8_t ua[18] = {0x70, 0, 6, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x29, 0, 0, 0, 0, 0};
    CHECK(memcmp(l.buf, ua, 18) == 0);
    c = RUN(&l, 252, 0x03, 0, 0, 0, 252, 0);
    CHECK_EQ(l.buf[2], 0); /* no sense */
    CHECK_EQ(RUN(&l, 0, 0x00)->status, HK_SCSI_GOOD);
    lun_teardown(&l);
}

static void test_inquiry(void)
{
    struct lun l;
    lun_setup(&l);
    struct hk_scsi_cmd *c = RUN(&l, 96, 0x12, 0, 0, 0, 96, 0);
    static const uint8_t std[36] = {0x05, 0x80, 0x05, 0x02, 31,  0,   0,   0,   'H', 'A', 'K', 'O',
                                    ' ',  ' ',  ' ',  ' ',  'C', 'D', '-', 'R', 'O', 'M', ' ', ' ',
                                    ' ',  ' ',  ' ',  ' ',  ' ', ' ', ' ', ' ', '1', '.', '0', ' '};
    CHECK_EQ(c->status, HK_SCSI_GOOD);
    CHECK_EQ(c->data_len, 36);
    CHECK(memcmp(l.buf, std, 36) == 0);
    c = RUN(&l, 96, 0x12, 0, 0, 0, 5, 0); /* allocation length 5 */
    CHECK_EQ(c->data_len, 5);
    CHECK_EQ(l.buf[5], 0xCC);
    c = RUN(&l, 96, 0x12, 1, 0x00, 0, 96, 0);
    static const uint8_t vpd0[7] = {0x05, 0x00, 0, 3, 0x00, 0x80, 0x83};
    CHECK(c->data_len == 7 && memcmp(l.buf, vpd0, 7) == 0);
    c = RUN(&l, 96, 0x12, 1, 0x83, 0, 96, 0);
    CHECK_EQ(c->data_len, 24);
    CHECK(l.buf[1] == 0x83 && l.buf[4] == 0x02 && l.buf[5] == 0x01 && l.buf[7] == 16);
    check_sense(RUN(&l, 96, 0x12, 1, 0x99, 0, 96, 0), 5, 0x24, 0);
    check_sense(RUN(&l, 96, 0x12, 0, 0x80, 0, 96, 0), 5, 0x24, 0);
    lun_teardown(&l);
}

static void test_capacity_and_read(void)
{
    struct lun l;
    lun_setup(&l);
    clear_ua(&l);
    struct hk_scsi_cmd *c = RUN(&l, 8, 0x25);
    static const uint8_t cap[8] = {0, 0, 0, BLOCKS - 1, 0, 0, 0x08, 0};
    CHECK(c->status == HK_SCSI_GOOD && c->data_len == 8 && memcmp(l.buf, cap, 8) == 0);
    c = RUN(&l, 4096, 0x28, 0, 0, 0, 0, 5, 0, 0, 2, 0); /* READ(10) LBA 5, 2 blocks */
    CHECK(c->status == HK_SCSI_GOOD && c->data_len == 4096);
    CHECK(l.buf[0] == 5 && l.buf[2047] == 5 && l.buf[2048] == 6 && l.buf[4095] == 6);
    c = RUN(&l, 2048, 0xA8, 0, 0, 0, 0, 99, 0, 0, 0, 1, 0, 0); /* READ(12) the last block */
    CHECK(c->status == HK_SCSI_GOOD && l.buf[0] == 99);
    c = RUN(&l, 2048, 0x88, 0, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 1, 0, 0); /* READ(16) */
    CHECK(c->status == HK_SCSI_GOOD && l.buf[100] == 7);
    check_sense(RUN(&l, 4096, 0x28, 0, 0, 0, 0, 99, 0, 0, 2, 0), 5, 0x21, 0);
    check_sense(RUN(&l, 4096, 0x28, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 1, 0), 5, 0x21, 0);
    c = RUN(&l, 2048, 0x28, 0, 0, 0, 0, 1, 0, 0, 2, 0); /* 2 blocks into a 1-block buffer */
    CHECK(c->status == HK_SCSI_GOOD && c->want_len == 4096 && c->data_len == 2048);
    c = RUN(&l, 0, 0x28, 0, 0, 0, 0, 1, 0, 0, 0, 0); /* zero blocks */
    CHECK(c->status == HK_SCSI_GOOD && c->data_len == 0);
    check_sense(RUN(&l, 0, 0x2A, 0, 0, 0, 0, 1, 0, 0, 1, 0), 7, 0x27, 0);     /* WRITE(10) */
    check_sense(RUN(&l, 0, 0xFF), 5, 0x20, 0);                                /* unknown */
    check_sense(run(&l, (const uint8_t[]){0x28, 0, 0, 0}, 4, 0), 5, 0x24, 0); /* short CDB */
    lun_teardown(&l);
}

static void test_mode_sense(void)
{
    struct lun l;
    lun_setup(&l);
    clear_ua(&l);
    struct hk_scsi_cmd *c = RUN(&l, 255, 0x5A, 0x08, 0x2A, 0, 0, 0, 0, 0, 255, 0);
    static const uint8_t p2a[30] = {0,    28,   0,    0,    0,    0,    0,    0,    0x2A, 20,
                                    0x09, 0x00, 0x70, 0x00, 0x29, 0x00, 0x22, 0x60, 0,    0,
                                    0x08, 0x00, 0x22, 0x60, 0,    0,    0,    0,    0,    0};
    CHECK(c->status == HK_SCSI_GOOD && c->data_len == 30 && memcmp(l.buf, p2a, 30) == 0);
    RUN(&l, 0, 0x1E, 0, 0, 0, 1, 0); /* prevent: the locked bit shows */
    c = RUN(&l, 255, 0x5A, 0x08, 0x2A, 0, 0, 0, 0, 0, 255, 0);
    CHECK_EQ(l.buf[14], 0x2B);
    c = RUN(&l, 255, 0x1A, 0x08, 0x3F, 0, 255, 0); /* MODE SENSE(6), all pages */
    CHECK(c->status == HK_SCSI_GOOD && c->data_len == 4 + 8 + 22 && l.buf[0] == 33);
    CHECK(l.buf[4] == 0x01 && l.buf[12] == 0x2A);
    check_sense(RUN(&l, 255, 0x5A, 0, 0xC0 | 0x2A, 0, 0, 0, 0, 0, 255, 0), 5, 0x39, 0);
    check_sense(RUN(&l, 255, 0x5A, 0, 0x05, 0, 0, 0, 0, 0, 255, 0), 5, 0x24, 0);
    lun_teardown(&l);
}

static void test_read_toc(void)
{
    struct lun l;
    lun_setup(&l);
    clear_ua(&l);
    struct hk_scsi_cmd *c = RUN(&l, 100, 0x43, 0, 0, 0, 0, 0, 0, 0, 100, 0);
    static const uint8_t toc[20] = {0, 18, 1, 1,    0,    0x14, 1, 0, 0, 0,
                                    0, 0,  0, 0x14, 0xAA, 0,    0, 0, 0, BLOCKS};
    CHECK(c->status == HK_SCSI_GOOD && c->data_len == 20 && memcmp(l.buf, toc, 20) == 0);
    c = RUN(&l, 100, 0x43, 0x02, 0, 0, 0, 0, 0, 0, 100, 0); /* MSF */
    static const uint8_t toc_msf[20] = {0, 18, 1, 1,    0,    0x14, 1, 0, 0, 0,
                                        2, 0,  0, 0x14, 0xAA, 0,    0, 0, 3, 25};
    CHECK(c->data_len == 20 && memcmp(l.buf, toc_msf, 20) == 0);
    c = RUN(&l, 100, 0x43, 0, 1, 0, 0, 0, 0, 0, 100, 0); /* session info */
    static const uint8_t ses[12] = {0, 10, 1, 1, 0, 0x14, 1, 0, 0, 0, 0, 0};
    CHECK(c->data_len == 12 && memcmp(l.buf, ses, 12) == 0);
    c = RUN(&l, 100, 0x43, 0, 2, 0, 0, 0, 0, 0, 100, 0); /* full TOC */
    CHECK(c->status == HK_SCSI_GOOD && c->data_len == 4 + 44 && l.buf[4 + 3] == 0xA0);
    c = RUN(&l, 100, 0x43, 0, 0, 0, 0, 0, 0xAA, 0, 100, 0); /* lead-out only */
    CHECK(c->data_len == 12 && l.buf[6] == 0xAA);
    check_sense(RUN(&l, 100, 0x43, 0, 0, 0, 0, 0, 2, 0, 100, 0), 5, 0x24, 0);
    check_sense(RUN(&l, 100, 0x43, 0, 5, 0, 0, 0, 0, 0, 100, 0), 5, 0x24, 0);
    lun_teardown(&l);
}

static void test_get_configuration_and_gesn(void)
{
    struct lun l;
    lun_setup(&l);
    /* both are exempt from the unit attention */
    struct hk_scsi_cmd *c = RUN(&l, 8, 0x46, 0, 0, 0, 0, 0, 0, 0, 8, 0);
    CHECK(c->status == HK_SCSI_GOOD && c->data_len == 8);
    CHECK(l.buf[6] == 0x00 && l.buf[7] == 0x08);         /* current profile: CD-ROM */
    c = RUN(&l, 255, 0x46, 2, 0, 3, 0, 0, 0, 0, 255, 0); /* just the removable medium feature */
    static const uint8_t rm[16] = {0, 0, 0, 12, 0, 0, 0, 8, 0, 3, 0x03, 4, 0x29, 0, 0, 0};
    CHECK(c->data_len == 16 && memcmp(l.buf, rm, 16) == 0);
    c = RUN(&l, 255, 0x46, 1, 0, 0, 0, 0, 0, 0, 255, 0); /* current features */
    CHECK(c->status == HK_SCSI_GOOD && l.buf[8] == 0 && l.buf[9] == 0);
    check_sense(RUN(&l, 255, 0x46, 3, 0, 0, 0, 0, 0, 0, 255, 0), 5, 0x24, 0);
    /* GESN: polled only; the new disc is reported once */
    check_sense(RUN(&l, 8, 0x4A, 0, 0, 0, 0x10, 0, 0, 0, 8, 0), 5, 0x24, 0);
    c = RUN(&l, 8, 0x4A, 1, 0, 0, 0x10, 0, 0, 0, 8, 0);
    static const uint8_t ev_new[8] = {0, 6, 0x04, 0x10, 0x02, 0x02, 0, 0};
    CHECK(c->data_len == 8 && memcmp(l.buf, ev_new, 8) == 0);
    c = RUN(&l, 8, 0x4A, 1, 0, 0, 0x10, 0, 0, 0, 8, 0);
    CHECK(l.buf[4] == 0 && l.buf[5] == 0x02);
    c = RUN(&l, 8, 0x4A, 1, 0, 0, 0x04, 0, 0, 0, 8, 0); /* a class we do not have */
    static const uint8_t nea[4] = {0, 2, 0x80, 0x10};
    CHECK(c->data_len == 4 && memcmp(l.buf, nea, 4) == 0);
    lun_teardown(&l);
}

static void test_eject_and_change(void)
{
    struct lun l;
    lun_setup(&l);
    clear_ua(&l);
    RUN(&l, 0, 0x1E, 0, 0, 0, 1, 0); /* prevent removal */
    check_sense(RUN(&l, 0, 0x1B, 0, 0, 0, 0x02, 0), 5, 0x53, 0x02);
    RUN(&l, 0, 0x1E, 0, 0, 0, 0, 0);                                    /* allow */
    CHECK_EQ(RUN(&l, 0, 0x1B, 0, 0, 0, 0x02, 0)->status, HK_SCSI_GOOD); /* eject */
    check_sense(RUN(&l, 0, 0x00), 2, 0x3A, 0x02);                       /* tray open */
    check_sense(RUN(&l, 8, 0x25), 2, 0x3A, 0x02);
    struct hk_scsi_cmd *c = RUN(&l, 8, 0x4A, 1, 0, 0, 0x10, 0, 0, 0, 8, 0);
    CHECK(l.buf[4] == 3 && l.buf[5] == 0x03); /* media removal, present, tray open */
    CHECK_EQ(RUN(&l, 0, 0x1B, 0, 0, 0, 0x03, 0)->status, HK_SCSI_GOOD); /* load */
    CHECK_EQ(RUN(&l, 0, 0x00)->status, HK_SCSI_GOOD);
    /* the app removes the disc: unit attention, then no medium (tray closed) */
    hk_cdrom_insert(&l.cd, NULL);
    check_sense(RUN(&l, 0, 0x00), 6, 0x28, 0);
    check_sense(RUN(&l, 0, 0x00), 2, 0x3A, 0x01);
    c = RUN(&l, 252, 0x03, 0, 0, 0, 252, 0);
    CHECK(c->status == HK_SCSI_GOOD && l.buf[2] == 2 && l.buf[12] == 0x3A);
    c = RUN(&l, 8, 0x46, 0, 0, 0, 0, 0, 0, 0, 8, 0);
    CHECK(l.buf[6] == 0 && l.buf[7] == 0); /* no current profile */
    /* a new disc */
    insert(&l, iso_path);
    check_sense(RUN(&l, 0, 0x00), 6, 0x28, 0);
    CHECK_EQ(RUN(&l, 0, 0x00)->status, HK_SCSI_GOOD);
    CHECK_EQ(l.cd.changes, 3);
    lun_teardown(&l);
}

static void test_boot_facts(void)
{
    struct lun l;
    lun_setup(&l);
    clear_ua(&l);
    CHECK_EQ(l.cd.et_nimg, 2);
    RUN(&l, 2048, 0x28, 0, 0, 0, 0, 16, 0, 0, 1, 0); /* the PVD: no fact */
    CHECK_EQ(facts_of(&l.f, HK_FACT_BOOT_READ, NULL), 0);
    RUN(&l, 4096, 0x28, 0, 0, 0, 0, 16, 0, 0, 2, 0); /* 16-17 */
    struct hk_fact last;
    CHECK_EQ(facts_of(&l.f, HK_FACT_BOOT_READ, &last), 1);
    CHECK(last.a == 17 && last.b == 0);
    RUN(&l, 2048, 0x28, 0, 0, 0, 0, 20, 0, 0, 1, 0);
    CHECK_EQ(facts_of(&l.f, HK_FACT_BOOT_READ, &last), 2);
    CHECK(last.a == 20 && last.b == 1 && last.c == 3);
    CHECK_STR(last.text, "El Torito boot catalog (LBA 20): boot images for BIOS, UEFI");
    RUN(&l, 2048, 0x28, 0, 0, 0, 0, 30, 0, 0, 1, 0);
    CHECK_EQ(facts_of(&l.f, HK_FACT_BOOT_READ, &last), 3);
    CHECK(last.a == 30 && last.b == 2 && last.c == 0);
    RUN(&l, 2048, 0x28, 0, 0, 0, 0, 30, 0, 0, 1, 0); /* again: no new fact */
    RUN(&l, 2048, 0x28, 0, 0, 0, 0, 40, 0, 0, 1, 0);
    CHECK_EQ(facts_of(&l.f, HK_FACT_BOOT_READ, &last), 4);
    CHECK(last.a == 40 && last.c == 0xEF);
    CHECK_STR(last.text, "UEFI boot image (LBA 40)");
    lun_teardown(&l);
}

static void test_report_luns_and_lun_addressing(void)
{
    struct lun l;
    lun_setup(&l);
    struct hk_scsi_cmd *c = RUN(&l, 16, 0xA0, 0, 0, 0, 0, 0, 0, 0, 0, 16, 0, 0);
    static const uint8_t luns[16] = {0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    CHECK(c->status == HK_SCSI_GOOD && c->data_len == 16 && memcmp(l.buf, luns, 16) == 0);
    lun_teardown(&l);

    uint32_t lun;
    CHECK(hk_vscsi_decode_lun((const uint8_t[]){1, 0, 0x40, 0, 0, 0, 0, 0}, &lun) && lun == 0);
    CHECK(hk_vscsi_decode_lun((const uint8_t[]){1, 0, 0x40, 5, 0, 0, 0, 0}, &lun) && lun == 5);
    CHECK(hk_vscsi_decode_lun((const uint8_t[]){1, 0, 0, 0, 0, 0, 0, 0}, &lun) && lun == 0);
    CHECK(hk_vscsi_decode_lun((const uint8_t[]){1, 0, 0x80, 0, 0, 0, 0, 0}, &lun) &&
          lun == 0xFFFFFFFFu);
    CHECK(!hk_vscsi_decode_lun((const uint8_t[]){1, 1, 0x40, 0, 0, 0, 0, 0}, &lun));
    CHECK(!hk_vscsi_decode_lun((const uint8_t[]){0, 0, 0x40, 0, 0, 0, 0, 0}, &lun));
}

/* ---- virtio-scsi through its queues ---- */

#define RAM   (1u << 20)
#define BAR   0xE0000000ull
#define DEVFN 0x18
#define DESC  0x1000u
#define AVAIL 0x2000u
#define USED  0x3000u

struct hba {
    struct fakevm f;
    struct hk_pci_host host;
    struct hk_virtio_scsi s;
    uint16_t avail_idx;
};

static void wr(struct hba *h, uint64_t off, unsigned size, uint64_t v)
{
    hk_bus_write(&h->f.vm.mmio, BAR + off, size, v);
}

static uint64_t rd(struct hba *h, uint64_t off, unsigned size)
{
    uint64_t v = 0;
    hk_bus_read(&h->f.vm.mmio, BAR + off, size, &v);
    return v;
}

static void hba_setup(struct hba *h)
{
    memset(h, 0, sizeof(*h));
    fakevm_init(&h->f, RAM);
    hk_pci_host_init(&h->host, &h->f.vm);
    CHECK_EQ(hk_virtio_scsi_init(&h->s, &h->f.vm), 0);
    char err[256];
    struct hk_disk_file df;
    CHECK_EQ(hk_disk_open(&df, iso_path, HK_DISK_CDROM, true, err, sizeof(err)), 0);
    hk_cdrom_insert(&h->s.cd, &df);
    CHECK_EQ(hk_virtio_scsi_register(&h->s, &h->host, DEVFN), 0);
    CHECK_EQ(hk_pci_cfg_read(&h->host, DEVFN, 0, 4), 0x10481AF4);
    hk_pci_cfg_write(&h->host, DEVFN, 0x20, 4, (uint32_t)BAR);
    hk_pci_cfg_write(&h->host, DEVFN, 0x04, 2, 0x0006);
    wr(h, 0x14, 1, 0);
    wr(h, 0x14, 1, 3);
    /* as QEMU's virtio-scsi (the conformance replay saw Linux and OVMF negotiate them): HOTPLUG
     * and CHANGE offered, queues of 256 */
    wr(h, 0x00, 4, 0);
    CHECK_EQ(rd(h, 0x04, 4) & 0x6, 0x6);
    for (unsigned q = 0; q < 3; q++) {
        wr(h, 0x16, 2, q);
        CHECK_EQ(rd(h, 0x18, 2), 256);
    }
    wr(h, 0x08, 4, 1);
    wr(h, 0x0C, 4, 1); /* VERSION_1 */
    wr(h, 0x14, 1, 0x0B);
    CHECK(rd(h, 0x14, 1) & HK_VIRTIO_S_FEATURES_OK);
    CHECK_EQ(rd(h, 0x12, 2), 3);
    CHECK_EQ(rd(h, HK_VIRTIO_DEVCFG_OFF + 0x18, 4), 32); /* cdb_size */
    wr(h, 0x16, 2, 2);                                   /* the request queue */
    wr(h, 0x18, 2, 16);
    wr(h, 0x20, 4, DESC);
    wr(h, 0x28, 4, AVAIL);
    wr(h, 0x30, 4, USED);
    wr(h, 0x1C, 2, 1);
    wr(h, 0x14, 1, 0x0F);
}

static void hba_teardown(struct hba *h)
{
    hk_virtio_scsi_destroy(&h->s);
    hk_pci_host_destroy(&h->host);
    fakevm_destroy(&h->f);
}

/* Sends a request (header at 0x10000, response at 0x11000, data at 0x12000). */
static void send(struct hba *h, const uint8_t *lun8, const uint8_t *cdb, unsigned cdb_n,
                 uint32_t req_len, uint32_t resp_len, uint32_t data_len)
{
    uint8_t *req = h->f.ram + 0x10000;
    memset(req, 0, 64);
    memcpy(req, lun8, 8);
    memcpy(req + 19, cdb, cdb_n);
    memset(h->f.ram + 0x11000, 0xEE, 0x2000);
    struct hk_vring_desc *d = (struct hk_vring_desc *)(h->f.ram + DESC);
    d[0] = (struct hk_vring_desc){0x10000, req_len, HK_VIRTQ_DESC_F_NEXT, 1};
    d[1] = (struct hk_vring_desc){
        0x11000, resp_len,
        (uint16_t)(HK_VIRTQ_DESC_F_WRITE | (data_len ? HK_VIRTQ_DESC_F_NEXT : 0)), 2};
    d[2] = (struct hk_vring_desc){0x12000, data_len, HK_VIRTQ_DESC_F_WRITE, 0};
    struct hk_vring_avail *av = (struct hk_vring_avail *)(h->f.ram + AVAIL);
    av->ring[h->avail_idx % 16] = 0;
    av->idx = ++h->avail_idx;
    wr(h, HK_VIRTIO_NOTIFY_OFF + 2 * HK_VIRTIO_NOTIFY_MULT, 2, 2);
    hk_virtio_pci_poll(&h->s.t);
}

static void test_virtio_scsi_queue(void)
{
    struct hba h;
    hba_setup(&h);
    static const uint8_t lun0[8] = {1, 0, 0x40, 0, 0, 0, 0, 0};
    static const uint8_t inq[6] = {0x12, 0, 0, 0, 36, 0};
    send(&h, lun0, inq, 6, 51, 108, 36);
    struct hk_vring_used *u = (struct hk_vring_used *)(h.f.ram + USED);
    CHECK_EQ(u->idx, 1);
    CHECK_EQ(u->ring[0].len, 108 + 36);
    const uint8_t *resp = h.f.ram + 0x11000;
    CHECK(resp[10] == 0 && resp[11] == HK_VSCSI_S_OK); /* status GOOD, response OK */
    CHECK_EQ(resp[0], 0);                              /* no sense */
    CHECK(h.f.ram[0x12000] == 0x05 && memcmp(h.f.ram + 0x12000 + 8, "HAKO", 4) == 0);
    /* TEST UNIT READY: the power-on unit attention comes back as autosense */
    static const uint8_t tur[6] = {0};
    send(&h, lun0, tur, 6, 51, 108, 0);
    CHECK_EQ(resp[10], HK_SCSI_CHECK_CONDITION);
    CHECK_EQ(resp[0], 18); /* sense_len */
    CHECK(resp[12] == 0x70 && resp[14] == 6);
    /* a READ with a residual */
    static const uint8_t rd10[10] = {0x28, 0, 0, 0, 0, 3, 0, 0, 1, 0};
    send(&h, lun0, rd10, 10, 51, 108, 4096);
    CHECK(resp[10] == 0 && resp[11] == 0);
    CHECK_EQ(resp[4] | resp[5] << 8, 2048); /* residual */
    CHECK_EQ(h.f.ram[0x12000], 3);
    CHECK_EQ(u->ring[2].len, 108 + 2048);
    /* overrun: 2 blocks into 2048 bytes */
    static const uint8_t rd2[10] = {0x28, 0, 0, 0, 0, 3, 0, 0, 2, 0};
    send(&h, lun0, rd2, 10, 51, 108, 2048);
    CHECK_EQ(resp[11], HK_VSCSI_S_OVERRUN);
    /* another target */
    static const uint8_t t5[8] = {1, 5, 0x40, 0, 0, 0, 0, 0};
    send(&h, t5, inq, 6, 51, 108, 36);
    CHECK_EQ(resp[11], HK_VSCSI_S_BAD_TARGET);
    /* another LUN of target 0 */
    static const uint8_t lun3[8] = {1, 0, 0x40, 3, 0, 0, 0, 0};
    send(&h, lun3, inq, 6, 51, 108, 36);
    CHECK(resp[11] == 0 && resp[10] == 0 && h.f.ram[0x12000] == 0x7F);
    send(&h, lun3, tur, 6, 51, 108, 0);
    CHECK(resp[10] == HK_SCSI_CHECK_CONDITION && resp[12 + 12] == 0x25);
    CHECK(!(rd(&h, 0x14, 1) & HK_VIRTIO_S_NEEDS_RESET));
    /* a header shorter than cdb_size says: device error */
    send(&h, lun0, inq, 6, 40, 108, 36);
    CHECK(rd(&h, 0x14, 1) & HK_VIRTIO_S_NEEDS_RESET);
    hba_teardown(&h);
}

static void setup_iso(void)
{
    make_iso(iso_path, sizeof(iso_path));
}

static void cleanup_iso(void)
{
    unlink(iso_path);
}

TEST_MAIN(TEST(setup_iso), TEST(test_unit_attention), TEST(test_inquiry),
          TEST(test_capacity_and_read), TEST(test_mode_sense), TEST(test_read_toc),
          TEST(test_get_configuration_and_gesn), TEST(test_eject_and_change), TEST(test_boot_facts),
          TEST(test_report_luns_and_lun_addressing), TEST(test_virtio_scsi_queue),
          TEST(cleanup_iso))
