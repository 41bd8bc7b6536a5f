#include "board.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "smbios.h"

#define FOUR_GB 0x100000000ull

const char *hk_pc_find_vgabios(void)
{
    static const char *const paths[] = {
        "/usr/share/seabios/vgabios-bochs-display.bin",
        "/usr/share/qemu/vgabios-bochs-display.bin",
    };
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
        if (access(paths[i], R_OK) == 0)
            return paths[i];
    return NULL;
}

void hk_pc_inputs_init(struct hk_pc_inputs *in)
{
    memset(in, 0, sizeof(*in));
    in->fw.vars_fd = -1;
    for (unsigned i = 0; i < HK_PC_MAX_DISKS; i++)
        in->disks[i].fd = -1;
    in->cdrom.fd = -1;
}

void hk_pc_inputs_free(struct hk_pc_inputs *in)
{
    hk_firmware_free(&in->fw);
    for (unsigned i = 0; i < HK_PC_MAX_DISKS; i++)
        hk_disk_close(&in->disks[i]);
    hk_disk_close(&in->cdrom);
    free(in->vgabios);
    hk_pc_inputs_init(in);
}

/* Legacy VGA memory 0xA0000-0xBFFFF: there is no VGA, but writes there (vgacon, programs writing
 * 0xB8000) are a diagnostic fact: the guest is drawing text the display cannot show. */
static uint64_t vga_hole_read(void *opaque, uint64_t off, unsigned size)
{
    (void)opaque;
    (void)off;
    return hk_ones(size);
}

static void vga_hole_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    struct hk_pc *pc = opaque;
    (void)val;
    (void)size;
    /* the first write is a fact in the timeline (the guest draws text nobody sees), the rest
     * are counted */
    if (hk_facts_get_count(&pc->vm.facts, HK_FACT_VGA_TEXT_WRITE) == 0) {
        hk_fact(&pc->vm.facts, HK_FACT_VGA_TEXT_WRITE, (int64_t)(0xA0000 + off), (int64_t)val, 0,
                "legacy VGA memory written at 0x%llx: there is no VGA to show it",
                (unsigned long long)(0xA0000 + off));
        hk_info(pc->vm.log, "guest writes legacy VGA memory at 0x%llx (no VGA on this board)",
                (unsigned long long)(0xA0000 + off));
    } else {
        hk_fact_count(&pc->vm.facts, HK_FACT_VGA_TEXT_WRITE);
    }
}

static const struct hk_io_ops vga_hole_ops = {vga_hole_read, vga_hole_write};

/* isa-debug-exit: a write of V ends the engine with status (V << 1) | 1. */
static uint64_t exit_port_read(void *opaque, uint64_t off, unsigned size)
{
    (void)opaque;
    (void)off;
    return hk_ones(size);
}

static void exit_port_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    struct hk_pc *pc = opaque;
    (void)off;
    (void)size;
    int status = (int)(((val & 0xFF) << 1) | 1);
    pc->exit_status = status;
    char why[64];
    snprintf(why, sizeof(why), "debug exit port written with 0x%llx", (unsigned long long)val);
    hk_vm_request_stop(&pc->vm, status, why);
}

static const struct hk_io_ops exit_port_ops = {exit_port_read, exit_port_write};

/* The vCPU watch rests while the guest's OS drives the display (the screen then speaks for
 * itself); a reset clears that (the display's reset forgets the driver). */
static bool display_os_active(void *opaque)
{
    struct hk_pc *pc = opaque;
    return hk_bochs_display_os_active(&pc->display);
}

/* A device's port, slot or handler registration: -1 with the reason logged when it failed. */
static int attached(struct hk_log *log, int r, const char *what)
{
    if (r < 0)
        hk_err(log, "cannot attach %s: its ports or slot are taken", what);
    return r < 0 ? -1 : 0;
}

