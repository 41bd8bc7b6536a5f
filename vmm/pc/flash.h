/*
 * A CFI parallel NOR flash with the Intel/Sharp command set, byte-wide, 4 KiB blocks: the UEFI
 * variable store (OVMF_VARS) below the OVMF code, as QEMU's pc machine presents it with
 * "-drive if=pflash". Documents: JEDEC JESD68.01 (Common Flash Interface), Intel "Common Flash
 * Interface and Command Sets" application note (AP-646) for the basic command set: read array
 * (0xFF, also 0x00 and 0xF0), read status (0x70), clear status (0x50), byte program (0x10/0x40
 * + data), block erase (0x20 + 0xD0), write to buffer (0xE8 + count + data + 0xD0), block lock
 * (0x60 + 0x01/0xD0), read identifier (0x90), CFI query (0x98). OVMF's use of it:
 * OvmfPkg/QemuFlashFvbServicesRuntimeDxe/QemuFlash.c (edk2-stable202211): probe 0x50 then 0x70
 * (expects status 0x00), program 0x10 + byte per byte then 0xFF, erase 0x20 + 0xD0 per block.
 * QEMU's hw/block/pflash_cfi01.c was read for how guests see it (status after clear = 0x00, ready
 * bit 0x80 after each operation, status mode until 0xFF); programming stores the byte as written.
 *
 * Array reads come straight from a read-only KVM memslot (no exit); guest writes to a read-only
 * memslot exit as MMIO and reach this model. While a command leaves the chip out of read-array
 * mode the memslot is removed, so reads exit too and return status/ID/CFI data; back in read-array
 * mode it is mapped again.
 *
 * Persistence: every program/erase is written to the VM's own store file at once (pwrite: an
 * engine crash loses nothing), and fdatasync'd when a burst of changes ends (a short quiet timer on
 * the event thread, on reset and on destroy). Without a file the store lives in memory only.
 */
#ifndef HK_PC_FLASH_H
#define HK_PC_FLASH_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hk_vm;
struct hk_timer;

#define HK_FLASH_BLOCK     0x1000u
#define HK_FLASH_WBUF_SIZE 32u /* write-to-buffer size announced in the CFI table */

/* status register bits */
#define HK_FLASH_SR_READY     0x80
#define HK_FLASH_SR_ERASE_ERR 0x20
#define HK_FLASH_SR_PROG_ERR  0x10
#define HK_FLASH_SR_LOCKED    0x02

struct hk_flash {
    struct hk_vm *vm;
    pthread_mutex_t lock;
    uint64_t base;
    size_t size;
    uint8_t *array; /* page-aligned; the memslot maps it */
    int fd;         /* the VM's store file, -1 = memory only */
    char path[512];
    bool attached;
    bool romd;      /* read-array mode with the memslot mapped */
    uint8_t cmd;    /* 0x00 = read array */
    uint8_t wcycle; /* which cycle of a multi-cycle command comes next */
    uint8_t status;
    /* write to buffer */
    uint64_t wb_start;
    unsigned wb_count, wb_got;
    uint8_t wb_data[HK_FLASH_WBUF_SIZE];
    uint8_t wb_mask[HK_FLASH_WBUF_SIZE]; /* which bytes the guest gave */
    /* counters */
    uint64_t programs, erases, errors, status_reads;
    bool probed;
    /* persistence */
    bool dirty;   /* written since the last fdatasync */
    int io_error; /* errno of the last failed write, 0 = none */
    struct hk_timer *sync_timer;
};

/* Creates the model over contents (copied); fd (may be -1) is the VM's store file, which the model
 * now owns. Returns 0 or -1. */
int hk_flash_init(struct hk_flash *f, struct hk_vm *vm, uint64_t base, const uint8_t *contents,
                  size_t size, int fd, const char *path);
/* Maps it into the guest (memslot + MMIO handler). 0 or -1. */
int hk_flash_attach(struct hk_flash *f);
/* Power-on state: read-array mode, status ready. Also syncs the file. */
void hk_flash_reset(struct hk_flash *f);
/* Makes the file durable now. 0 or -1. */
int hk_flash_sync(struct hk_flash *f);
void hk_flash_destroy(struct hk_flash *f);

/* The guest-facing accesses (also used by unit tests); offset is within the flash. */
uint64_t hk_flash_read(struct hk_flash *f, uint64_t offset, unsigned size);
void hk_flash_write(struct hk_flash *f, uint64_t offset, uint64_t value, unsigned size);

#endif
