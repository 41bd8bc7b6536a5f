#include "cdrom.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hako/iso.h"
#include "../core/log.h"
#include "../core/facts.h"

#define MAX_SEGS 1024
/* larger than a CD (80 minutes of 2048-byte blocks): a DVD */
#define CD_MAX_BYTES (80ull * 60 * 75 * 2048)

enum {
    OP_TEST_UNIT_READY = 0x00,
    OP_REQUEST_SENSE = 0x03,
    OP_INQUIRY = 0x12,
    OP_MODE_SELECT6 = 0x15,
    OP_MODE_SENSE6 = 0x1A,
    OP_START_STOP = 0x1B,
    OP_PREVENT_ALLOW = 0x1E,
    OP_READ_CAPACITY10 = 0x25,
    OP_READ10 = 0x28,
    OP_WRITE10 = 0x2A,
    OP_SEEK10 = 0x2B,
    OP_WRITE_VERIFY10 = 0x2E,
    OP_SYNC_CACHE10 = 0x35,
    OP_READ_TOC = 0x43,
    OP_GET_CONFIGURATION = 0x46,
    OP_GESN = 0x4A,
    OP_READ_DISC_INFO = 0x51,
    OP_MODE_SELECT10 = 0x55,
    OP_MODE_SENSE10 = 0x5A,
    OP_READ16 = 0x88,
    OP_WRITE16 = 0x8A,
    OP_REPORT_LUNS = 0xA0,
    OP_READ12 = 0xA8,
    OP_WRITE12 = 0xAA,
    OP_SET_CD_SPEED = 0xBB,
};

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const uint8_t *p)
{
    return (uint64_t)be32(p) << 32 | be32(p + 4);
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

void hk_scsi_sense(uint8_t *s, uint8_t key, uint8_t asc, uint8_t ascq)
{
    memset(s, 0, HK_SENSE_LEN);
    s[0] = 0x70; /* current error, fixed format */
    s[2] = key & 0x0F;
    s[7] = HK_SENSE_LEN - 8; /* additional sense length */
    s[12] = asc;
    s[13] = ascq;
}

static void check(struct hk_scsi_cmd *c, uint8_t key, uint8_t asc, uint8_t ascq)
{
    c->status = HK_SCSI_CHECK_CONDITION;
    hk_scsi_sense(c->sense, key, asc, ascq);
    c->sense_len = HK_SENSE_LEN;
    c->data_len = 0;
}

static void invalid_field(struct hk_scsi_cmd *c)
{
    check(c, HK_SK_ILLEGAL_REQUEST, 0x24, 0x00);
}

/* Returns len bytes of buf, cut to the allocation length and the initiator's buffer. */
static void reply(struct hk_scsi_cmd *c, const void *buf, size_t len, uint32_t alloc)
{
    size_t n = len < alloc ? len : alloc;
    c->want_len = n;
    if (n > c->din_len)
        n = (size_t)c->din_len;
    size_t done = 0;
    for (unsigned i = 0; i < c->ndin && done < n; i++) {
        size_t k = c->din[i].iov_len;
        if (k > n - done)
            k = n - done;
        memcpy(c->din[i].iov_base, (const uint8_t *)buf + done, k);
        done += k;
    }
    c->data_len = done;
}

static bool has_media(const struct hk_cdrom *cd)
{
    return cd->file.fd >= 0 && !cd->tray_open;
}

static bool is_dvd(const struct hk_cdrom *cd)
{
    return has_media(cd) && cd->blocks * HK_CD_BLOCK > CD_MAX_BYTES;
}

static void not_ready(struct hk_cdrom *cd, struct hk_scsi_cmd *c)
{
    /* MEDIUM NOT PRESENT - TRAY CLOSED / TRAY OPEN */
    check(c, HK_SK_NOT_READY, 0x3A, cd->tray_open ? 0x02 : 0x01);
}

/* ---- El Torito ---- */

/* What the common reader (hako/iso.h) finds on the disc: the boot record, the catalog, and the
 * boot images firmware can load, for the boot-read facts. */
static void parse_eltorito(struct hk_cdrom *cd)
{
    cd->et_record = false;
    cd->et_record_lba = 0;
    cd->et_catalog = 0;
    cd->et_nimg = 0;
    cd->et_record_seen = cd->et_catalog_seen = false;
    struct hk_iso_info *info = malloc(sizeof(*info));
    if (!info)
        return;
    int fd = cd->file.fd;
    struct hk_iso_source src = {hk_iso_read_fd, &fd, cd->blocks * HK_CD_BLOCK};
    enum hk_iso_status st = hk_iso_parse(&src, info, NULL);
    if (info->el_torito) {
        cd->et_record = true;
        cd->et_record_lba = info->boot_record_lba;
        if ((uint64_t)info->catalog_lba < cd->blocks)
            cd->et_catalog = info->catalog_lba;
    }
    if (st == HK_ISO_BAD_CATALOG)
        hk_info(cd->log, "cdrom: %s has an El Torito boot catalog with a bad validation entry",
                cd->file.path);
    for (unsigned i = 0; i < info->n_entries && cd->et_nimg < HK_CD_MAX_BOOTIMG; i++) {
        const struct hk_iso_boot_entry *e = &info->entries[i];
        if (!e->bootable)
            continue;
        struct hk_eltorito_image *im = &cd->et_img[cd->et_nimg++];
        im->lba = e->load_lba;
        im->sectors512 = e->sector_count;
        im->platform = e->platform;
        im->seen = false;
    }
    free(info);
}

static const char *platform_name(uint8_t p)
{
    switch (p) {
    case HK_ELTORITO_X86: return "BIOS";
    case HK_ELTORITO_EFI: return "UEFI";
    case HK_ELTORITO_PPC: return "PowerPC";
    case HK_ELTORITO_MAC: return "Mac";
    default: return "unknown-platform";
    }
}

static void boot_facts(struct hk_cdrom *cd, uint64_t lba, uint64_t n)
{
    if (!cd->facts || n == 0)
        return;
    uint64_t end = lba + n;
    if (cd->et_record && !cd->et_record_seen && lba <= cd->et_record_lba &&
        cd->et_record_lba < end) {
        cd->et_record_seen = true;
        hk_fact(cd->facts, HK_FACT_BOOT_READ, cd->et_record_lba, 0, 0,
                "El Torito boot record (LBA %u)", cd->et_record_lba);
    }
    if (cd->et_record && cd->et_catalog && !cd->et_catalog_seen && lba <= cd->et_catalog &&
        cd->et_catalog < end) {
        cd->et_catalog_seen = true;
        int mask = 0;
        char list[64] = "";
        for (unsigned i = 0; i < cd->et_nimg; i++) {
            int bit = cd->et_img[i].platform == 0 ? 1 : cd->et_img[i].platform == 0xEF ? 2 : 4;
            if (mask & bit)
                continue;
            mask |= bit;
            size_t l = strlen(list);
            snprintf(list + l, sizeof(list) - l, "%s%s", l ? ", " : "",
                     platform_name(cd->et_img[i].platform));
        }
        hk_fact(cd->facts, HK_FACT_BOOT_READ, cd->et_catalog, 1, mask,
                "El Torito boot catalog (LBA %u): boot images for %s", cd->et_catalog,
                mask ? list : "nothing");
    }
    for (unsigned i = 0; i < cd->et_nimg; i++) {
        struct hk_eltorito_image *im = &cd->et_img[i];
        if (!im->seen && lba <= im->lba && im->lba < end) {
            im->seen = true;
            hk_fact(cd->facts, HK_FACT_BOOT_READ, im->lba, 2, im->platform,
                    "%s boot image (LBA %u)", platform_name(im->platform), im->lba);
        }
    }
}

/* ---- media ---- */

void hk_cdrom_init(struct hk_cdrom *cd, struct hk_facts *facts, struct hk_log *log)
{
    memset(cd, 0, sizeof(*cd));
    pthread_mutex_init(&cd->lock, NULL);
    cd->facts = facts;
    cd->log = log;
    cd->file.fd = -1;
    cd->ua = true;
    cd->ua_asc = 0x29; /* POWER ON, RESET, OR BUS DEVICE RESET OCCURRED */
}

void hk_cdrom_destroy(struct hk_cdrom *cd)
{
    hk_disk_close(&cd->file);
    pthread_mutex_destroy(&cd->lock);
}

void hk_cdrom_insert(struct hk_cdrom *cd, struct hk_disk_file *f)
{
    pthread_mutex_lock(&cd->lock);
    bool had = cd->file.fd >= 0;
    hk_disk_close(&cd->file);
    cd->blocks = 0;
    cd->et_record = false;
    cd->et_nimg = 0;
    if (f && f->fd >= 0) {
        cd->file = *f;
        f->fd = -1;
        f->path = NULL;
        cd->blocks = cd->file.size / HK_CD_BLOCK;
        parse_eltorito(cd);
        cd->media_event = 2; /* new media */
    } else if (had) {
        cd->media_event = 3; /* media removal */
    }
    cd->tray_open = false;
    cd->changes++;
    cd->ua = true;
    cd->ua_asc = 0x28; /* NOT READY TO READY CHANGE, MEDIUM MAY HAVE CHANGED */
    cd->ua_ascq = 0x00;
    pthread_mutex_unlock(&cd->lock);
}

void hk_cdrom_reset(struct hk_cdrom *cd)
{
    pthread_mutex_lock(&cd->lock);
    cd->prevent = false;
    cd->ua = true;
    cd->ua_asc = 0x29;
    cd->ua_ascq = 0x00;
    cd->media_event = 0;
    cd->et_record_seen = cd->et_catalog_seen = false;
    for (unsigned i = 0; i < cd->et_nimg; i++)
        cd->et_img[i].seen = false;
    pthread_mutex_unlock(&cd->lock);
}

/* ---- commands ---- */

static unsigned cdb_length(uint8_t op)
{
    switch (op >> 5) {
    case 0: return 6;
    case 1:
    case 2: return 10;
    case 4: return 16;
    case 5: return 12;
    default: return 6;
    }
}

static void do_inquiry(struct hk_cdrom *cd, struct hk_scsi_cmd *c)
{
    const uint8_t *cdb = c->cdb;
    uint32_t alloc = be16(cdb + 3);
    uint8_t b[64];
    memset(b, 0, sizeof(b));
    (void)cd;
    if (cdb[1] & 0x02) { /* CmdDt (obsolete) */
        invalid_field(c);
        return;
    }
    if (!(cdb[1] & 0x01)) {
        if (cdb[2]) {
            invalid_field(c);
            return;
        }
        b[0] = 0x05; /* connected, CD/DVD device */
        b[1] = 0x80; /* removable */
        b[2] = 0x05; /* SPC-3 */
        b[3] = 0x02; /* response data format */
        b[4] = 36 - 5;
        memcpy(b + 8, "HAKO    ", 8);
        memcpy(b + 16, "CD-ROM          ", 16);
        memcpy(b + 32, "1.0 ", 4);
        reply(c, b, 36, alloc);
        return;
    }
    b[0] = 0x05;
    b[1] = cdb[2];
    switch (cdb[2]) {
    case 0x00: /* supported pages */
        b[3] = 3;
        b[4] = 0x00;
        b[5] = 0x80;
        b[6] = 0x83;
        reply(c, b, 7, alloc);
        return;
    case 0x80: /* unit serial number */
        b[3] = 8;
        memcpy(b + 4, "HAKOCD00", 8);
        reply(c, b, 12, alloc);
        return;
    case 0x83: /* device identification: one T10 vendor ID designator */
        b[3] = 4 + 16;
        b[4] = 0x02; /* ASCII */
        b[5] = 0x01; /* T10 vendor ID, associated with the LU */
        b[7] = 16;
        memcpy(b + 8, "HAKO    HAKOCD00", 16);
        reply(c, b, 24, alloc);
        return;
    default: invalid_field(c); return;
    }
}

static void do_request_sense(struct hk_cdrom *cd, struct hk_scsi_cmd *c)
{
    uint8_t s[HK_SENSE_LEN];
    if (cd->ua) {
        hk_scsi_sense(s, HK_SK_UNIT_ATTENTION, cd->ua_asc, cd->ua_ascq);
        cd->ua = false;
    } else if (!has_media(cd)) {
        hk_scsi_sense(s, HK_SK_NOT_READY, 0x3A, cd->tray_open ? 0x02 : 0x01);
    } else {
        hk_scsi_sense(s, HK_SK_NO_SENSE, 0, 0);
    }
    reply(c, s, sizeof(s), c->cdb[4]);
}

static void do_read(struct hk_cdrom *cd, struct hk_scsi_cmd *c, uint64_t lba, uint64_t n)
{
    if (!has_media(cd)) {
        not_ready(cd, c);
        return;
    }
    if (lba > cd->blocks || n > cd->blocks - lba) {
        check(c, HK_SK_ILLEGAL_REQUEST, 0x21, 0x00); /* LBA OUT OF RANGE */
        return;
    }
    uint64_t bytes = n * HK_CD_BLOCK;
    c->want_len = bytes;
    if (bytes == 0)
        return;
    boot_facts(cd, lba, n);
    uint64_t len = bytes < c->din_len ? bytes : c->din_len;
    struct iovec v[MAX_SEGS];
    unsigned k = 0;
    uint64_t got = 0;
    for (unsigned i = 0; i < c->ndin && got < len && k < MAX_SEGS; i++) {
        uint64_t m = c->din[i].iov_len;
        if (m > len - got)
            m = len - got;
        v[k].iov_base = c->din[i].iov_base;
        v[k].iov_len = (size_t)m;
        k++;
        got += m;
    }
    uint64_t off = lba * HK_CD_BLOCK;
    struct iovec *p = v;
    uint64_t done = 0;
    while (k > 0) {
        ssize_t r = preadv(cd->file.fd, p, (int)k, (off_t)(off + done));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            if (r == 0) { /* the image shrank under us */
                for (unsigned i = 0; i < k; i++)
                    memset(p[i].iov_base, 0, p[i].iov_len);
                break;
            }
            check(c, HK_SK_MEDIUM_ERROR, 0x11, 0x00); /* UNRECOVERED READ ERROR */
            return;
        }
        done += (uint64_t)r;
        size_t d = (size_t)r;
        while (k > 0 && d >= p->iov_len) {
            d -= p->iov_len;
            p++;
            k--;
        }
        if (k > 0 && d) {
            p->iov_base = (uint8_t *)p->iov_base + d;
            p->iov_len -= d;
        }
    }
    c->data_len = got;
}