static void build_acpi_locked(struct hk_pc *pc, struct hk_fw_cfg *fc)
{
    uint16_t base = hk_piix4_pm_base(&pc->pm);
    if (!base)
        base = HK_PM_DEFAULT_BASE;
    if (pc->acpi_built && pc->acpi_pm_base == base)
        return;
    struct hk_acpi_params p = {
        .ncpus = pc->vm.ncpus,
        .pm_base = base,
        .pci32_start = pc->below_4g,
        .pci32_end = HK_PC_PCI_HOLE_END - 1,
        .pci64_start = pc->pci64_start,
        .pci64_size = pc->pci64_size,
        .no_vga = 1,
    };
    struct hk_acpi_blobs b;
    if (hk_acpi_build(&p, &b) < 0)
        return;
    hk_acpi_free(&pc->acpi);
    pc->acpi = b;
    pc->acpi_built = true;
    pc->acpi_pm_base = base;
    hk_fw_cfg_update_file_locked(fc, "etc/acpi/rsdp", b.rsdp, (uint32_t)b.rsdp_len);
    hk_fw_cfg_update_file_locked(fc, "etc/acpi/tables", b.tables, (uint32_t)b.tables_len);
    hk_fw_cfg_update_file_locked(fc, "etc/table-loader", b.loader, (uint32_t)b.loader_len);
}

static void acpi_select(void *opaque, struct hk_fw_cfg *fc, uint16_t key)
{
    (void)key;
    build_acpi_locked(opaque, fc);
}

static int setup_fw_cfg(struct hk_pc *pc)
{
    struct hk_fw_cfg *fc = &pc->fwcfg;
    const struct hk_pc_config *c = &pc->cfg;
    hk_fw_cfg_set_u16(fc, HK_FW_CFG_NB_CPUS, (uint16_t)pc->vm.ncpus);
    hk_fw_cfg_set_u16(fc, HK_FW_CFG_MAX_CPUS, (uint16_t)pc->vm.ncpus);
    hk_fw_cfg_set_u64(fc, HK_FW_CFG_RAM_SIZE, pc->ram_size);
    hk_fw_cfg_set_u16(fc, HK_FW_CFG_BOOT_MENU, c->boot_menu ? 1 : 0);
    static const uint8_t no_uuid[16];
    hk_fw_cfg_set(fc, HK_FW_CFG_UUID, c->have_uuid ? c->uuid : no_uuid, 16);

    /* etc/e820: {u64 address, u64 length, u32 type} little-endian */
    uint8_t e820[3 * 20];
    unsigned n = 0;
    struct {
        uint64_t addr, len;
        uint32_t type;
    } ents[3] = {{0, pc->below_4g, 1}, {0xFEFFC000ull, 0x4000, 2}, {FOUR_GB, pc->above_4g, 1}};
    for (unsigned i = 0; i < 3; i++) {
        if (!ents[i].len)
            continue;
        uint8_t *e = e820 + 20 * n++;
        for (int b = 0; b < 8; b++) {
            e[b] = (uint8_t)(ents[i].addr >> (8 * b));
            e[8 + b] = (uint8_t)(ents[i].len >> (8 * b));
        }
        for (int b = 0; b < 4; b++)
            e[16 + b] = (uint8_t)(ents[i].type >> (8 * b));
    }
    if (hk_fw_cfg_add_file(fc, "etc/e820", e820, 20 * n) < 0)
        return -1;
    /* SMBIOS: SeaBIOS builds slow legacy tables itself when these are missing */
    struct hk_smbios_params sp = {pc->vm.ncpus, pc->below_4g, pc->above_4g, HAKO_VERSION,
                                  pc->cfg.have_uuid ? pc->cfg.uuid : NULL};
    struct hk_smbios sm;
    if (hk_smbios_build(&sp, &sm) == 0) {
        int r =
            hk_fw_cfg_add_file(fc, "etc/smbios/smbios-tables", sm.tables, (uint32_t)sm.tables_len);
        if (r >= 0) /* the file's selector */
            r = hk_fw_cfg_add_file(fc, "etc/smbios/smbios-anchor", sm.anchor, sizeof(sm.anchor));
        hk_smbios_free(&sm);
        if (r < 0)
            return -1;
    }
    uint32_t fail_wait = 0xFFFFFFFFu; /* "No bootable device." and wait: no reboot loop */
    uint8_t fw[4] = {(uint8_t)fail_wait, (uint8_t)(fail_wait >> 8), (uint8_t)(fail_wait >> 16),
                     (uint8_t)(fail_wait >> 24)};
    if (hk_fw_cfg_add_file(fc, "etc/boot-fail-wait", fw, 4) < 0)
        return -1;
    if (c->boot_menu) {
        unsigned ms = c->boot_menu_wait_ms ? c->boot_menu_wait_ms : 5000;
        uint8_t w[2] = {(uint8_t)ms, (uint8_t)(ms >> 8)};
        if (hk_fw_cfg_add_file(fc, "etc/boot-menu-wait", w, 2) < 0)
            return -1;
    }
    if (c->bootorder && c->bootorder[0] &&
        hk_fw_cfg_add_file(fc, "bootorder", c->bootorder, (uint32_t)strlen(c->bootorder) + 1) < 0)
        return -1;
    /* ACPI: placeholders now, built when the firmware first asks (the PM base is known then) */
    uint8_t none = 0;
    if (hk_fw_cfg_add_file(fc, "etc/acpi/rsdp", &none, 1) < 0 ||
        hk_fw_cfg_add_file(fc, "etc/acpi/tables", &none, 1) < 0 ||
        hk_fw_cfg_add_file(fc, "etc/table-loader", &none, 1) < 0)
        return -1;
    pthread_mutex_lock(&fc->lock);
    pc->acpi_built = false;
    build_acpi_locked(pc, fc);
    pthread_mutex_unlock(&fc->lock);
    pc->acpi_built = false; /* rebuild on first access, with the PM base the firmware chose */
    hk_fw_cfg_on_select(fc, "etc/acpi/rsdp", acpi_select, pc);
    hk_fw_cfg_on_select(fc, "etc/acpi/tables", acpi_select, pc);
    hk_fw_cfg_on_select(fc, "etc/table-loader", acpi_select, pc);
    return 0;
}

