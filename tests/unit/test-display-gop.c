/* OVMF's GOP driver (edk2-stable202211 OvmfPkg/QemuVideoDxe: Driver.c
 * QemuVideoControllerDriverStart, Initialize.c QemuVideoBochsModeSetup/QemuVideoBochsEdid, Driver.c
 * InitializeBochsGraphicsMode) replayed register by register on bochs-display: PCI enumeration and
 * BAR programming, the ID and VRAM size reads, the EDID read that picks the preferred mode, the VGA
 * port writes through BAR2, the DISPI mode set, the palette. The timeline must hold exactly one
 * mode-set fact, "GOP mode set" 1280x800 32 bpp, and the scanout must be that mode. Then Linux's
 * bochs DRM driver takes over (writes the byte-order register first): its mode set is not labelled
 * GOP. */
#include "check.h"
#include "fakevm.h"

#include "dev/bochs-display.h"
#include "core/pci.h"

#define DEVFN 0x10 /* 00:02.0 */
#define FB    0x80000000u
#define MMIO  0x81000000u

static uint16_t bochs_read(struct hk_bochs_display *b, unsigned reg)
{
    return (uint16_t)hk_bochs_mmio_read(b, 0x500 + (reg << 1), 2);
}

static void bochs_write(struct hk_bochs_display *b, unsigned reg, uint16_t v)
{
    hk_bochs_mmio_write(b, 0x500 + (reg << 1), v, 2);
}

/* VgaOutb/VgaInb through BAR2: port 0x3c0 + n lives at 0x400 + n */
static void vga_outb(struct hk_bochs_display *b, unsigned port, uint8_t v)
{
    hk_bochs_mmio_write(b, 0x400 - 0x3c0 + port, v, 1);
}

static uint8_t vga_inb(struct hk_bochs_display *b, unsigned port)
{
    return (uint8_t)hk_bochs_mmio_read(b, 0x400 - 0x3c0 + port, 1);
}

static void pci_enumerate(struct hk_pci_host *h)
{
    /* PciBusDxe: IDs and class, then BAR sizing and assignment, then decoding on */
    CHECK_EQ(hk_pci_cfg_read(h, DEVFN, 0, 4), 0x11111234u);
    CHECK_EQ(hk_pci_cfg_read(h, DEVFN, 8, 4) >> 8, 0x038000u);
    hk_pci_cfg_write(h, DEVFN, 0x10, 4, 0xFFFFFFFFu);
    uint32_t sz0 = hk_pci_cfg_read(h, DEVFN, 0x10, 4);
    CHECK_EQ(~(sz0 & ~0xFu) + 1, 16u << 20);
    CHECK(sz0 & 0x8); /* prefetchable */
    hk_pci_cfg_write(h, DEVFN, 0x18, 4, 0xFFFFFFFFu);
    uint32_t sz2 = hk_pci_cfg_read(h, DEVFN, 0x18, 4);
    CHECK_EQ(~(sz2 & ~0xFu) + 1, 0x1000u);
    hk_pci_cfg_write(h, DEVFN, 0x10, 4, FB);
    hk_pci_cfg_write(h, DEVFN, 0x18, 4, MMIO);
    hk_pci_cfg_write(h, DEVFN, 0x04, 2, 0x0007);
}

/* The edk2 sequence from QemuVideoControllerDriverStart to the end of the first SetMode. */
static void ovmf_gop(struct hk_bochs_display *b, unsigned *xres, unsigned *yres)
{
    /* "Check if accessing the bochs interface works" */
    CHECK_EQ(bochs_read(b, HK_DISPI_ID) & 0xFFF0, 0xB0C0);
    /* QemuVideoBochsModeSetup: AvailableFbSize */
    uint32_t fb = (uint32_t)bochs_read(b, HK_DISPI_VIDEO_MEMORY_64K) * 65536u;
    CHECK_EQ(fb, 16u << 20);
    /* QemuVideoBochsEdid: 128 byte reads of BAR2 from 0 */
    uint8_t edid[128];
    for (unsigned i = 0; i < sizeof(edid); i++)
        edid[i] = (uint8_t)hk_bochs_mmio_read(b, i, 1);
    CHECK(edid[0] == 0x00 && edid[1] == 0xFF);
    CHECK(!(edid[54] == 0 && edid[55] == 0));
    *xres = edid[56] | ((edid[58] & 0xF0u) << 4);
    *yres = edid[59] | ((edid[61] & 0xF0u) << 4);
    /* the mode list: the EDID mode first, then the table; mode 0 is set first */
    CHECK((uint64_t)*xres * *yres * 4 <= fb);
    /* InitializeBochsGraphicsMode */
    vga_outb(b, 0x3c2, 0x01); /* MISC_OUTPUT_REGISTER: color mode */
    (void)vga_inb(b, 0x3da);  /* INPUT_STATUS_1_REGISTER: reset the flip-flop */
    vga_outb(b, 0x3c0, 0x20); /* ATT_ADDRESS_REGISTER: unblank */
    bochs_write(b, HK_DISPI_ENABLE, 0);
    bochs_write(b, HK_DISPI_BANK, 0);
    bochs_write(b, HK_DISPI_X_OFFSET, 0);
    bochs_write(b, HK_DISPI_Y_OFFSET, 0);
    bochs_write(b, HK_DISPI_BPP, 32);
    bochs_write(b, HK_DISPI_XRES, (uint16_t)*xres);
    bochs_write(b, HK_DISPI_VIRT_WIDTH, (uint16_t)*xres);
    bochs_write(b, HK_DISPI_YRES, (uint16_t)*yres);
    bochs_write(b, HK_DISPI_VIRT_HEIGHT, (uint16_t)*yres);
    bochs_write(b, HK_DISPI_ENABLE, HK_DISPI_ENABLED | HK_DISPI_LFB_ENABLED);
    /* SetDefaultPalette: index 0, then 256 RGB triples */
    vga_outb(b, 0x3c8, 0);
    for (unsigned i = 0; i < 256; i++)
        for (unsigned c = 0; c < 3; c++)
            vga_outb(b, 0x3c9, (uint8_t)(i >> 2));
}