static void do_read_capacity(struct hk_cdrom *cd, struct hk_scsi_cmd *c)
{
    if (!has_media(cd)) {
        not_ready(cd, c);
        return;
    }
    uint8_t b[8];
    uint64_t last = cd->blocks ? cd->blocks - 1 : 0;
    put32(b, last > 0xFFFFFFFFull ? 0xFFFFFFFFu : (uint32_t)last);
    put32(b + 4, HK_CD_BLOCK);
    reply(c, b, 8, 8);
}

/* Mode pages: 0x01 read error recovery, 0x2A MM capabilities and mechanical status. */
static size_t mode_page(struct hk_cdrom *cd, uint8_t page, bool changeable, uint8_t *p)
{
    switch (page) {
    case 0x01:
        memset(p, 0, 8);
        p[0] = 0x01;
        p[1] = 6;
        return 8;
    case 0x2A:
        memset(p, 0, 22);
        p[0] = 0x2A;
        p[1] = 20;
        if (changeable)
            return 22;
        p[2] = 0x09; /* reads CD-R and DVD-ROM */
        p[3] = 0x00; /* writes nothing */
        p[4] = 0x70; /* mode 2 form 1/2, multi-session */
        p[5] = 0x00;
        p[6] = (uint8_t)(0x29 | (cd->prevent ? 0x02 : 0)); /* tray, eject, lock (+ locked) */
        put16(p + 8, 50 * 176);                            /* obsolete maximum read speed */
        put16(p + 12, 2048);                               /* buffer size, KiB */
        put16(p + 14, 50 * 176);                           /* obsolete current read speed */
        return 22;
    default: return 0;
    }
}