static void board_reset(void *opaque)
{
    struct hk_pc *pc = opaque;
    hk_pci_host_reset(&pc->pci);
    hk_rtc_reset(&pc->rtc);
    hk_apm_reset(&pc->apm);
    hk_serial_reset(&pc->com1);
    hk_i8042_reset(&pc->kbc);
    hk_vmmouse_reset(&pc->vmmouse);
    hk_fw_cfg_reset(&pc->fwcfg);
    pthread_mutex_lock(&pc->fwcfg.lock);
    pc->acpi_built = false;
    pthread_mutex_unlock(&pc->fwcfg.lock);
    hk_firmware_reset(&pc->fw, pc->ram, pc->ram_size);
}

/* Storage: the CD-ROM drive (virtio-scsi, 00:03.0) and the disks (virtio-blk, 00:04.0 on). The
 * slots are fixed so that a disk keeps its address whether or not an ISO is attached. */
static int add_bootorder(char **text, const char *entry)
{
    size_t old = *text ? strlen(*text) : 0, n = strlen(entry);
    char *t = realloc(*text, old + n + 2);
    if (!t)
        return -1;
    if (old)
        t[old++] = '\n';
    memcpy(t + old, entry, n + 1);
    *text = t;
    return 0;
}

static int build_bootorder(struct hk_pc *pc)
{
    /* the OpenFirmware paths SeaBIOS prints as "Searching bootorder for: ..." (and OVMF maps) */
    bool cd_done = false, disks_done = false;
    int order[5] = {pc->cfg.cmos_boot[0], pc->cfg.cmos_boot[1], pc->cfg.cmos_boot[2], 3, 2};
    for (unsigned k = 0; k < 5; k++) {
        if (order[k] == 3 && !cd_done && pc->scsi) {
            char e[64];
            snprintf(e, sizeof(e), "/pci@i0cf8/scsi@%x/channel@0/disk@0,0", HK_PC_CDROM_DEVFN >> 3);
            if (add_bootorder(&pc->bootorder_text, e) < 0)
                return -1;
            cd_done = true;
        } else if (order[k] == 2 && !disks_done) {
            for (unsigned i = 0; i < pc->nblk; i++) {
                char e[64];
                snprintf(e, sizeof(e), "/pci@i0cf8/scsi@%x/disk@0,0", (HK_PC_DISK_DEVFN >> 3) + i);
                if (add_bootorder(&pc->bootorder_text, e) < 0)
                    return -1;
            }
            disks_done = true;
        }
    }
    if (pc->bootorder_text)
        pc->cfg.bootorder = pc->bootorder_text;
    return 0;
}

