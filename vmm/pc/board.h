/*
 * The PC board Hako presents (QEMU "pc"-compatible, see ARCHITECTURE.md and PLATFORM.md): memory
 * map, firmware, chipset, ISA devices, fw_cfg + ACPI, the display, and later storage and input. The
 * board owns every device and wires reset.
 */
#ifndef HK_PC_BOARD_H
#define HK_PC_BOARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../core/vm.h"
#include "../dev/bochs-display.h"
#include "../dev/debugcon.h"
#include "../dev/i8042.h"
#include "../dev/serial.h"
#include "../dev/vmmouse.h"
#include "../diag/cpuwatch.h"
#include "../virtio/blk.h"
#include "../virtio/net.h"
#include "../virtio/scsi.h"
#include "acpi.h"
#include "apm.h"
#include "chipset.h"
#include "firmware.h"
#include "fw-cfg.h"
#include "../core/pci.h"
#include "rtc.h"

#define HK_PC_LOWMEM_MAX   0xE0000000ull /* RAM below 4 GiB tops out here... */
#define HK_PC_LOWMEM_LARGE 0xC0000000ull /* ...or here when RAM >= 3.5 GiB */
#define HK_PC_PCI_HOLE_END 0xFEC00000ull

#define HK_PC_MAX_DISKS   8
#define HK_PC_CDROM_DEVFN 0x18 /* virtio-scsi with the CD-ROM at 00:03.0 */
#define HK_PC_DISK_DEVFN  0x20 /* virtio-blk disks at 00:04.0, 00:05.0, ... */
/* The network card (virtio-net) at 00:0c.0: the first slot after the eight disks' (00:04-00:0b),
 * so that adding or removing the card moves no other device (and no firmware boot entry). */
#define HK_PC_NET_DEVFN 0x60

/* The network: a virtio-net card on passt (user-mode NAT), or none. */
struct hk_pc_net {
    bool enabled;        /* --net user */
    uint8_t mac[6];      /* default 52:54:00:12:34:56, as QEMU's first card */
    unsigned mtu;        /* 0: HK_NET_MTU_DEFAULT */
    const char *program; /* passt's name or path; NULL: "passt" from PATH */
    struct hk_net_forward fwd[HK_NET_MAX_FORWARDS];
    unsigned nfwd;
    /* > 0: a connected socket to use as the backend instead of starting passt (hako-replay's
     * board, tests); the card owns it from then on. 0: start passt. */
    int backend_fd;
};

struct hk_pc_disk {
    const char *path;
    bool readonly;
};

struct hk_pc_config {
    uint64_t ram_size;
    unsigned ncpus;
    struct hk_firmware_config fw;
    const char *vgabios_path; /* NULL: search the usual places; "" = no display ROM */
    unsigned edid_width, edid_height;
    size_t vram_size;
    bool no_display;
    FILE *debugcon_out;
    uint16_t debug_exit_port; /* 0 = none */
    bool boot_menu;
    unsigned boot_menu_wait_ms;
    const char *bootorder; /* fw_cfg "bootorder" text, NULL = none */
    int cmos_boot[3];      /* CMOS boot order: 1 floppy, 2 disk, 3 CD-ROM; 0 = end */
    /* storage: without an explicit bootorder, fw_cfg "bootorder" lists the CD-ROM and the disks
     * in the order cmos_boot gives */
    struct hk_pc_disk disks[HK_PC_MAX_DISKS];
    unsigned ndisks;
    const char *cdrom; /* NULL: no CD-ROM drive; "": a drive without a disc; else the ISO */
    /* the PIT's lost-tick policy; when not set: discard where the host emulates ring 0 (there
     * the guest takes interrupts so rarely that a backlog of timer ticks, higher in priority,
     * starves the keyboard's IRQ 1 in boot loaders that poll), else delay */
    bool lost_ticks_set;
    enum hk_lost_ticks lost_ticks;
    bool have_uuid; /* the machine's UUID (SMBIOS system UUID, fw_cfg UUID), text order */
    uint8_t uuid[16];
    struct hk_pc_net net;
};

/* What the board reads from files, opened and checked before the VM exists (hako-vmm's
 * configuration checks, host/config.c): hk_pc_init takes each part over (and clears it here);
 * hk_pc_inputs_free frees what was not taken. */
struct hk_pc_inputs {
    struct hk_firmware fw; /* loaded and validated (hk_firmware_load) */
    bool have_fw;
    struct hk_disk_file disks[HK_PC_MAX_DISKS]; /* opened and locked, in cfg->disks order */
    struct hk_disk_file cdrom;                  /* the disc, when cfg->cdrom names one */
    uint8_t *vgabios;                           /* the display option ROM (malloc), NULL for none */
    size_t vgabios_len;
};

