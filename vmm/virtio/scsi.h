/*
 * virtio-scsi (VIRTIO 1.1 §5.6 "SCSI Host Device"): PCI 1af4:1048 over the modern transport with a
 * control queue, an event queue and one request queue, and a single target (0) holding one CD-ROM
 * logical unit (LUN 0, cdrom.h). Requests to other targets answer VIRTIO_SCSI_S_BAD_TARGET; other
 * LUNs of target 0 answer like a target without that unit (INQUIRY peripheral qualifier 3, CHECK
 * CONDITION LOGICAL UNIT NOT SUPPORTED). Task management functions complete at once (commands never
 * wait); asynchronous notification is not offered (event_actual 0). cdb_size and sense_size are the
 * driver-writable configuration fields that frame every request.
 */
#ifndef HK_VIRTIO_SCSI_H
#define HK_VIRTIO_SCSI_H

#include <stdbool.h>
#include <stdint.h>

#include "cdrom.h"
#include "pci.h"

#define HK_SCSI_CFG_SIZE      0x24
#define HK_SCSI_DEFAULT_CDB   32
#define HK_SCSI_DEFAULT_SENSE 96
#define HK_SCSI_MAX_CDB       256
#define HK_SCSI_MAX_SENSE     256

/* virtio-scsi response codes (§5.6.6.1) */
#define HK_VSCSI_S_OK                 0
#define HK_VSCSI_S_OVERRUN            1
#define HK_VSCSI_S_BAD_TARGET         3
#define HK_VSCSI_S_FUNCTION_SUCCEEDED 10
#define HK_VSCSI_S_FUNCTION_REJECTED  11
#define HK_VSCSI_S_INCORRECT_LUN      12

#define HK_VSCSI_F_HOTPLUG (1ull << 1)
#define HK_VSCSI_F_CHANGE  (1ull << 2)

struct hk_virtio_scsi {
    struct hk_virtio_pci t;
    struct hk_vm *vm;
    struct hk_cdrom cd;
    uint32_t cdb_size, sense_size; /* atomics: written by vCPUs, read by the worker */
    struct hk_virtq_elem *elem;
    uint64_t commands; /* worker thread */
};

/* An empty drive; insert a disc with hk_cdrom_insert(&s->cd, ...). */
int hk_virtio_scsi_init(struct hk_virtio_scsi *s, struct hk_vm *vm);
int hk_virtio_scsi_register(struct hk_virtio_scsi *s, struct hk_pci_host *host, uint8_t devfn);
void hk_virtio_scsi_destroy(struct hk_virtio_scsi *s);

/* Decodes the 8-byte virtio-scsi LUN field: returns false when it does not address target 0
 * (bad target); *lun gets the LUN (0x4000 flat or peripheral addressing; others: 0xFFFFFFFF). */
bool hk_vscsi_decode_lun(const uint8_t *lun8, uint32_t *lun);
/* Executes one command on target 0 (also used by the fuzz target). */
void hk_vscsi_exec(struct hk_virtio_scsi *s, uint32_t lun, struct hk_scsi_cmd *c);

#endif