static void do_mode_sense(struct hk_cdrom *cd, struct hk_scsi_cmd *c, bool ten)
{
    const uint8_t *cdb = c->cdb;
    uint8_t pc = cdb[2] >> 6, page = cdb[2] & 0x3F;
    uint32_t alloc = ten ? be16(cdb + 7) : cdb[4];
    if (pc == 3) {
        check(c, HK_SK_ILLEGAL_REQUEST, 0x39, 0x00); /* SAVING PARAMETERS NOT SUPPORTED */
        return;
    }
    if (cdb[3] != 0) { /* subpages */
        invalid_field(c);
        return;
    }
    uint8_t b[128];
    memset(b, 0, sizeof(b));
    size_t hdr = ten ? 8 : 4, n = hdr;
    if (page == 0x3F) {
        n += mode_page(cd, 0x01, pc == 1, b + n);
        n += mode_page(cd, 0x2A, pc == 1, b + n);
    } else {
        size_t k = mode_page(cd, page, pc == 1, b + n);
        if (!k) {
            invalid_field(c);
            return;
        }
        n += k;
    }
    /* no block descriptors on an MMC unit; medium type and device-specific byte 0 */
    if (ten)
        put16(b, (uint16_t)(n - 2));
    else
        b[0] = (uint8_t)(n - 1);
    reply(c, b, n, alloc);
}