void hk_pc_inputs_init(struct hk_pc_inputs *in);
void hk_pc_inputs_free(struct hk_pc_inputs *in);
/* The host's vgabios-bochs-display.bin, NULL when there is none. */
const char *hk_pc_find_vgabios(void);

struct hk_pc {
    struct hk_vm vm;
    struct hk_pc_config cfg;
    uint8_t *ram;
    size_t ram_size;
    uint64_t below_4g, above_4g;
    struct hk_firmware fw;
    struct hk_pci_host pci;
    struct hk_i440fx i440fx;
    struct hk_piix3 piix3;
    struct hk_piix4_pm pm;
    struct hk_rtc rtc;
    struct hk_fw_cfg fwcfg;
    struct hk_serial com1;
    struct hk_debugcon debugcon;
    struct hk_i8042 kbc;       /* PS/2 keyboard and mouse */
    struct hk_vmmouse vmmouse; /* absolute pointer on the PS/2 mouse */
    struct hk_bochs_display display;
    bool have_display;
    struct hk_virtio_scsi *scsi;                /* the CD-ROM drive, when there is one */
    struct hk_virtio_blk *blk[HK_PC_MAX_DISKS]; /* the disks */
    unsigned nblk;
    struct hk_virtio_net *net; /* the network card, when there is one */
    char *bootorder_text;      /* built from the storage devices */
    struct hk_apm apm;
    struct hk_cpuwatch cpuwatch;
    struct hk_acpi_blobs acpi;
    bool acpi_built;
    uint16_t acpi_pm_base;
    uint64_t pci64_start, pci64_size;
    int exit_status; /* set by the debug exit port */
    bool vm_ready, devices_ready;
};

/*
 * The board's control surface, used by hako-vmm's --keys script and by the app's control socket.
 * All are thread-safe and may be called from the event thread while vCPUs run.
 */
/* A key by Linux evdev code (linux/input-event-codes.h), pressed or released. Send presses and
 * releases only: the keyboard repeats a held key itself at the rate the guest chose. */
void hk_pc_key(struct hk_pc *pc, unsigned evdev_code, bool down);
/* Relative motion (dy positive = down the screen) and buttons (bit 0 left, 1 right, 2 middle,
 * 3 side, 4 extra); dz = wheel steps, positive towards the user (scrolling down). */
void hk_pc_pointer_rel(struct hk_pc *pc, int dx, int dy, int dz, unsigned buttons);
/* Absolute position, x and y scaled to 0..0xFFFF over the screen (only while
 * hk_pc_pointer_is_absolute; otherwise just the buttons and wheel reach the guest). */
void hk_pc_pointer_abs(struct hk_pc *pc, uint32_t x, uint32_t y, int dz, unsigned buttons);
/* True once the guest switched the absolute pointer (vmmouse) on. */
bool hk_pc_pointer_is_absolute(struct hk_pc *pc);
/* The ACPI power button (the guest decides what to do). */
void hk_pc_power_button(struct hk_pc *pc);
/* Inserts another ISO into the CD-ROM drive, or ejects it with path NULL. 0 or -1. */
int hk_pc_cdrom_change(struct hk_pc *pc, const char *path);
/* The network cable: plugged in or not. -1 when the VM has no network card. */
int hk_pc_net_set_link(struct hk_pc *pc, bool up);
/* The card's counters and state; false when the VM has no network card. */
bool hk_pc_net_stats(struct hk_pc *pc, struct hk_net_stats *stats, struct hk_net_state *state);

/* Builds the whole board from cfg and the files in in (taken over, see struct hk_pc_inputs).
 * Returns 0, or -1 with the reason in log->last_error; call hk_pc_destroy either way. */
int hk_pc_init(struct hk_pc *pc, const struct hk_pc_config *cfg, struct hk_pc_inputs *in,
               struct hk_log *log, struct hk_loop *loop);
/* After the vCPUs were joined (hk_vm_join): stops every other thread of the board (the virtio
 * workers), so that nothing records a fact or touches guest memory any more while what they use
 * (the control socket's listener, the facts) is torn down. Idempotent. */
void hk_pc_stop(struct hk_pc *pc);
/* The same board on a VM without KVM (hk_vm_init_nokvm): every device model, the memory map and
 * fw_cfg as hk_pc_init builds them, for replaying recorded guest accesses and for --dump-tables.
 * No vCPU ever runs. Returns 0, or -1 with the reason in log->last_error; call hk_pc_destroy
 * either way. */
int hk_pc_init_nokvm(struct hk_pc *pc, const struct hk_pc_config *cfg, struct hk_pc_inputs *in,
                     struct hk_log *log, struct hk_loop *loop);
void hk_pc_destroy(struct hk_pc *pc);

#endif