static void test_gop_mode_set(void)
{
    struct fakevm vm;
    fakevm_init(&vm, 1 << 20);
    struct hk_pci_host host;
    hk_pci_host_init(&host, &vm.vm);
    struct hk_bochs_display b;
    CHECK_EQ(hk_bochs_display_init(&b, &vm.vm, 16u << 20, NULL, 0, 1280, 800), 0);
    CHECK_EQ(hk_bochs_display_register(&b, &host, DEVFN), 0);
    b.uefi_firmware = true; /* the board sets this under --firmware uefi */

    pci_enumerate(&host);
    CHECK_EQ(facts_of(&vm, HK_FACT_DISPLAY_ENUMERATED, NULL), 1);
    CHECK_EQ(facts_of(&vm, HK_FACT_DISPLAY_BAR, NULL), 2);
    unsigned w = 0, h = 0;
    ovmf_gop(&b, &w, &h);
    CHECK_EQ(w, 1280);
    CHECK_EQ(h, 800);

    struct hk_fact f;
    CHECK_EQ(facts_of(&vm, HK_FACT_MODE_SET, &f), 1);
    CHECK_EQ(f.a, 1280);
    CHECK_EQ(f.b, 800);
    CHECK_EQ(f.c, 32);
    CHECK(strncmp(f.text, "GOP mode set", 12) == 0);
    CHECK_EQ(facts_of(&vm, HK_FACT_DISPLAY_DISABLED, NULL), 0);

    struct hk_scanout s;
    hk_bochs_display_scanout(&b, &s);
    CHECK(s.enabled);
    CHECK(s.width == 1280 && s.height == 800 && s.bpp == 32 && s.stride == 5120 && s.offset == 0);

    /* the boot loader asks GOP for the same mode again: a second, equally labelled fact */
    ovmf_gop(&b, &w, &h);
    CHECK_EQ(facts_of(&vm, HK_FACT_MODE_SET, NULL), 2);
    CHECK_EQ(facts_of(&vm, HK_FACT_DISPLAY_DISABLED, NULL), 1); /* ENABLE = 0 in between */

    /* Linux's bochs DRM driver: byte order first, then its own mode set */
    hk_bochs_mmio_write(&b, 0x604, 0x1e1e1e1e, 4);
    bochs_write(&b, HK_DISPI_ENABLE, 0);
    bochs_write(&b, HK_DISPI_BPP, 32);
    bochs_write(&b, HK_DISPI_XRES, 1024);
    bochs_write(&b, HK_DISPI_YRES, 768);
    bochs_write(&b, HK_DISPI_BANK, 0);
    bochs_write(&b, HK_DISPI_VIRT_WIDTH, 1024);
    bochs_write(&b, HK_DISPI_VIRT_HEIGHT, 768 * 2);
    bochs_write(&b, HK_DISPI_X_OFFSET, 0);
    bochs_write(&b, HK_DISPI_Y_OFFSET, 0);
    bochs_write(&b, HK_DISPI_ENABLE, HK_DISPI_ENABLED | HK_DISPI_LFB_ENABLED);
    CHECK_EQ(facts_of(&vm, HK_FACT_MODE_SET, &f), 3);
    CHECK_EQ(f.a, 1024);
    CHECK(strncmp(f.text, "GOP", 3) != 0);

    /* under BIOS nothing is called GOP */
    struct fakevm vm2;
    fakevm_init(&vm2, 1 << 20);
    struct hk_bochs_display b2;
    CHECK_EQ(hk_bochs_display_init(&b2, &vm2.vm, 16u << 20, NULL, 0, 1280, 800), 0);
    bochs_write(&b2, HK_DISPI_XRES, 1280);
    bochs_write(&b2, HK_DISPI_YRES, 800);
    bochs_write(&b2, HK_DISPI_BPP, 32);
    bochs_write(&b2, HK_DISPI_ENABLE, HK_DISPI_ENABLED | HK_DISPI_LFB_ENABLED);
    CHECK_EQ(facts_of(&vm2, HK_FACT_MODE_SET, &f), 1);
    CHECK(strncmp(f.text, "GOP", 3) != 0);
    hk_bochs_display_destroy(&b2);
    fakevm_destroy(&vm2);

    hk_bochs_display_destroy(&b);
    hk_pci_host_destroy(&host);
    fakevm_destroy(&vm);
}

TEST_MAIN(TEST(test_gop_mode_set))