static int setup_storage(struct hk_pc *pc, struct hk_pc_inputs *in, struct hk_log *log)
{
    const struct hk_pc_config *c = &pc->cfg;
    if (c->ndisks > HK_PC_MAX_DISKS) {
        hk_err(log, "at most %d disks can be attached", HK_PC_MAX_DISKS);
        return -1;
    }
    for (unsigned i = 0; i < c->ndisks; i++) {
        if (in->disks[i].fd < 0) {
            hk_err(log, "the disk image %s was not opened", c->disks[i].path);
            return -1;
        }
        struct hk_virtio_blk *b = calloc(1, sizeof(*b));
        if (!b) {
            hk_err(log, "out of memory");
            return -1;
        }
        if (hk_virtio_blk_init(b, &pc->vm, &in->disks[i]) < 0) {
            free(b);
            return -1;
        }
        in->disks[i].fd = -1; /* the device owns it now */
        in->disks[i].path = NULL;
        pc->blk[pc->nblk++] = b;
        if (hk_virtio_blk_register(b, &pc->pci, (uint8_t)(HK_PC_DISK_DEVFN + 8 * i)) < 0) {
            hk_err(log, "PCI slot %u for disk %u is taken", (HK_PC_DISK_DEVFN >> 3) + i, i);
            return -1;
        }
    }
    if (c->cdrom) {
        bool disc = c->cdrom[0] != 0;
        if (disc && in->cdrom.fd < 0) {
            hk_err(log, "the CD-ROM image %s was not opened", c->cdrom);
            return -1;
        }
        pc->scsi = calloc(1, sizeof(*pc->scsi));
        if (!pc->scsi || hk_virtio_scsi_init(pc->scsi, &pc->vm) < 0) {
            free(pc->scsi);
            pc->scsi = NULL;
            hk_err(log, "cannot set up the CD-ROM drive");
            return -1;
        }
        if (disc) {
            /* in the drive from power-on: no media change to report */
            hk_cdrom_insert(&pc->scsi->cd, &in->cdrom);
            in->cdrom.fd = -1;
            in->cdrom.path = NULL;
            hk_cdrom_reset(&pc->scsi->cd);
        }
        if (hk_virtio_scsi_register(pc->scsi, &pc->pci, HK_PC_CDROM_DEVFN) < 0) {
            hk_err(log, "PCI slot %u for the CD-ROM drive is taken", HK_PC_CDROM_DEVFN >> 3);
            return -1;
        }
    }
    if (!c->bootorder && build_bootorder(pc) < 0) {
        hk_err(log, "out of memory");
        return -1;
    }
    for (unsigned i = 0; i < pc->nblk; i++)
        if (hk_virtio_pci_start(&pc->blk[i]->t) < 0) {
            hk_err(log, "cannot start the disk I/O thread");
            return -1;
        }
    if (pc->scsi && hk_virtio_pci_start(&pc->scsi->t) < 0) {
        hk_err(log, "cannot start the CD-ROM I/O thread");
        return -1;
    }
    return 0;
}

/* The network card at 00:0c.0 with passt behind it. passt missing or failing is not an error:
 * the card is there with its link down, and the facts say why. */
