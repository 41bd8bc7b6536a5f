/*
 * QEMU's firmware configuration interface (fw_cfg) as SeaBIOS and OVMF read it: selector port 0x510
 * (16-bit), data port 0x511 (bytes), DMA address at 0x514 (big-endian high half) / 0x518 (low half,
 * writing it starts the transfer). Layout from QEMU's docs/specs/fw_cfg.txt: key 0x00 signature,
 * 0x01 feature bits, 0x05 CPU count, 0x0E boot menu, 0x0F max CPUs, 0x19 file directory, files from
 * 0x20. Every DMA address and length is checked against guest memory.
 */
#ifndef HK_PC_FW_CFG_H
#define HK_PC_FW_CFG_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct hk_vm;
struct hk_fw_cfg;

#define HK_FW_CFG_SIGNATURE  0x00
#define HK_FW_CFG_ID         0x01
#define HK_FW_CFG_UUID       0x02
#define HK_FW_CFG_RAM_SIZE   0x03
#define HK_FW_CFG_NB_CPUS    0x05
#define HK_FW_CFG_NUMA       0x0D
#define HK_FW_CFG_BOOT_MENU  0x0E
#define HK_FW_CFG_MAX_CPUS   0x0F
#define HK_FW_CFG_FILE_DIR   0x19
#define HK_FW_CFG_FILE_FIRST 0x20
#define HK_FW_CFG_MAX_FILES  64

#define HK_FW_CFG_DMA_ERROR  0x01
#define HK_FW_CFG_DMA_READ   0x02
#define HK_FW_CFG_DMA_SKIP   0x04
#define HK_FW_CFG_DMA_SELECT 0x08
#define HK_FW_CFG_DMA_WRITE  0x10

/* Called (with the fw_cfg lock held) when the guest selects an item, before any data moves. */
typedef void (*hk_fw_cfg_select_fn)(void *opaque, struct hk_fw_cfg *fc, uint16_t key);

struct hk_fw_cfg_item {
    uint8_t *data; /* owned copy */
    uint32_t len;
    char name[56];
    hk_fw_cfg_select_fn on_select;
    void *opaque;
    bool read_seen;
};

struct hk_fw_cfg {
    struct hk_vm *vm;
    pthread_mutex_t lock;
    struct hk_fw_cfg_item items[HK_FW_CFG_FILE_FIRST + HK_FW_CFG_MAX_FILES];
    unsigned nfiles;
    uint16_t cur;
    uint32_t offset;
    uint32_t dma_high;
    bool accessed;
    uint64_t dma_ops;
};

void hk_fw_cfg_init(struct hk_fw_cfg *fc, struct hk_vm *vm);
void hk_fw_cfg_destroy(struct hk_fw_cfg *fc);
int hk_fw_cfg_attach(struct hk_fw_cfg *fc); /* ports 0x510-0x51B */
void hk_fw_cfg_reset(struct hk_fw_cfg *fc);
/* Sets a numbered item (copied). */
int hk_fw_cfg_set(struct hk_fw_cfg *fc, uint16_t key, const void *data, uint32_t len);
int hk_fw_cfg_set_u16(struct hk_fw_cfg *fc, uint16_t key, uint16_t v);
int hk_fw_cfg_set_u32(struct hk_fw_cfg *fc, uint16_t key, uint32_t v);
int hk_fw_cfg_set_u64(struct hk_fw_cfg *fc, uint16_t key, uint64_t v);
/* Adds or replaces a named file; returns its key or -1. */
int hk_fw_cfg_add_file(struct hk_fw_cfg *fc, const char *name, const void *data, uint32_t len);
/* Replaces a file's contents (for lazily built files; may be called from on_select). */
int hk_fw_cfg_update_file_locked(struct hk_fw_cfg *fc, const char *name, const void *data,
                                 uint32_t len);
void hk_fw_cfg_on_select(struct hk_fw_cfg *fc, const char *name, hk_fw_cfg_select_fn fn,
                         void *opaque);
int hk_fw_cfg_find(struct hk_fw_cfg *fc, const char *name);

/* Port-level access (also used by unit tests). */
uint64_t hk_fw_cfg_port_read(struct hk_fw_cfg *fc, unsigned off, unsigned size);
void hk_fw_cfg_port_write(struct hk_fw_cfg *fc, unsigned off, uint64_t val, unsigned size);

#endif