static void msf(uint64_t lba, uint8_t *p)
{
    uint64_t x = lba + 150;
    p[0] = 0;
    p[1] = (uint8_t)(x / (60 * 75) > 255 ? 255 : x / (60 * 75));
    p[2] = (uint8_t)((x / 75) % 60);
    p[3] = (uint8_t)(x % 75);
}

static void toc_addr(uint64_t lba, bool use_msf, uint8_t *p)
{
    if (use_msf)
        msf(lba, p);
    else
        put32(p, lba > 0xFFFFFFFFull ? 0xFFFFFFFFu : (uint32_t)lba);
}

static void do_read_toc(struct hk_cdrom *cd, struct hk_scsi_cmd *c)
{
    const uint8_t *cdb = c->cdb;
    if (!has_media(cd)) {
        not_ready(cd, c);
        return;
    }
    bool use_msf = cdb[1] & 0x02;
    uint8_t format = cdb[2] & 0x0F;
    if (format == 0)
        format = cdb[9] >> 6; /* the SFF-8020 place for it */
    uint8_t track = cdb[6];
    uint32_t alloc = be16(cdb + 7);
    uint8_t b[64];
    memset(b, 0, sizeof(b));
    size_t n = 4;
    switch (format) {
    case 0: /* TOC */
        if (track > 1 && track != 0xAA) {
            invalid_field(c);
            return;
        }
        b[2] = 1;
        b[3] = 1;
        if (track <= 1) {
            b[n + 1] = 0x14; /* ADR 1, data track */
            b[n + 2] = 1;
            toc_addr(0, use_msf, b + n + 4);
            n += 8;
        }
        b[n + 1] = 0x14;
        b[n + 2] = 0xAA; /* lead-out */
        toc_addr(cd->blocks, use_msf, b + n + 4);
        n += 8;
        break;
    case 1: /* session information */
        b[2] = 1;
        b[3] = 1;
        b[n + 1] = 0x14;
        b[n + 2] = 1;
        toc_addr(0, use_msf, b + n + 4);
        n += 8;
        break;
    case 2: { /* full TOC: points A0, A1, A2 and track 1 of session 1 */
        b[2] = 1;
        b[3] = 1;
        const uint8_t points[4] = {0xA0, 0xA1, 0xA2, 0x01};
        for (unsigned i = 0; i < 4; i++) {
            uint8_t *d = b + n;
            d[0] = 1;    /* session */
            d[1] = 0x14; /* ADR 1, data */
            d[3] = points[i];
            if (points[i] == 0xA0) {
                d[8] = 1; /* first track */
            } else if (points[i] == 0xA1) {
                d[8] = 1; /* last track */
            } else if (points[i] == 0xA2) {
                uint8_t m[4];
                msf(cd->blocks, m);
                memcpy(d + 8, m + 1, 3);
            } else {
                uint8_t m[4];
                msf(0, m);
                memcpy(d + 8, m + 1, 3);
            }
            n += 11;
        }
        break;
    }
    default: invalid_field(c); return;
    }
    put16(b, (uint16_t)(n - 2));
    reply(c, b, n, alloc);
}

