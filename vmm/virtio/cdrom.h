/*
 * A CD/DVD-ROM logical unit (peripheral device type 5, 2048-byte blocks) over an ISO image file,
 * read-only, answering the commands firmware and Linux's sr driver use, after SPC-3 (T10/1416-D)
 * and MMC-5 (T10/1675-D): TEST UNIT READY, REQUEST SENSE, INQUIRY (standard data and VPD pages
 * 0x00, 0x80, 0x83), READ CAPACITY(10), READ(10)/(12)/(16), MODE SENSE(6)/(10) (pages 0x01, 0x2A,
 * 0x3F), READ TOC/PMA/ATIP (formats 0, 1, 2), GET CONFIGURATION, GET EVENT STATUS NOTIFICATION
 * (polled, media class), READ DISC INFORMATION, PREVENT ALLOW MEDIUM REMOVAL, START STOP UNIT
 * (eject and load), REPORT LUNS, and the harmless SYNCHRONIZE CACHE / SET CD SPEED / SEEK.
 * Everything else gets CHECK CONDITION with fixed-format sense (ILLEGAL REQUEST / INVALID COMMAND
 * OPERATION CODE, DATA PROTECT for writes).
 *
 * Media: a disc can be inserted, swapped or removed at any time (hk_cdrom_insert); the guest may
 * open and close the tray unless it prevented removal. A change raises a unit attention (NOT READY
 * TO READY CHANGE, MEDIUM MAY HAVE CHANGED) and a GET EVENT STATUS NOTIFICATION media event.
 * Reset raises POWER ON, RESET, OR BUS DEVICE RESET OCCURRED.
 *
 * Boot facts: when a disc is inserted its El Torito structures are read by the common disc reader
 * (hako/iso.h: the boot record, the boot catalog it points to, the bootable images per platform
 * that lie inside the image); reads that touch them are
 * recorded as HK_FACT_BOOT_READ (a = LBA, b = 0 boot record / 1 catalog / 2 boot image, c =
 * platform mask for the catalog (1 BIOS, 2 UEFI) or platform of the image (0 BIOS, 0xEF UEFI)).
 *
 * Thread-safe: one lock guards the unit; it is held while a command reads the image (only the
 * control path that swaps discs waits for it, never a vCPU).
 */
#ifndef HK_VIRTIO_CDROM_H
#define HK_VIRTIO_CDROM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "../block/disk.h"

struct hk_facts;
struct hk_log;

#define HK_CD_BLOCK       2048u
#define HK_SENSE_LEN      18u
#define HK_CD_MAX_BOOTIMG 8

/* SCSI status */
#define HK_SCSI_GOOD            0x00
#define HK_SCSI_CHECK_CONDITION 0x02

/* sense keys */
#define HK_SK_NO_SENSE        0x0
#define HK_SK_NOT_READY       0x2
#define HK_SK_MEDIUM_ERROR    0x3
#define HK_SK_ILLEGAL_REQUEST 0x5
#define HK_SK_UNIT_ATTENTION  0x6
#define HK_SK_DATA_PROTECT    0x7

/* One command: the CDB, the data-in buffers (guest memory) and, on return, the outcome. */
struct hk_scsi_cmd {
    const uint8_t *cdb;
    unsigned cdb_len;
    const struct iovec *din;
    unsigned ndin;
    uint64_t din_len;  /* room for data-in */
    uint64_t dout_len; /* data-out the initiator sent (read-only unit: only checked) */
    /* results */
    uint8_t status;
    uint8_t sense[HK_SENSE_LEN];
    unsigned sense_len; /* 0 unless CHECK CONDITION */
    uint64_t data_len;  /* bytes of data-in produced */
    uint64_t want_len;  /* bytes the command wanted to transfer (> din_len: overrun) */
};

struct hk_eltorito_image {
    uint32_t lba, sectors512;
    uint8_t platform; /* 0 x86 BIOS, 0xEF UEFI, others as in the catalog */
    bool seen;
};

struct hk_cdrom {
    pthread_mutex_t lock;
    struct hk_facts *facts;
    struct hk_log *log;
    struct hk_disk_file file; /* fd < 0: no disc */
    uint64_t blocks;
    bool tray_open, prevent;
    bool ua;
    uint8_t ua_asc, ua_ascq;
    uint8_t media_event; /* GESN media event code waiting to be reported */
    /* El Torito, parsed at insertion */
    bool et_record;
    uint32_t et_record_lba;
    uint32_t et_catalog;
    unsigned et_nimg;
    struct hk_eltorito_image et_img[HK_CD_MAX_BOOTIMG];
    bool et_record_seen, et_catalog_seen;
    uint64_t changes; /* discs inserted or removed so far */
};

void hk_cdrom_init(struct hk_cdrom *cd, struct hk_facts *facts, struct hk_log *log);
void hk_cdrom_destroy(struct hk_cdrom *cd);
/* Inserts the disc in *f (ownership moves; f may be NULL to remove the disc). The tray closes. */
void hk_cdrom_insert(struct hk_cdrom *cd, struct hk_disk_file *f);
/* Power-on / bus reset: unit attention, removal allowed again. The disc stays. */
void hk_cdrom_reset(struct hk_cdrom *cd);
/* Executes one command. */
void hk_cdrom_exec(struct hk_cdrom *cd, struct hk_scsi_cmd *c);

/* Fills fixed-format sense data (18 bytes). */
void hk_scsi_sense(uint8_t *sense, uint8_t key, uint8_t asc, uint8_t ascq);

#endif
