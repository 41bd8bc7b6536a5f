/*
 * QEMU-compatible bochs-display: PCI 1234:1111, class 0x0380, subsystem 1af4:1100.
 * BAR0: linear framebuffer (VRAM, a memfd shared with the app, dirty-logged); BAR2: 4 KiB MMIO with
 * the EDID block at 0x000, a VGA I/O port image at 0x400, the DISPI (Bochs VBE) registers at
 * 0x500-0x515 and QEMU's extended registers at 0x600; an expansion ROM BAR carrying
 * vgabios-bochs-display.bin for BIOS guests. Register meanings follow the Bochs VBE interface
 * (vbe.h, "DISPI") as QEMU's hw/display/bochs-display.c implements it; the scanout is exactly what
 * the guest programmed: XRES, YRES, BPP 16/32, VIRT_WIDTH as the stride, X/Y_OFFSET as the pan.
 */
#ifndef HK_DEV_BOCHS_DISPLAY_H
#define HK_DEV_BOCHS_DISPLAY_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/pci.h"
#include "edid.h"

struct hk_vm;

#define HK_DISPI_ID               0
#define HK_DISPI_XRES             1
#define HK_DISPI_YRES             2
#define HK_DISPI_BPP              3
#define HK_DISPI_ENABLE           4
#define HK_DISPI_BANK             5
#define HK_DISPI_VIRT_WIDTH       6
#define HK_DISPI_VIRT_HEIGHT      7
#define HK_DISPI_X_OFFSET         8
#define HK_DISPI_Y_OFFSET         9
#define HK_DISPI_VIDEO_MEMORY_64K 10
#define HK_DISPI_NREGS            11
#define HK_DISPI_ENABLED          0x01
#define HK_DISPI_LFB_ENABLED      0x40
#define HK_DISPI_ID5              0xB0C5

struct hk_scanout {
    bool enabled; /* a valid mode is set */
    uint32_t width, height, bpp, stride;
    uint64_t offset; /* of the first visible pixel in VRAM */
    bool big_endian;
};

struct hk_bochs_display {
    struct hk_pci_dev pci;
    struct hk_vm *vm;
    pthread_mutex_t lock;
    int vram_fd;
    uint8_t *vram;
    size_t vram_size;
    uint8_t *rom;
    size_t rom_size;
    uint8_t edid[256];
    uint8_t vga_ports[0x20];
    uint16_t regs[HK_DISPI_NREGS];
    bool big_endian;
    uint64_t mode_sets;
    bool damage_seen_since_mode;
    uint64_t *dirty_bitmap;
    uint64_t scanout_gen; /* bumped on every scanout change */
    /* Under UEFI a mode set is the Graphics Output Protocol's (OVMF's QemuVideoDxe) until an OS
     * driver shows itself: Linux's bochs DRM driver writes the byte-order register 0x604, which
     * OVMF never touches. Mode-set facts say which it was. */
    bool uefi_firmware;
    bool os_driver;
};

/* vram_size: power of two, 4..256 MiB. rom may be NULL (no ROM BAR). Returns 0 or -1. */
int hk_bochs_display_init(struct hk_bochs_display *b, struct hk_vm *vm, size_t vram_size,
                          const uint8_t *rom, size_t rom_size, unsigned edid_w, unsigned edid_h);
void hk_bochs_display_destroy(struct hk_bochs_display *b);
int hk_bochs_display_register(struct hk_bochs_display *b, struct hk_pci_host *host, uint8_t devfn);
/* Current scanout; returns its generation (changes when the mode or pan changes). */
uint64_t hk_bochs_display_scanout(struct hk_bochs_display *b, struct hk_scanout *out);
/* True while the guest's operating system drives the display: its driver showed itself (see
 * os_driver), a mode is set and the guest drew in it since (the vCPU watch rests then). */
bool hk_bochs_display_os_active(struct hk_bochs_display *b);
/* Rows [*y0, *y1) of the scanout changed since the last call (KVM dirty log); false if none.
 * Without dirty logging (no KVM, BAR unmapped) everything counts as changed. */
bool hk_bochs_display_damage(struct hk_bochs_display *b, uint32_t *y0, uint32_t *y1);
/* The BAR2 register block, also used by unit tests. */
uint64_t hk_bochs_mmio_read(struct hk_bochs_display *b, uint64_t off, unsigned size);
void hk_bochs_mmio_write(struct hk_bochs_display *b, uint64_t off, uint64_t val, unsigned size);
/* Computes a scanout from DISPI registers (pure; exposed for tests). */
bool hk_dispi_scanout(const uint16_t regs[HK_DISPI_NREGS], size_t vram_size, bool big_endian,
                      struct hk_scanout *out);

#endif
