/*
 * The known-differences table: every read where Hako's device models answer differently from
 * QEMU's on purpose, or where the answer depends on something the trace does not carry (the time,
 * DMA). Each entry names the device (as the replay labels it), the registers, an optional
 * condition and the reason. A difference no entry covers is an unexplained mismatch: a bug to fix
 * in the device model, or a new entry here with its reason.
 */
#include "known.h"

#include <string.h>

#include "pc/board.h"
#include "virtio/pci.h"

/* ---- conditions ---- */

/* RTC data port: the register the index selects */
static uint8_t rtc_index(struct hk_pc *pc)
{
    return pc->rtc.index & 0x7F;
}

static bool rtc_clock(struct hk_pc *pc, const struct access *a, uint64_t hako)
{
    (void)a;
    (void)hako;
    uint8_t i = rtc_index(pc);
    return i <= 0x09 || i == 0x32; /* seconds ... year, century */
}

static bool rtc_uip(struct hk_pc *pc, const struct access *a, uint64_t hako)
{
    return rtc_index(pc) == 0x0A && ((a->value ^ hako) & ~0x80ull) == 0;
}

static bool rtc_flags(struct hk_pc *pc, const struct access *a, uint64_t hako)
{
    (void)a;
    (void)hako;
    return rtc_index(pc) == 0x0C;
}

static bool pm_timer(struct hk_pc *pc, const struct access *a, uint64_t hako)
{
    (void)hako;
    uint16_t base = hk_piix4_pm_base(&pc->pm);
    return base && a->addr >= base + 8u && a->addr < base + 12u;
}

/* the two values differ in exactly these bits */
static bool differ_in(const struct access *a, uint64_t hako, uint64_t bits)
{
    return (a->value ^ hako) != 0 && ((a->value ^ hako) & ~bits) == 0;
}

static bool piix3_pcicmd(struct hk_pc *pc, const struct access *a, uint64_t hako)
{
    (void)pc;
    return a->reg == 0x04 && differ_in(a, hako, 0x0007);
}

static bool kbc_cmd_sys(struct hk_pc *pc, const struct access *a, uint64_t hako)
{
    (void)pc;
    return differ_in(a, hako, 0x0C);
}

/* the virtio transport whose BAR holds this access */
static struct hk_virtio_pci *virtio_at(struct hk_pc *pc, const struct access *a)
{
    struct hk_bus_region br;
    if (!hk_bus_find(&pc->vm.mmio, a->addr, &br))
        return NULL;
    for (unsigned i = 0; i < pc->nblk; i++)
        if (br.opaque == &pc->blk[i]->t)
            return br.opaque;
    if (pc->scsi && br.opaque == &pc->scsi->t)
        return br.opaque;
    if (pc->net && br.opaque == &pc->net->t)
        return br.opaque;
    return NULL;
}

#define VIRTIO_F_RING_RESET (1ull << 40)

static bool ring_reset_offer(struct hk_pc *pc, const struct access *a, uint64_t hako)
{
    struct hk_virtio_pci *t = virtio_at(pc, a);
    return t && a->size == 4 && t->dfselect == 1 && differ_in(a, hako, VIRTIO_F_RING_RESET >> 32);
}

/* FEATURES_OK refused only because the driver in the trace took RING_RESET, which QEMU offered */
static bool ring_reset_taken(struct hk_pc *pc, const struct access *a, uint64_t hako)
{
    struct hk_virtio_pci *t = virtio_at(pc, a);
    return t && differ_in(a, hako, 0x08) && (a->value & 0x08) &&
           (t->guest_features & ~t->host_features) == VIRTIO_F_RING_RESET;
}

/* num_queues: QEMU counts its control queue, which Hako's card does not have */
static bool net_ctrl_queue(struct hk_pc *pc, const struct access *a, uint64_t hako)
{
    return pc->net && virtio_at(pc, a) == &pc->net->t && a->size == 2 && hako == 2 && a->value == 3;
}