static int setup_net(struct hk_pc *pc, struct hk_log *log)
{
    const struct hk_pc_net *c = &pc->cfg.net;
    if (!c->enabled)
        return 0;
    struct hk_virtio_net_config nc;
    memset(&nc, 0, sizeof(nc));
    memcpy(nc.mac, c->mac, 6);
    nc.mtu = c->mtu;
    nc.passt.program = c->program;
    nc.passt.fd = c->backend_fd > 0 ? c->backend_fd : -1;
    nc.passt.nfwd = c->nfwd < HK_NET_MAX_FORWARDS ? c->nfwd : HK_NET_MAX_FORWARDS;
    memcpy(nc.passt.fwd, c->fwd, nc.passt.nfwd * sizeof(c->fwd[0]));
    pc->net = calloc(1, sizeof(*pc->net));
    if (!pc->net || hk_virtio_net_init(pc->net, &pc->vm, &nc) < 0) {
        free(pc->net);
        pc->net = NULL;
        return -1;
    }
    if (hk_virtio_net_register(pc->net, &pc->pci, HK_PC_NET_DEVFN) < 0) {
        hk_err(log, "PCI slot %u for the network card is taken", HK_PC_NET_DEVFN >> 3);
        return -1;
    }
    hk_virtio_net_start_backend(pc->net);
    if (hk_virtio_pci_start(&pc->net->t) < 0) {
        hk_err(log, "cannot start the network I/O thread");
        return -1;
    }
    return 0;
}

/* Stops the I/O threads (before guest memory goes away) and closes the images. */
static void destroy_storage(struct hk_pc *pc)
{
    if (pc->net) {
        hk_virtio_net_destroy(pc->net); /* its worker first, then passt */
        free(pc->net);
        pc->net = NULL;
    }
    for (unsigned i = 0; i < pc->nblk; i++) {
        hk_virtio_blk_destroy(pc->blk[i]);
        free(pc->blk[i]);
        pc->blk[i] = NULL;
    }
    pc->nblk = 0;
    if (pc->scsi) {
        hk_virtio_scsi_destroy(pc->scsi);
        free(pc->scsi);
        pc->scsi = NULL;
    }
    free(pc->bootorder_text);
    pc->bootorder_text = NULL;
}

static int map_ram(struct hk_pc *pc)
{
    struct hk_vm *vm = &pc->vm;
    uint64_t ram = pc->cfg.ram_size;
    uint64_t lowmax = ram >= HK_PC_LOWMEM_MAX ? HK_PC_LOWMEM_LARGE : HK_PC_LOWMEM_MAX;
    pc->below_4g = ram < lowmax ? ram : lowmax;
    pc->above_4g = ram - pc->below_4g;
    pc->ram_size = (size_t)ram;
    pc->ram = hk_ram_alloc(pc->ram_size); /* 2 MiB aligned, huge pages (core/mem.h) */
    if (!pc->ram) {
        hk_err(vm->log, "cannot reserve %llu MiB of guest memory", (unsigned long long)(ram >> 20));
        return -1;
    }
    if (hk_vm_map(vm, 0, 0xA0000, pc->ram, 0, "ram-low") < 0 ||
        hk_vm_map(vm, 0xC0000, pc->below_4g - 0xC0000, pc->ram + 0xC0000, 0, "ram") < 0) {
        hk_err(vm->log, "cannot map guest memory");
        return -1;
    }
    if (pc->above_4g &&
        hk_vm_map(vm, FOUR_GB, pc->above_4g, pc->ram + pc->below_4g, 0, "ram-high") < 0) {
        hk_err(vm->log, "cannot map guest memory above 4 GiB");
        return -1;
    }
    /* 64-bit PCI window where OVMF puts it by default: 32 GiB, aligned to its size, above RAM */
    pc->pci64_size = 32ull << 30;
    uint64_t top = FOUR_GB + pc->above_4g;
    pc->pci64_start = (top + pc->pci64_size - 1) & ~(pc->pci64_size - 1);
    return 0;
}