struct feature {
    uint16_t code;
    uint8_t version;
    bool persistent, current;
    uint8_t len;
    uint8_t data[16];
};

static void do_get_configuration(struct hk_cdrom *cd, struct hk_scsi_cmd *c)
{
    const uint8_t *cdb = c->cdb;
    uint8_t rt = cdb[1] & 3;
    uint16_t start = be16(cdb + 2);
    uint32_t alloc = be16(cdb + 7);
    if (rt == 3) {
        invalid_field(c);
        return;
    }
    bool media = has_media(cd), dvd = is_dvd(cd);
    uint16_t profile = !media ? 0 : dvd ? 0x0010 : 0x0008;
    struct feature f[7];
    memset(f, 0, sizeof(f));
    /* profile list: DVD-ROM, CD-ROM */
    f[0] = (struct feature){0x0000, 0, true, true, 8, {0}};
    put16(f[0].data, 0x0010);
    f[0].data[2] = dvd;
    put16(f[0].data + 4, 0x0008);
    f[0].data[6] = media && !dvd;
    /* core: SCSI physical interface */
    f[1] = (struct feature){0x0001, 2, true, true, 8, {0}};
    put32(f[1].data, 1);
    /* morphing: reports operational changes through GESN */
    f[2] = (struct feature){0x0002, 1, true, true, 4, {0x02}};
    /* removable medium: tray, eject, lock */
    f[3] = (struct feature){0x0003, 0, true, true, 4, {0x29}};
    /* random readable */
    f[4] = (struct feature){0x0010, 0, false, media, 8, {0}};
    put32(f[4].data, HK_CD_BLOCK);
    put16(f[4].data + 4, dvd ? 16 : 1);
    /* CD read, DVD read */
    f[5] = (struct feature){0x001E, 2, false, media && !dvd, 4, {0}};
    f[6] = (struct feature){0x001F, 0, false, dvd, 0, {0}};

    uint8_t b[8 + 7 * 20];
    memset(b, 0, sizeof(b));
    size_t n = 8;
    for (unsigned i = 0; i < 7; i++) {
        if (f[i].code < start || (rt == 1 && !f[i].current) || (rt == 2 && f[i].code != start))
            continue;
        put16(b + n, f[i].code);
        b[n + 2] = (uint8_t)(f[i].version << 2 | f[i].persistent << 1 | f[i].current);
        b[n + 3] = f[i].len;
        memcpy(b + n + 4, f[i].data, f[i].len);
        n += 4u + f[i].len;
    }
    put32(b, (uint32_t)(n - 4));
    put16(b + 6, profile);
    reply(c, b, n, alloc);
}