/* a read (partly) past the device's configuration size: QEMU all ones, Hako zeros */
static bool past_device_config(struct hk_pc *pc, const struct access *a, uint64_t hako)
{
    struct hk_virtio_pci *t = virtio_at(pc, a);
    return t && a->reg - HK_VIRTIO_DEVCFG_OFF + a->size > t->cfg_size && hako == 0 &&
           a->value == hk_ones(a->size);
}

static bool uart_out2(struct hk_pc *pc, const struct access *a, uint64_t hako)
{
    (void)pc;
    return differ_in(a, hako, 0x08);
}

static const struct known_diff table[] = {
    {"rtc", "data port, clock registers 0x00-0x09 and 0x32", 0x71, 0x71, rtc_clock,
     "the time of day: QEMU read the host's clock when it was recorded, Hako reads it now"},
    {"rtc", "data port, register A bit 7 (UIP)", 0x71, 0x71, rtc_uip,
     "update in progress: set during the 244 us before each second's update, which falls at a "
     "different moment of the replay"},
    {"rtc", "data port, register C (interrupt flags)", 0x71, 0x71, rtc_flags,
     "the update-ended, alarm and periodic flags depend on how much time passed between reads"},
    {"piix4-pm", "PM timer (PM base + 8)", 0, 0xFFFF, pm_timer,
     "a free-running 3.579545 MHz counter: its value depends on when it is read"},
    {"bochs-display", "EDID block (BAR2 0x000-0x3FF)", 0x000, 0x3FF, NULL,
     "Hako's own EDID: its monitor name, serial and mode list (the preferred 1280x800 mode is "
     "the same); edid.c"},
    {"pci 00:01.1 (none)", "the whole configuration space", 0x00, 0xFF, NULL,
     "QEMU's pc machine always has the PIIX3 IDE function at 00:01.1; Hako has no IDE "
     "controller (its disks and CD-ROM are virtio), so nothing answers there"},
    {"qemu 'ide*", "legacy IDE ports 0x1F0-0x1F7, 0x170-0x177, 0x3F6, 0x376", 0, 0xFFFF, NULL,
     "the PIIX3 IDE controller's registers: Hako has no IDE"},
    {"qemu 'piix-bmdma*", "IDE bus-master DMA", 0, 0xFFFF, NULL,
     "the PIIX3 IDE controller's registers: Hako has no IDE"},
    {"qemu 'dma-*", "ISA DMA controllers and page registers (0x00-0x0F, 0x80-0x8F, 0xC0-0xDF)", 0,
     0xFFFF, NULL,
     "QEMU's pc has the two 8237 DMA controllers; Hako has no ISA DMA (no floppy, no ISA sound "
     "card); Linux's probe reads all ones"},
    {"qemu 'acpi-cpu-hotplug'", "CPU hot-plug interface (0xAF00-0xAF0B)", 0xAF00, 0xAF0B, NULL,
     "QEMU's CPU hot-plug registers; Hako has no CPU hot-plug (OVMF takes all ones for "
     "'absent')"},
    {"qemu 'acpi-pci-hotplug'", "PCI hot-plug interface (0xAE00-0xAE17)", 0xAE00, 0xAE17, NULL,
     "QEMU's PCI hot-plug registers, read by the methods of QEMU's own DSDT; Hako's DSDT has no "
     "hot-plug"},
    {"pci 00:01.0 piix3", "PCICMD (0x04)", 0x04, 0x05, piix3_pcicmd,
     "the PIIX3 datasheet's reset value 0007h (the ISA bridge always decodes and masters); "
     "QEMU resets it to 0; firmware and drivers only write it"},
    {"i8042", "status register bits 3 (command/data) and 2 (system flag)", 0x64, 0x64, kbc_cmd_sys,
     "Hako's status register says whether the last byte went to port 0x64 or 0x60 and its system "
     "flag follows bit 2 of the command byte, as the AT's 8042 does (SeaBIOS, OVMF and Linux "
     "write the command byte with it clear); QEMU keeps both bits set once set"},
    {"com1", "MCR (0x3FC) bit 3 (OUT2) before the guest wrote MCR", 0x3FC, 0x3FC, uart_out2,
     "a 16550 resets MCR to 0 (Hako); QEMU's model presets OUT2; every driver writes MCR "
     "before it relies on it"},
    {"virtio-*", "device_feature bits 32-63 (0x04 with device_feature_select 1): bit 40", 0x04,
     0x07, ring_reset_offer,
     "VIRTIO_F_RING_RESET (VIRTIO 1.2 per-queue reset, new in QEMU 7.2) is not offered: Hako's "
     "queues are reset with the device; Linux and OVMF work without it"},
    {"virtio-*", "device_status (0x14) bit 3 (FEATURES_OK)", 0x14, 0x14, ring_reset_taken,
     "the driver in the trace accepted RING_RESET, which only QEMU offered, so Hako refuses "
     "FEATURES_OK as the specification requires; a driver talking to Hako never sees the bit"},
    {"virtio-*", "device configuration past its end (BAR4 0x2000-0x2FFF)", 0x2000, 0x2FFF,
     past_device_config,
     "the device-configuration window is 4 KiB (its capability says so, in QEMU too) but the "
     "structure is shorter (virtio-net: 12 bytes with MTU); VIRTIO leaves reads past it undefined: "
     "QEMU answers all ones for an access that reaches past the end, Hako zeros; drivers read "
     "there only for fields of features they negotiated, which the device then has"},
    {"virtio-net", "common configuration num_queues (0x12)", 0x12, 0x13, net_ctrl_queue,
     "QEMU's virtio-net always creates its control queue (for old guests that use it without "
     "negotiating VIRTIO_NET_F_CTRL_VQ) and counts it: 3 queues with ctrl_vq=off; Hako offers no "
     "control queue, so its card has receiveq1 and transmitq1 only (VIRTIO 1.1 5.1.2: controlq "
     "exists only with CTRL_VQ); drivers that did not negotiate it never touch queue 2"},
    {"virtio-blk", "device configuration 0x18-0x1B (physical_block_exp, min_io_size)", 0x2018,
     0x201B, NULL,
     "Hako reports 4 KiB physical blocks (exponent 3, minimum I/O 8 sectors) so guests align "
     "to the host's pages; QEMU reports 512-byte blocks unless told otherwise"},
    {"virtio-blk", "device configuration 0x2C-0x2F (discard_sector_alignment)", 0x202C, 0x202F,
     NULL, "discards aligned to the 4 KiB physical block (8 sectors); QEMU: 1 sector"},
    {"virtio-scsi", "device configuration 0x04-0x07 (seg_max)", 0x2004, 0x2007, NULL,
     "Hako takes chains up to its 1024-descriptor limit (seg_max 1022, indirect descriptors); "
     "QEMU says queue size - 2"},
    {"virtio-scsi", "device configuration 0x1C-0x23 (max_channel, max_target, max_lun)", 0x201C,
     0x2023, NULL,
     "one target with one LUN, the CD-ROM drive at 0:0:0 (max_target 0, max_lun 0), so drivers "
     "do not scan 256 targets; QEMU: 255 targets, 16384 LUNs"},
};

int hk_known_difference(struct hk_pc *pc, const char *dev, const struct access *a, uint64_t hako)
{
    for (unsigned i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        const struct known_diff *k = &table[i];
        size_t n = strlen(k->dev);
        bool dev_ok =
            n && k->dev[n - 1] == '*' ? strncmp(k->dev, dev, n - 1) == 0 : strcmp(k->dev, dev) == 0;
        if (!dev_ok || a->reg < k->lo || a->reg > k->hi)
            continue;
        if (k->when && !k->when(pc, a, hako))
            continue;
        return (int)i;
    }
    return -1;
}

unsigned hk_known_count(void)
{
    return sizeof(table) / sizeof(table[0]);
}

const struct known_diff *hk_known_entry(unsigned i)
{
    return i < hk_known_count() ? &table[i] : NULL;
}
