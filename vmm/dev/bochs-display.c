#include "bochs-display.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../core/vm.h"
#include "hako/protocol.h"

#define MMIO_SIZE     0x1000
#define EDID_OFF      0x000
#define VGA_OFF       0x400
#define DISPI_OFF     0x500
#define QEXT_OFF      0x600
#define QEXT_SIZE_REG 0x600
#define QEXT_BO_REG   0x604
#define QEXT_LE       0x1e1e1e1e
#define QEXT_BE       0xbebebebe

bool hk_dispi_scanout(const uint16_t regs[HK_DISPI_NREGS], size_t vram_size, bool big_endian,
                      struct hk_scanout *out)
{
    memset(out, 0, sizeof(*out));
    if (!(regs[HK_DISPI_ENABLE] & HK_DISPI_ENABLED))
        return false;
    uint32_t bytepp;
    switch (regs[HK_DISPI_BPP]) {
    case 16: bytepp = 2; break;
    case 32: bytepp = 4; break;
    default: return false;
    }
    uint32_t w = regs[HK_DISPI_XRES], h = regs[HK_DISPI_YRES];
    uint32_t vw = regs[HK_DISPI_VIRT_WIDTH];
    if (vw < w)
        vw = w;
    if (w < 64 || h < 64)
        return false;
    uint64_t stride = (uint64_t)vw * bytepp;
    uint64_t offset =
        (uint64_t)regs[HK_DISPI_X_OFFSET] * bytepp + (uint64_t)regs[HK_DISPI_Y_OFFSET] * stride;
    if (offset + stride * h > vram_size)
        return false;
    out->enabled = true;
    out->width = w;
    out->height = h;
    out->bpp = bytepp * 8;
    out->stride = (uint32_t)stride;
    out->offset = offset;
    out->big_endian = big_endian && bytepp == 4;
    return true;
}

uint64_t hk_bochs_mmio_read(struct hk_bochs_display *b, uint64_t off, unsigned size)
{
    uint64_t v = 0;
    pthread_mutex_lock(&b->lock);
    if (off + size <= 0x100 + EDID_OFF) {
        for (unsigned i = 0; i < size; i++)
            v |= (uint64_t)b->edid[off + i] << (8 * i);
    } else if (off >= VGA_OFF && off + size <= VGA_OFF + sizeof(b->vga_ports)) {
        /* QEMU's bochs-display decodes nothing here (OVMF and Linux still write the VGA
         * registers' image): reads are all ones there, and so here */
        v = hk_ones(size);
    } else if (off >= DISPI_OFF && off + size <= DISPI_OFF + 2 * HK_DISPI_NREGS + 2) {
        /* 16-bit registers; byte and dword accesses are split as a 16-bit bus would */
        for (unsigned i = 0; i < size; i++) {
            unsigned byte = (unsigned)(off - DISPI_OFF) + i, idx = byte / 2;
            uint16_t r = 0xFFFF;
            if (idx == HK_DISPI_ID)
                r = HK_DISPI_ID5;
            else if (idx == HK_DISPI_VIDEO_MEMORY_64K)
                r = (uint16_t)(b->vram_size / 65536);
            else if (idx < HK_DISPI_NREGS)
                r = b->regs[idx];
            v |= (uint64_t)((r >> (8 * (byte & 1))) & 0xFF) << (8 * i);
        }
    } else if (off == QEXT_SIZE_REG && size == 4) {
        v = 8;
    } else if (off == QEXT_BO_REG && size == 4) {
        v = b->big_endian ? QEXT_BE : QEXT_LE;
    } else {
        v = off >= QEXT_OFF && off < QEXT_OFF + 8 ? 0 : hk_ones(size);
    }
    pthread_mutex_unlock(&b->lock);
    return v;
}