static void do_gesn(struct hk_cdrom *cd, struct hk_scsi_cmd *c)
{
    const uint8_t *cdb = c->cdb;
    uint32_t alloc = be16(cdb + 7);
    if (!(cdb[1] & 0x01)) { /* only polled operation */
        invalid_field(c);
        return;
    }
    uint8_t b[8];
    memset(b, 0, sizeof(b));
    b[3] = 0x10; /* supported classes: media */
    if (!(cdb[4] & 0x10)) {
        put16(b, 2);
        b[2] = 0x80; /* no event available */
        reply(c, b, 4, alloc);
        return;
    }
    put16(b, 6);
    b[2] = 0x04; /* media class */
    b[4] = cd->media_event & 0x0F;
    b[5] = (uint8_t)((cd->file.fd >= 0 ? 0x02 : 0) | (cd->tray_open ? 0x01 : 0));
    cd->media_event = 0;
    reply(c, b, 8, alloc);
}

static void do_read_disc_info(struct hk_cdrom *cd, struct hk_scsi_cmd *c)
{
    const uint8_t *cdb = c->cdb;
    if (!has_media(cd)) {
        not_ready(cd, c);
        return;
    }
    if (cdb[1] & 7) { /* only standard disc information */
        invalid_field(c);
        return;
    }
    uint8_t b[34];
    memset(b, 0, sizeof(b));
    put16(b, 32);
    b[2] = 0x0E; /* complete disc, complete last session, not erasable */
    b[3] = 1;    /* first track */
    b[4] = 1;    /* sessions */
    b[5] = 1;    /* first track in last session */
    b[6] = 1;    /* last track in last session */
    b[7] = 0x20; /* unrestricted use */
    b[8] = 0x00; /* CD-DA or CD-ROM disc */
    memset(b + 16, 0xFF, 8);
    reply(c, b, sizeof(b), be16(cdb + 7));
}