/* What both ways of building the board start with: the configuration checked, the firmware taken
 * over. */
static int board_begin(struct hk_pc *pc, const struct hk_pc_config *cfg, struct hk_pc_inputs *in,
                       struct hk_log *log)
{
    memset(pc, 0, sizeof(*pc));
    pc->vm.kvm_fd = pc->vm.vm_fd = -1;
    pc->fw.vars_fd = -1;
    pc->cfg = *cfg;
    if (cfg->ram_size < (16ull << 20) || cfg->ram_size > (1ull << 40) ||
        (cfg->ram_size & 0xFFFFF)) {
        hk_err(log, "memory must be a whole number of MiB between 16 MiB and 1 TiB");
        return -1;
    }
    if (!in->have_fw) {
        hk_err(log, "no firmware was loaded");
        return -1;
    }
    pc->fw = in->fw; /* taken over */
    memset(&in->fw, 0, sizeof(in->fw));
    in->fw.vars_fd = -1;
    in->have_fw = false;
    return 0;
}

static int board_build(struct hk_pc *pc, struct hk_pc_inputs *in, struct hk_log *log);

int hk_pc_init(struct hk_pc *pc, const struct hk_pc_config *cfg, struct hk_pc_inputs *in,
               struct hk_log *log, struct hk_loop *loop)
{
    if (board_begin(pc, cfg, in, log) < 0)
        return -1;
    pc->vm_ready = true;
    if (hk_vm_init(&pc->vm, log, loop, cfg->ncpus) < 0)
        return -1;
    struct hk_vm *vm = &pc->vm;
    bool emulated = !cfg->lost_ticks_set && hk_host_emulates_ring0();
    enum hk_lost_ticks ticks = cfg->lost_ticks_set ? cfg->lost_ticks
                               : emulated          ? HK_LOST_TICKS_DISCARD
                                                   : HK_LOST_TICKS_DELAY;
    if (hk_vm_set_lost_ticks(vm, ticks) < 0)
        return -1;
    hk_info(log, "PIT: %s lost timer ticks%s",
            ticks == HK_LOST_TICKS_DISCARD ? "discards" : "delays",
            emulated ? " (ring 0 is emulated here)" : "");
    return board_build(pc, in, log);
}

int hk_pc_init_nokvm(struct hk_pc *pc, const struct hk_pc_config *cfg, struct hk_pc_inputs *in,
                     struct hk_log *log, struct hk_loop *loop)
{
    if (board_begin(pc, cfg, in, log) < 0)
        return -1;
    if (cfg->ncpus < 1 || cfg->ncpus > HK_MAX_CPUS) {
        hk_err(log, "--cpus must be between 1 and %d (got %u)", HK_MAX_CPUS, cfg->ncpus);
        return -1;
    }
    pc->vm_ready = true;
    hk_vm_init_nokvm(&pc->vm, log, loop);
    pc->vm.ncpus = cfg->ncpus;
    return board_build(pc, in, log);
}