static void mode_fact(struct hk_bochs_display *b, uint16_t old_enable)
{
    uint16_t en = b->regs[HK_DISPI_ENABLE];
    if ((en & HK_DISPI_ENABLED)) {
        b->mode_sets++;
        b->damage_seen_since_mode = false;
        bool gop = b->uefi_firmware && !b->os_driver;
        hk_fact_typed(&b->vm->facts, HK_FACT_MODE_SET, b->regs[HK_DISPI_XRES],
                      b->regs[HK_DISPI_YRES], b->regs[HK_DISPI_BPP],
                      gop ? HK_FACT_MODE_BY_FIRMWARE_GOP : 0, NULL, NULL, "%s",
                      gop                           ? "GOP mode set by the UEFI firmware"
                      : (en & HK_DISPI_LFB_ENABLED) ? "linear framebuffer"
                                                    : "");
    } else if (old_enable & HK_DISPI_ENABLED) {
        hk_fact(&b->vm->facts, HK_FACT_DISPLAY_DISABLED, 0, 0, 0, NULL);
    }
}

void hk_bochs_mmio_write(struct hk_bochs_display *b, uint64_t off, uint64_t val, unsigned size)
{
    pthread_mutex_lock(&b->lock);
    if (off >= VGA_OFF && off + size <= VGA_OFF + sizeof(b->vga_ports)) {
        for (unsigned i = 0; i < size; i++)
            b->vga_ports[off - VGA_OFF + i] = (uint8_t)(val >> (8 * i));
    } else if (off >= DISPI_OFF && off + size <= DISPI_OFF + 2 * HK_DISPI_NREGS) {
        uint16_t old_enable = b->regs[HK_DISPI_ENABLE];
        for (unsigned i = 0; i < size; i++) {
            unsigned byte = (unsigned)(off - DISPI_OFF) + i, idx = byte / 2;
            if (idx == HK_DISPI_ID || idx == HK_DISPI_VIDEO_MEMORY_64K || idx >= HK_DISPI_NREGS)
                continue;
            uint16_t old = idx == HK_DISPI_ENABLE ? old_enable : b->regs[idx];
            uint16_t mask = (uint16_t)(0xFF << (8 * (byte & 1)));
            uint16_t nv = (uint16_t)((b->regs[idx] & ~mask) |
                                     ((uint16_t)((val >> (8 * i)) & 0xFF) << (8 * (byte & 1))));
            b->regs[idx] = nv;
            /* a mode set is complete when the high byte of ENABLE lands (or a 16-bit write) */
            if (idx == HK_DISPI_ENABLE && ((byte & 1) || i + 1 == size))
                mode_fact(b, old);
        }
        b->scanout_gen++;
    } else if (off == QEXT_BO_REG && size == 4) {
        if (val == QEXT_BE)
            b->big_endian = true;
        else if (val == QEXT_LE)
            b->big_endian = false;
        b->os_driver = true;
        b->scanout_gen++;
    }
    pthread_mutex_unlock(&b->lock);
}

static uint64_t ops_read(void *opaque, uint64_t off, unsigned size)
{
    return hk_bochs_mmio_read(opaque, off, size);
}

static void ops_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    hk_bochs_mmio_write(opaque, off, val, size);
}

static const struct hk_io_ops mmio_ops = {ops_read, ops_write};

static uint32_t cfg_read(struct hk_pci_dev *d, unsigned off, unsigned size, uint32_t val)
{
    struct hk_bochs_display *b = d->opaque;
    (void)size;
    if (off == 0)
        hk_fact(&b->vm->facts, HK_FACT_DISPLAY_ENUMERATED, d->devfn, 0, 0,
                "firmware found the display device at 00:%02x.%x", d->devfn >> 3, d->devfn & 7);
    return val;
}

static void bar_moved(struct hk_pci_dev *d, int bar)
{
    struct hk_bochs_display *b = d->opaque;
    struct hk_pci_bar *pb = &d->bar[bar];
    if (!pb->mapped)
        return;
    if (bar == HK_PCI_ROM_BAR)
        hk_fact(&b->vm->facts, HK_FACT_DISPLAY_ROM_READ, (int64_t)pb->addr, 0, 0,
                "option ROM enabled at 0x%llx", (unsigned long long)pb->addr);
    else
        hk_fact(&b->vm->facts, HK_FACT_DISPLAY_BAR, bar, (int64_t)pb->addr, 0, NULL);
    if (bar == 0) {
        pthread_mutex_lock(&b->lock);
        b->scanout_gen++;
        pthread_mutex_unlock(&b->lock);
    }
}