static void do_start_stop(struct hk_cdrom *cd, struct hk_scsi_cmd *c)
{
    const uint8_t *cdb = c->cdb;
    bool start = cdb[4] & 1, loej = cdb[4] & 2;
    if ((cdb[4] >> 4) != 0 || !loej)
        return; /* power conditions, spin up/down: nothing to do */
    if (!start) {
        if (cd->prevent) {
            check(c, HK_SK_ILLEGAL_REQUEST, 0x53, 0x02); /* MEDIUM REMOVAL PREVENTED */
            return;
        }
        if (!cd->tray_open) {
            cd->tray_open = true;
            if (cd->file.fd >= 0)
                cd->media_event = 3;
            hk_info(cd->log, "cdrom: the guest opened the tray");
        }
    } else if (cd->tray_open) {
        cd->tray_open = false;
        if (cd->file.fd >= 0)
            cd->media_event = 2;
        hk_info(cd->log, "cdrom: the guest closed the tray");
    }
}

static void do_report_luns(struct hk_scsi_cmd *c)
{
    uint8_t b[16];
    memset(b, 0, sizeof(b));
    put32(b, 8); /* one LUN: 0 */
    reply(c, b, sizeof(b), be32(c->cdb + 6));
}

void hk_cdrom_exec(struct hk_cdrom *cd, struct hk_scsi_cmd *c)
{
    c->status = HK_SCSI_GOOD;
    c->sense_len = 0;
    c->data_len = 0;
    c->want_len = 0;
    if (c->cdb_len < 1) {
        check(c, HK_SK_ILLEGAL_REQUEST, 0x20, 0x00);
        return;
    }
    const uint8_t *cdb = c->cdb;
    uint8_t op = cdb[0];
    if (c->cdb_len < cdb_length(op)) {
        invalid_field(c);
        return;
    }
    pthread_mutex_lock(&cd->lock);
    /* a pending unit attention ends the first command that is not exempt from it */
    if (cd->ua && op != OP_INQUIRY && op != OP_REQUEST_SENSE && op != OP_REPORT_LUNS &&
        op != OP_GET_CONFIGURATION && op != OP_GESN) {
        check(c, HK_SK_UNIT_ATTENTION, cd->ua_asc, cd->ua_ascq);
        cd->ua = false;
        pthread_mutex_unlock(&cd->lock);
        return;
    }
    switch (op) {
    case OP_TEST_UNIT_READY:
        if (!has_media(cd))
            not_ready(cd, c);
        break;
    case OP_REQUEST_SENSE: do_request_sense(cd, c); break;
    case OP_INQUIRY: do_inquiry(cd, c); break;
    case OP_MODE_SENSE6: do_mode_sense(cd, c, false); break;
    case OP_MODE_SENSE10: do_mode_sense(cd, c, true); break;
    case OP_START_STOP: do_start_stop(cd, c); break;
    case OP_PREVENT_ALLOW: cd->prevent = cdb[4] & 1; break;
    case OP_READ_CAPACITY10: do_read_capacity(cd, c); break;
    case OP_READ10: do_read(cd, c, be32(cdb + 2), be16(cdb + 7)); break;
    case OP_READ12: do_read(cd, c, be32(cdb + 2), be32(cdb + 6)); break;
    case OP_READ16: do_read(cd, c, be64(cdb + 2), be32(cdb + 10)); break;
    case OP_READ_TOC: do_read_toc(cd, c); break;
    case OP_GET_CONFIGURATION: do_get_configuration(cd, c); break;
    case OP_GESN: do_gesn(cd, c); break;
    case OP_READ_DISC_INFO: do_read_disc_info(cd, c); break;
    case OP_REPORT_LUNS: do_report_luns(c); break;
    case OP_SYNC_CACHE10:
    case OP_SET_CD_SPEED: break;
    case OP_SEEK10:
        if (!has_media(cd))
            not_ready(cd, c);
        else if (be32(cdb + 2) >= cd->blocks)
            check(c, HK_SK_ILLEGAL_REQUEST, 0x21, 0x00);
        break;
    case OP_WRITE10:
    case OP_WRITE12:
    case OP_WRITE16:
    case OP_WRITE_VERIFY10:
        if (!has_media(cd))
            not_ready(cd, c);
        else
            check(c, HK_SK_DATA_PROTECT, 0x27, 0x00); /* WRITE PROTECTED */
        break;
    default: check(c, HK_SK_ILLEGAL_REQUEST, 0x20, 0x00); break; /* INVALID COMMAND OP CODE */
    }
    pthread_mutex_unlock(&cd->lock);
}