/* The board's memory and devices, on a VM with or without KVM. */
static int board_build(struct hk_pc *pc, struct hk_pc_inputs *in, struct hk_log *log)
{
    const struct hk_pc_config *cfg = &pc->cfg;
    struct hk_vm *vm = &pc->vm;
    if (map_ram(pc) < 0)
        return -1;
    if (hk_firmware_map(&pc->fw, vm, pc->ram, pc->ram_size) < 0)
        return -1;

    pc->devices_ready = true;
    hk_pci_host_init(&pc->pci, vm);
    hk_rtc_init(&pc->rtc, vm);
    hk_serial_init(&pc->com1, vm, 0x3F8, 4);
    hk_debugcon_init(&pc->debugcon, vm, 0x402, cfg->debugcon_out);
    hk_fw_cfg_init(&pc->fwcfg, vm);
    hk_apm_init(&pc->apm, vm);
    hk_i8042_init(&pc->kbc, vm);
    hk_vmmouse_init(&pc->vmmouse, vm, &pc->kbc);
    /* every port, slot and handler claimed, or the board is not built (a collision is a bug,
     * but it must say which device instead of leaving one out) */
    if (attached(log, hk_pci_host_attach(&pc->pci), "the PCI configuration ports") < 0 ||
        attached(log, hk_i440fx_init(&pc->i440fx, vm, &pc->pci), "the i440FX host bridge") < 0 ||
        attached(log, hk_piix3_init(&pc->piix3, vm, &pc->pci), "the PIIX3 ISA bridge") < 0 ||
        attached(log, hk_piix4_pm_init(&pc->pm, vm, &pc->pci), "the PIIX4 power management") < 0 ||
        attached(log, hk_apm_attach(&pc->apm), "the APM ports") < 0 ||
        attached(log, hk_rtc_attach(&pc->rtc), "the CMOS clock") < 0 ||
        attached(log, hk_serial_attach(&pc->com1), "COM1") < 0 ||
        attached(log, hk_i8042_attach(&pc->kbc), "the keyboard controller") < 0 ||
        attached(log, hk_vmmouse_attach(&pc->vmmouse), "the vmmouse port") < 0 ||
        attached(log, hk_debugcon_attach(&pc->debugcon), "the debug console") < 0 ||
        attached(log, hk_bus_add(&vm->mmio, 0xA0000, 0x20000, &vga_hole_ops, pc, "legacy-vga"),
                 "the legacy VGA window") < 0)
        return -1;
    hk_rtc_set_memory(&pc->rtc, pc->below_4g, pc->above_4g);
    hk_rtc_set_cpus(&pc->rtc, vm->ncpus);
    hk_rtc_set_boot_order(&pc->rtc, cfg->cmos_boot, 3);
    if (cfg->debug_exit_port &&
        hk_bus_add(&vm->pio, cfg->debug_exit_port, 1, &exit_port_ops, pc, "debug-exit") < 0) {
        hk_err(log, "debug exit port 0x%x collides with a device", cfg->debug_exit_port);
        return -1;
    }

    if (!cfg->no_display) {
        uint8_t *rom = in->vgabios;
        size_t rom_len = in->vgabios_len;
        in->vgabios = NULL;
        in->vgabios_len = 0;
        int r = hk_bochs_display_init(&pc->display, vm, cfg->vram_size ? cfg->vram_size : 16u << 20,
                                      rom, rom_len, cfg->edid_width ? cfg->edid_width : 1280,
                                      cfg->edid_height ? cfg->edid_height : 800);
        free(rom);
        pc->have_display = true; /* hk_bochs_display_destroy undoes a half-made one too */
        if (r < 0 || attached(log, hk_bochs_display_register(&pc->display, &pc->pci, 0x10),
                              "the display (PCI 00:02.0)") < 0) /* 00:02.0 */
            return -1;
        pc->display.uefi_firmware = cfg->fw.kind == HK_FW_UEFI;
    }

    if (setup_storage(pc, in, log) < 0 || setup_net(pc, log) < 0)
        return -1;
    if (attached(log, hk_fw_cfg_attach(&pc->fwcfg), "the fw_cfg ports") < 0)
        return -1;
    if (setup_fw_cfg(pc) < 0) {
        hk_err(log, "cannot set up fw_cfg");
        return -1;
    }
    if (attached(log, hk_vm_on_reset(vm, board_reset, pc), "the board's reset handler") < 0)
        return -1;
    hk_cpuwatch_init(&pc->cpuwatch, vm);
    if (pc->have_display)
        hk_cpuwatch_set_healthy(&pc->cpuwatch, display_os_active, pc);
    return 0;
}

void hk_pc_stop(struct hk_pc *pc)
{
    for (unsigned i = 0; i < pc->nblk; i++)
        hk_virtio_pci_stop(&pc->blk[i]->t);
    if (pc->scsi)
        hk_virtio_pci_stop(&pc->scsi->t);
    if (pc->net)
        hk_virtio_pci_stop(&pc->net->t); /* it reports facts (passt, DHCP...) from its worker */
}