static void pci_reset(struct hk_pci_dev *d)
{
    struct hk_bochs_display *b = d->opaque;
    pthread_mutex_lock(&b->lock);
    memset(b->regs, 0, sizeof(b->regs));
    memset(b->vga_ports, 0, sizeof(b->vga_ports));
    b->big_endian = false;
    b->os_driver = false;
    b->scanout_gen++;
    pthread_mutex_unlock(&b->lock);
}

int hk_bochs_display_init(struct hk_bochs_display *b, struct hk_vm *vm, size_t vram_size,
                          const uint8_t *rom, size_t rom_size, unsigned edid_w, unsigned edid_h)
{
    memset(b, 0, sizeof(*b));
    b->vm = vm;
    b->vram_fd = -1;
    pthread_mutex_init(&b->lock, NULL);
    if (vram_size < (4u << 20) || vram_size > (256u << 20) || (vram_size & (vram_size - 1))) {
        hk_err(vm->log, "display memory must be a power of two between 4 and 256 MiB");
        return -1;
    }
    if (hk_edid_build(b->edid, edid_w, edid_h, "Hako") < 0) {
        hk_err(vm->log, "display resolution %ux%u is not possible (64..4095 each way)", edid_w,
               edid_h);
        return -1;
    }
    if ((uint64_t)edid_w * edid_h * 4 > vram_size) {
        hk_err(vm->log, "display resolution %ux%u does not fit in %zu MiB of display memory",
               edid_w, edid_h, vram_size >> 20);
        return -1;
    }
    b->vram_size = vram_size;
    /* sealed at its size (hako/protocol.h): the app maps it, and a file that shrank under its
     * mapping would end the app with SIGBUS */
    b->vram_fd = memfd_create("hako-vram", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (b->vram_fd < 0 || ftruncate(b->vram_fd, (off_t)vram_size) < 0 ||
        hk_proto_seal_vram(b->vram_fd) < 0) {
        hk_err(vm->log, "cannot allocate display memory");
        return -1;
    }
    b->vram = mmap(NULL, vram_size, PROT_READ | PROT_WRITE, MAP_SHARED, b->vram_fd, 0);
    if (b->vram == MAP_FAILED) {
        b->vram = NULL;
        hk_err(vm->log, "cannot map display memory");
        return -1;
    }
    b->dirty_bitmap = calloc(vram_size / 4096 / 64 + 1, sizeof(uint64_t));
    if (!b->dirty_bitmap)
        return -1;
    if (rom && rom_size) {
        size_t rsz = 2048;
        while (rsz < rom_size)
            rsz *= 2;
        if (rsz < 4096)
            rsz = 4096;
        b->rom = mmap(NULL, rsz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (b->rom == MAP_FAILED) {
            b->rom = NULL;
            return -1;
        }
        memcpy(b->rom, rom, rom_size);
        b->rom_size = rsz;
    }

    hk_pci_dev_init(&b->pci, "bochs-display", 0x1234, 0x1111, 0x02, 0x038000);
    hk_pci_set_subsystem(&b->pci, 0x1AF4, 0x1100);
    b->pci.opaque = b;
    b->pci.cfg_read = cfg_read;
    b->pci.bar_moved = bar_moved;
    b->pci.reset = pci_reset;
    hk_pci_set_bar(&b->pci, 0, HK_PCI_BAR_MEM32, true, vram_size, NULL, NULL, b->vram,
                   HK_MEM_DIRTY_LOG);
    hk_pci_set_bar(&b->pci, 2, HK_PCI_BAR_MEM32, false, MMIO_SIZE, &mmio_ops, b, NULL, 0);
    if (b->rom)
        hk_pci_set_bar(&b->pci, HK_PCI_ROM_BAR, HK_PCI_BAR_MEM32, false, b->rom_size, NULL, NULL,
                       b->rom, HK_MEM_READONLY);
    return 0;
}

int hk_bochs_display_register(struct hk_bochs_display *b, struct hk_pci_host *host, uint8_t devfn)
{
    return hk_pci_register(host, &b->pci, devfn);
}

void hk_bochs_display_destroy(struct hk_bochs_display *b)
{
    if (b->vram)
        munmap(b->vram, b->vram_size);
    if (b->rom)
        munmap(b->rom, b->rom_size);
    if (b->vram_fd >= 0)
        close(b->vram_fd);
    free(b->dirty_bitmap);
    pthread_mutex_destroy(&b->lock);
}

uint64_t hk_bochs_display_scanout(struct hk_bochs_display *b, struct hk_scanout *out)
{
    pthread_mutex_lock(&b->lock);
    hk_dispi_scanout(b->regs, b->vram_size, b->big_endian, out);
    uint64_t gen = b->scanout_gen;
    pthread_mutex_unlock(&b->lock);
    return gen;
}

bool hk_bochs_display_os_active(struct hk_bochs_display *b)
{
    pthread_mutex_lock(&b->lock);
    /* its driver announced itself (the byte-order register; Linux writes it right after its
     * first mode set), a mode is on, and the guest drew in it */
    bool active =
        b->os_driver && (b->regs[HK_DISPI_ENABLE] & HK_DISPI_ENABLED) && b->damage_seen_since_mode;
    pthread_mutex_unlock(&b->lock);
    return active;
}

bool hk_bochs_display_damage(struct hk_bochs_display *b, uint32_t *y0, uint32_t *y1)
{
    struct hk_scanout s;
    hk_bochs_display_scanout(b, &s);
    if (!s.enabled)
        return false;
    size_t words = b->vram_size / 4096 / 64 + 1;
    uint64_t bar_addr;
    /* where BAR0 is, read under the PCI lock (a vCPU may be moving it); a BAR moved after this
     * only makes the dirty log fail for that address, and the whole screen counts as changed */
    bool have_log = hk_pci_bar_mapped(&b->pci, 0, &bar_addr) &&
                    hk_vm_dirty_log(b->vm, bar_addr, b->dirty_bitmap) == 0;
    if (!have_log) {
        *y0 = 0;
        *y1 = s.height;
    } else {
        uint64_t first = s.offset / 4096,
                 last = (s.offset + (uint64_t)s.stride * s.height - 1) / 4096;
        int64_t lo = -1, hi = -1;
        for (uint64_t w = first / 64; w <= last / 64 && w < words; w++) {
            uint64_t bits = b->dirty_bitmap[w];
            while (bits) {
                uint64_t page = w * 64 + (uint64_t)__builtin_ctzll(bits);
                bits &= bits - 1;
                if (page < first || page > last)
                    continue;
                if (lo < 0)
                    lo = (int64_t)page;
                hi = (int64_t)page;
            }
        }
        if (lo < 0)
            return false;
        uint64_t start = (uint64_t)lo * 4096, end = (uint64_t)(hi + 1) * 4096;
        uint64_t r0 = start > s.offset ? (start - s.offset) / s.stride : 0;
        uint64_t r1 = (end - s.offset + s.stride - 1) / s.stride;
        *y0 = (uint32_t)r0;
        *y1 = (uint32_t)(r1 > s.height ? s.height : r1);
    }
    pthread_mutex_lock(&b->lock);
    bool first_damage = !b->damage_seen_since_mode && b->mode_sets > 0;
    b->damage_seen_since_mode = true;
    pthread_mutex_unlock(&b->lock);
    if (first_damage && have_log)
        hk_fact(&b->vm->facts, HK_FACT_FIRST_DAMAGE, *y0, *y1, 0, "the guest drew on the screen");
    return *y1 > *y0;
}
