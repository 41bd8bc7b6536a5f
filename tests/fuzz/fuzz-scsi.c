/* Fuzz target: the SCSI CDB decoder of the CD-ROM unit (and the virtio-scsi LUN addressing in
 * front of it). Each input is a sequence of commands: a length byte, the CDB bytes, the data-in
 * room and a LUN selector; some steps swap or remove the disc. The disc is a small ISO in memory
 * with an El Torito catalog. Checks: data never exceeds the room, CHECK CONDITION always carries
 * 18 bytes of fixed-format sense, GOOD never does. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../unit/cdimage.h"
#include "core/log.h"
#include "core/facts.h"
#include "virtio/cdrom.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define BLOCKS 64

static int make_disc(void)
{
    int fd = memfd_create("fuzz-iso", MFD_CLOEXEC);
    if (fd < 0)
        return -1;
    uint8_t b[2048];
    for (unsigned i = 0; i < BLOCKS; i++) {
        cdimage_block(b, i);
        if (pwrite(fd, b, sizeof(b), (off_t)i * 2048) != (ssize_t)sizeof(b))
            return -1;
    }
    return fd;
}

static void insert(struct hk_cdrom *cd, int disc)
{
    struct hk_disk_file f;
    memset(&f, 0, sizeof(f));
    f.fd = dup(disc);
    f.size = BLOCKS * 2048;
    f.readonly = true;
    f.path = strdup("fuzz.iso");
    hk_cdrom_insert(cd, &f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int disc = make_disc();
    if (disc < 0)
        return 0;
    struct hk_log log;
    hk_log_init(&log, NULL, HK_LOG_ERROR);
    struct hk_facts facts;
    hk_facts_init(&facts);
    struct hk_cdrom cd;
    hk_cdrom_init(&cd, &facts, &log);
    insert(&cd, disc);
    static uint8_t room[1 << 16]; /* the data-in buffer: contents are never read back */
    size_t pos = 0;
    while (pos < size) {
        uint8_t n = data[pos++];
        if (n == 0xFF) {
            insert(&cd, disc);
            continue;
        }
        if (n == 0xFE) {
            hk_cdrom_insert(&cd, NULL);
            continue;
        }
        if (n == 0xFD) {
            hk_cdrom_reset(&cd);
            continue;
        }
        unsigned len = n % 33;
        uint8_t cdb[32];
        memset(cdb, 0, sizeof(cdb));
        for (unsigned i = 0; i < len && pos < size; i++)
            cdb[i] = data[pos++];
        size_t r = pos + 1 < size ? ((size_t)data[pos] << 8 | data[pos + 1]) : 4096;
        pos += 2;
        /* split the buffer in two iovecs to exercise the scatter paths */
        struct iovec v[2] = {{room, r / 3}, {room + r / 3, r - r / 3}};
        struct hk_scsi_cmd c = {.cdb = cdb, .cdb_len = len, .din = v, .ndin = 2, .din_len = r};
        hk_cdrom_exec(&cd, &c);
        if (c.data_len > c.din_len)
            abort();
        if (c.status == HK_SCSI_CHECK_CONDITION && (c.sense_len != 18 || c.sense[0] != 0x70))
            abort();
        if (c.status == HK_SCSI_GOOD && c.sense_len != 0)
            abort();
        if (c.status != HK_SCSI_GOOD && c.status != HK_SCSI_CHECK_CONDITION)
            abort();
    }
    hk_cdrom_destroy(&cd);
    hk_facts_destroy(&facts);
    hk_log_destroy(&log);
    close(disc);
    return 0;
}