void hk_pc_destroy(struct hk_pc *pc)
{
    hk_pc_stop(pc);
    destroy_storage(pc);
    if (pc->vm_ready)
        hk_vm_destroy(&pc->vm);
    if (pc->have_display)
        hk_bochs_display_destroy(&pc->display);
    if (pc->devices_ready) {
        hk_cpuwatch_stop(&pc->cpuwatch);
        hk_apm_destroy(&pc->apm);
        hk_fw_cfg_destroy(&pc->fwcfg);
        hk_serial_destroy(&pc->com1);
        hk_vmmouse_destroy(&pc->vmmouse);
        hk_i8042_destroy(&pc->kbc);
        hk_debugcon_destroy(&pc->debugcon);
        hk_rtc_destroy(&pc->rtc);
        hk_pci_host_destroy(&pc->pci);
    }
    hk_acpi_free(&pc->acpi);
    hk_firmware_free(&pc->fw);
    hk_ram_free(pc->ram, pc->ram_size);
}

/* Keys go to the PS/2 keyboard; the pointer to the vmmouse while its driver has it on, to the
 * PS/2 mouse otherwise. */
void hk_pc_key(struct hk_pc *pc, unsigned evdev_code, bool down)
{
    if (pc->devices_ready)
        hk_i8042_key(&pc->kbc, evdev_code, down);
}

void hk_pc_pointer_rel(struct hk_pc *pc, int dx, int dy, int dz, unsigned buttons)
{
    if (pc->devices_ready && !hk_vmmouse_rel(&pc->vmmouse, dx, dy, dz, buttons))
        hk_i8042_mouse(&pc->kbc, dx, dy, dz, buttons);
}

void hk_pc_pointer_abs(struct hk_pc *pc, uint32_t x, uint32_t y, int dz, unsigned buttons)
{
    if (pc->devices_ready && !hk_vmmouse_abs(&pc->vmmouse, x, y, dz, buttons))
        hk_i8042_mouse(&pc->kbc, 0, 0, dz, buttons);
}

bool hk_pc_pointer_is_absolute(struct hk_pc *pc)
{
    return pc->devices_ready && hk_vmmouse_is_absolute(&pc->vmmouse);
}

void hk_pc_power_button(struct hk_pc *pc)
{
    hk_piix4_pm_power_button(&pc->pm);
}

/* The CD-ROM drive is the virtio-scsi host at 00:03.0 (see setup_storage). */
int hk_pc_cdrom_change(struct hk_pc *pc, const char *path)
{
    struct hk_log *log = pc->vm.log;
    if (!pc->scsi) {
        hk_err(log, "this VM has no CD-ROM drive");
        return -1;
    }
    if (!path || !path[0]) {
        hk_cdrom_insert(&pc->scsi->cd, NULL);
        hk_info(log, "cdrom: disc removed");
        return 0;
    }
    struct hk_disk_file f;
    char err[512];
    if (hk_disk_open(&f, path, HK_DISK_CDROM, true, err, sizeof(err)) < 0) {
        hk_err(log, "%s", err);
        return -1;
    }
    hk_cdrom_insert(&pc->scsi->cd, &f);
    hk_info(log, "cdrom: %s inserted", path);
    return 0;
}

int hk_pc_net_set_link(struct hk_pc *pc, bool up)
{
    if (!pc->net)
        return -1;
    hk_virtio_net_set_link(pc->net, up);
    hk_info(pc->vm.log, "net: cable %s by the user", up ? "plugged in" : "unplugged");
    return 0;
}

bool hk_pc_net_stats(struct hk_pc *pc, struct hk_net_stats *stats, struct hk_net_state *state)
{
    if (!pc->net)
        return false;
    hk_virtio_net_get_stats(pc->net, stats);
    hk_virtio_net_get_state(pc->net, state);
    return true;
}
