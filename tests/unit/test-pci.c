/* PCI configuration mechanism #1, the chipset functions, BAR sizing and decoding, PAM, PIRQ
 * routing, the reset control register, and the PIIX4 PM function (PM timer, SCI, S5). */
#include <pthread.h>
#include <stdatomic.h>

#include "check.h"
#include "fakevm.h"

#include <time.h>
#include <unistd.h>

#include "core/irqsrc.h"
#include "dev/bochs-display.h"
#include "pc/chipset.h"
#include "core/pci.h"

struct board {
    struct fakevm f;
    struct hk_pci_host host;
    struct hk_i440fx nb;
    struct hk_piix3 sb;
    struct hk_piix4_pm pm;
    struct hk_bochs_display disp;
    unsigned resets, power_offs;
};

static void count_reset(void *opaque)
{
    ((struct board *)opaque)->resets++;
}

static void power_off(void *opaque)
{
    ((struct board *)opaque)->power_offs++;
}

static void setup(struct board *b)
{
    memset(b, 0, sizeof(*b));
    fakevm_init(&b->f, 32 << 20);
    hk_pci_host_init(&b->host, &b->f.vm);
    CHECK_EQ(hk_pci_host_attach(&b->host), 0);
    CHECK_EQ(hk_i440fx_init(&b->nb, &b->f.vm, &b->host), 0);
    CHECK_EQ(hk_piix3_init(&b->sb, &b->f.vm, &b->host), 0);
    CHECK_EQ(hk_piix4_pm_init(&b->pm, &b->f.vm, &b->host), 0);
    b->pm.power_off = power_off;
    b->pm.power_off_opaque = b;
    static const uint8_t rom[3000] = {0x55, 0xAA};
    CHECK_EQ(hk_bochs_display_init(&b->disp, &b->f.vm, 16 << 20, rom, sizeof(rom), 1280, 800), 0);
    CHECK_EQ(hk_bochs_display_register(&b->disp, &b->host, 0x10), 0);
    CHECK_EQ(hk_vm_on_reset(&b->f.vm, count_reset, b), 0);
}

static void teardown(struct board *b)
{
    hk_bochs_display_destroy(&b->disp);
    hk_pci_host_destroy(&b->host);
    fakevm_destroy(&b->f);
}

static uint32_t cfg_rd(struct board *b, unsigned devfn, unsigned reg, unsigned size)
{
    pio_write(&b->f, 0xCF8, 4, 0x80000000u | devfn << 8 | (reg & 0xFC));
    return (uint32_t)pio_read(&b->f, 0xCFC + (reg & 3), size);
}

static void cfg_wr(struct board *b, unsigned devfn, unsigned reg, unsigned size, uint32_t v)
{
    pio_write(&b->f, 0xCF8, 4, 0x80000000u | devfn << 8 | (reg & 0xFC));
    pio_write(&b->f, 0xCFC + (reg & 3), size, v);
}

static void test_config_space(void)
{
    struct board b;
    setup(&b);
    /* CONFIG_ADDRESS reads back (SeaBIOS probes with 0x80000000) */
    pio_write(&b.f, 0xCF8, 4, 0x80000000);
    CHECK_EQ(pio_read(&b.f, 0xCF8, 4), 0x80000000);
    CHECK_EQ(cfg_rd(&b, 0x00, 0, 4), 0x12378086);
    CHECK_EQ(cfg_rd(&b, 0x08, 0, 4), 0x70008086);
    CHECK_EQ(cfg_rd(&b, 0x08, 0x0A, 2), 0x0601); /* ISA bridge */
    CHECK_EQ(cfg_rd(&b, 0x08, 0x0E, 1), 0x80);   /* multi-function */
    CHECK_EQ(cfg_rd(&b, 0x0B, 0, 4), 0x71138086);
    CHECK_EQ(facts_of(&b.f, HK_FACT_DISPLAY_ENUMERATED, NULL), 0);
    CHECK_EQ(cfg_rd(&b, 0x10, 0, 4), 0x11111234);
    CHECK_EQ(facts_of(&b.f, HK_FACT_DISPLAY_ENUMERATED, NULL), 1);
    CHECK_EQ(cfg_rd(&b, 0x10, 0x0A, 2), 0x0380);
    CHECK_EQ(cfg_rd(&b, 0x10, 0x2C, 4), 0x11001AF4);
    /* empty slots, other buses, and disabled CONFIG_ADDRESS read all ones */
    CHECK_EQ(cfg_rd(&b, 0x18, 0, 4), 0xFFFFFFFF);
    pio_write(&b.f, 0xCF8, 4, 0x80010000u);
    CHECK_EQ(pio_read(&b.f, 0xCFC, 4), 0xFFFFFFFF);
    pio_write(&b.f, 0xCF8, 4, 0x00000000u);
    CHECK_EQ(pio_read(&b.f, 0xCFC, 4), 0xFFFFFFFF);
    /* read-only fields stay */
    cfg_wr(&b, 0x00, 0, 4, 0);
    CHECK_EQ(cfg_rd(&b, 0x00, 0, 4), 0x12378086);
    /* byte and word accesses at offsets */
    CHECK_EQ(cfg_rd(&b, 0x10, 2, 2), 0x1111);
    CHECK_EQ(cfg_rd(&b, 0x10, 1, 1), 0x12);
    /* PIIX4 PM: the SMM handshake preset; the SCI is IRQ 9, the interrupt line register is the
     * firmware's to write (0 at reset, as on QEMU) */
    CHECK_EQ(cfg_rd(&b, 0x0B, 0x5B, 1), 0x02);
    CHECK_EQ(cfg_rd(&b, 0x0B, 0x3C, 1), 0);
    CHECK_EQ(cfg_rd(&b, 0x0B, 0x3D, 1), 1);
    /* what the conformance replay found firmware and Linux reading on QEMU: every function
     * has subsystem 1af4:1100; PIIX4 PM status 0x0280 and device resources 0x5F/0x63 */
    CHECK_EQ(cfg_rd(&b, 0x00, 0x2C, 4), 0x11001AF4);
    CHECK_EQ(cfg_rd(&b, 0x08, 0x2C, 4), 0x11001AF4);
    CHECK_EQ(cfg_rd(&b, 0x0B, 0x2C, 4), 0x11001AF4);
    CHECK_EQ(cfg_rd(&b, 0x0B, 0x04, 4), 0x02800000);
    CHECK_EQ(cfg_rd(&b, 0x0B, 0x5C, 4), 0x10000000);
    CHECK_EQ(cfg_rd(&b, 0x0B, 0x60, 4), 0x60000000);
    CHECK_EQ(cfg_rd(&b, 0x0B, 0x64, 4), 0x08000000); /* COM1 at 0x3F8 */
    teardown(&b);
}

static void test_pam(void)
{
    struct board b;
    setup(&b);
    for (unsigned r = 0x59; r <= 0x5F; r++) {
        cfg_wr(&b, 0, r, 1, 0xFF);
        CHECK_EQ(cfg_rd(&b, 0, r, 1), 0x33);
        cfg_wr(&b, 0, r, 1, 0x11);
        CHECK_EQ(cfg_rd(&b, 0, r, 1), 0x11);
    }
    /* SMRAM writes are an SMM probe fact */
    cfg_wr(&b, 0, 0x72, 1, 0x4A);
    CHECK_EQ(facts_of(&b.f, HK_FACT_SMM_PROBE, NULL), 1);
    teardown(&b);
}

static void test_bars(void)
{
    struct board b;
    setup(&b);
    /* sizing: 16 MiB prefetchable VRAM, 4 KiB registers, 4 KiB ROM (3000 bytes rounded up) */
    cfg_wr(&b, 0x10, 0x10, 4, 0xFFFFFFFF);
    CHECK_EQ(cfg_rd(&b, 0x10, 0x10, 4), 0xFF000008);
    cfg_wr(&b, 0x10, 0x18, 4, 0xFFFFFFFF);
    CHECK_EQ(cfg_rd(&b, 0x10, 0x18, 4), 0xFFFFF000);
    cfg_wr(&b, 0x10, 0x14, 4, 0xFFFFFFFF); /* unimplemented BAR */
    CHECK_EQ(cfg_rd(&b, 0x10, 0x14, 4), 0);
    cfg_wr(&b, 0x10, 0x30, 4, 0xFFFFFFFF);
    CHECK_EQ(cfg_rd(&b, 0x10, 0x30, 4), 0xFFFFF001);
    /* nothing decodes until memory space is enabled */
    cfg_wr(&b, 0x10, 0x10, 4, 0xE0000000);
    cfg_wr(&b, 0x10, 0x18, 4, 0xE1000000);
    cfg_wr(&b, 0x10, 0x30, 4, 0xE1010001);
    struct hk_mem_region r;
    CHECK(!hk_mem_find(&b.f.vm.mem, 0xE0000000, &r));
    uint64_t v;
    CHECK(!hk_bus_read(&b.f.vm.mmio, 0xE1000500, 2, &v));
    cfg_wr(&b, 0x10, 0x04, 2, 0x0002);
    CHECK(hk_mem_find(&b.f.vm.mem, 0xE0000000, &r));
    CHECK(r.gpa == 0xE0000000 && r.size == 16 << 20 && (r.flags & HK_MEM_DIRTY_LOG));
    CHECK(hk_bus_read(&b.f.vm.mmio, 0xE1000500, 2, &v));
    CHECK_EQ(v, 0xB0C5);
    CHECK(hk_mem_find(&b.f.vm.mem, 0xE1010000, &r));
    CHECK(r.flags & HK_MEM_READONLY);
    CHECK_EQ(*(uint8_t *)hk_mem_ptr(&b.f.vm.mem, 0xE1010001, 1, false), 0xAA);
    /* moving a BAR moves the mapping */
    cfg_wr(&b, 0x10, 0x10, 4, 0xD0000000);
    CHECK(!hk_mem_find(&b.f.vm.mem, 0xE0000000, &r));
    CHECK(hk_mem_find(&b.f.vm.mem, 0xD0000000, &r));
    /* a BAR over guest RAM is refused (and told), over another BAR likewise */
    cfg_wr(&b, 0x10, 0x10, 4, 16 << 20);
    CHECK(hk_mem_find(&b.f.vm.mem, 16 << 20, &r) && r.gpa == 0);
    CHECK(facts_of(&b.f, HK_FACT_GUEST_ERROR, NULL) >= 1);
    cfg_wr(&b, 0x10, 0x30, 4, 0xE1000001); /* ROM onto the registers: refused */
    CHECK(hk_bus_read(&b.f.vm.mmio, 0xE1000500, 2, &v));
    CHECK_EQ(v, 0xB0C5);
    /* disabling memory space unmaps everything */
    cfg_wr(&b, 0x10, 0x04, 2, 0x0000);
    CHECK(!hk_bus_read(&b.f.vm.mmio, 0xE1000500, 2, &v));
    teardown(&b);
}

/* a bare PCI function with INTA, to exercise the PIRQ router */
static void test_pirq(void)
{
    struct board b;
    setup(&b);
    struct hk_pci_dev d;
    hk_pci_dev_init(&d, "test", 0x1AF4, 0x1000, 0, 0xFF0000);
    hk_pci_set_intpin(&d, 1);
    CHECK_EQ(hk_pci_register(&b.host, &d, 3 << 3), 0); /* slot 3, INTA -> PIRQ (0+3-1)&3 = C */
    CHECK_EQ(hk_piix3_pirq(3 << 3, 0), 2);
    hk_pci_set_irq(&d, 1);
    for (int i = 0; i < HK_MAX_GSI; i++)
        CHECK_EQ(b.f.vm.irq_level[i], 0); /* PIRQs start disabled */
    cfg_wr(&b, 0x08, 0x62, 1, 11);        /* PIRQC -> IRQ 11 */
    CHECK_EQ(b.f.vm.irq_level[11], 1);
    CHECK_EQ(cfg_rd(&b, 3 << 3, 0x06, 2) & 0x08, 0x08); /* interrupt status */
    cfg_wr(&b, 0x08, 0x62, 1, 10);                      /* rerouted */
    CHECK_EQ(b.f.vm.irq_level[11], 0);
    CHECK_EQ(b.f.vm.irq_level[10], 1);
    cfg_wr(&b, 3 << 3, 0x04, 2, 0x0400); /* INTx disable */
    CHECK_EQ(b.f.vm.irq_level[10], 0);
    cfg_wr(&b, 3 << 3, 0x04, 2, 0x0000);
    CHECK_EQ(b.f.vm.irq_level[10], 1);
    hk_pci_set_irq(&d, 0);
    CHECK_EQ(b.f.vm.irq_level[10], 0);
    /* a shared line: another source on IRQ 10 keeps it high */
    hk_pci_set_irq(&d, 1);
    hk_vm_set_irq(&b.f.vm, 10, HK_IRQSRC_TEST, 1);
    hk_pci_set_irq(&d, 0);
    CHECK_EQ(b.f.vm.irq_level[10], 1);
    hk_vm_set_irq(&b.f.vm, 10, HK_IRQSRC_TEST, 0);
    CHECK_EQ(b.f.vm.irq_level[10], 0);
    /* invalid targets (0, 2, 8, 13) and the disable bit route nowhere */
    hk_pci_set_irq(&d, 1);
    cfg_wr(&b, 0x08, 0x62, 1, 2);
    for (int i = 0; i < HK_MAX_GSI; i++)
        CHECK_EQ(b.f.vm.irq_level[i], 0);
    cfg_wr(&b, 0x08, 0x62, 1, 0x8B);
    CHECK_EQ(b.f.vm.irq_level[11], 0);
    teardown(&b);
}

static void test_reset_control(void)
{
    struct board b;
    setup(&b);
    cfg_wr(&b, 0x10, 0x18, 4, 0xE1000000);
    cfg_wr(&b, 0x10, 0x04, 2, 0x0002);
    pio_write(&b.f, 0xCF9, 1, 0x02); /* hard reset selected, not yet */
    CHECK_EQ(b.resets, 0);
    CHECK_EQ(pio_read(&b.f, 0xCF9, 1), 0x02);
    pio_write(&b.f, 0xCF9, 1, 0x06);
    CHECK_EQ(b.resets, 1);
    CHECK_EQ(facts_of(&b.f, HK_FACT_RESET, NULL), 1);
    /* port 0x92 bit 0 is a fast reset too */
    pio_write(&b.f, 0x92, 1, 0x01);
    CHECK_EQ(b.resets, 2);
    teardown(&b);
}

static void test_pm(void)
{
    struct board b;
    setup(&b);
    /* nothing at the PM base until PMBA and PMREGMISC are set */
    uint64_t v;
    CHECK(!hk_bus_read(&b.f.vm.pio, 0xB008, 4, &v));
    cfg_wr(&b, 0x0B, 0x40, 4, 0xB000);
    CHECK_EQ(cfg_rd(&b, 0x0B, 0x40, 4), 0xB001);
    CHECK(!hk_bus_read(&b.f.vm.pio, 0xB008, 4, &v));
    cfg_wr(&b, 0x0B, 0x80, 1, 1);
    CHECK_EQ(hk_piix4_pm_base(&b.pm), 0xB000);
    /* ACPI mode from power-on: the FADT has no SMI_CMD, so the OS expects SCI_EN set (QEMU's
     * pc,smm=off has the same); it is writable, and a reset sets it again */
    CHECK_EQ(pio_read(&b.f, 0xB004, 2), 0x0001);
    pio_write(&b.f, 0xB004, 2, 0x0000);
    CHECK_EQ(pio_read(&b.f, 0xB004, 2), 0x0000);
    hk_pci_host_reset(&b.host);
    cfg_wr(&b, 0x0B, 0x40, 4, 0xB000);
    cfg_wr(&b, 0x0B, 0x80, 1, 1);
    CHECK_EQ(pio_read(&b.f, 0xB004, 2), 0x0001);
    /* the PM timer counts at 3.579545 MHz, 24 bits */
    uint32_t t1 = (uint32_t)pio_read(&b.f, 0xB008, 4);
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL);
    uint32_t t2 = (uint32_t)pio_read(&b.f, 0xB008, 4);
    uint32_t delta = (t2 - t1) & 0xFFFFFF;
    CHECK(t1 < (1u << 24) && t2 < (1u << 24));
    CHECK(delta >= 60000 && delta < 1000000); /* >= 17 ms of ticks; no upper speed claim */
    /* power button -> SCI (IRQ 9) when enabled; cleared by writing 1 */
    hk_piix4_pm_power_button(&b.pm);
    CHECK_EQ(b.f.vm.irq_level[9], 0);
    pio_write(&b.f, 0xB002, 2, 0x0100);
    CHECK_EQ(b.f.vm.irq_level[9], 1);
    CHECK_EQ(pio_read(&b.f, 0xB000, 2) & 0x0100, 0x0100);
    pio_write(&b.f, 0xB000, 2, 0x0100);
    CHECK_EQ(b.f.vm.irq_level[9], 0);
    /* S5: SLP_TYP 0 + SLP_EN */
    pio_write(&b.f, 0xB004, 2, 0x2000);
    CHECK_EQ(b.power_offs, 1);
    /* moving the base moves the registers */
    cfg_wr(&b, 0x0B, 0x40, 4, 0x0600);
    CHECK(hk_bus_read(&b.f.vm.pio, 0x608, 4, &v));
    CHECK(!hk_bus_read(&b.f.vm.pio, 0xB008, 4, &v));
    teardown(&b);
}

/* The chipset functions say when they cannot be attached (their slot or ports are taken) instead
 * of being left out silently, and a full reset table is refused with an error logged. */
static void test_attach_results(void)
{
    struct board b;
    setup(&b);
    struct hk_i440fx nb2;
    struct hk_piix3 sb2;
    struct hk_piix4_pm pm2;
    memset(&pm2, 0, sizeof(pm2));
    CHECK_EQ(hk_i440fx_init(&nb2, &b.f.vm, &b.host), -1);
    CHECK_EQ(hk_piix3_init(&sb2, &b.f.vm, &b.host), -1);
    CHECK_EQ(hk_piix4_pm_init(&pm2, &b.f.vm, &b.host), -1);
    pthread_mutex_destroy(&pm2.lock);
    /* a fresh host, but port 0x92 already claimed: PIIX3 fails on its port */
    struct hk_pci_host h2;
    hk_pci_host_init(&h2, &b.f.vm);
    CHECK_EQ(hk_piix3_init(&sb2, &b.f.vm, &h2), -1);
    hk_pci_host_destroy(&h2);
    /* the reset table: full after HK_MAX_RESET, and it says so */
    unsigned n = b.f.vm.nreset_hooks;
    for (; n < HK_MAX_RESET; n++)
        CHECK_EQ(hk_vm_on_reset(&b.f.vm, count_reset, &b), 0);
    b.f.log.last_error[0] = 0;
    CHECK_EQ(hk_vm_on_reset(&b.f.vm, count_reset, &b), -1);
    CHECK(strstr(b.f.log.last_error, "reset handlers") != NULL);
    teardown(&b);
}

/* A vCPU moves the display's BAR0 (a configuration write, under the PCI lock) while the event
 * thread computes display damage from where BAR0 is: that read takes the PCI lock too. The
 * ThreadSanitizer build (.ci/hako) reports the race when it does not. */
struct mover {
    struct board *b;
    atomic_int stop;
};

static void *move_bar0(void *arg)
{
    struct mover *m = arg;
    for (int i = 0; !atomic_load(&m->stop) && i < 20000; i++) {
        cfg_wr(m->b, 0x10, 0x10, 4, (i & 1) ? 0xD0000000u : 0xE0000000u);
        cfg_wr(m->b, 0x10, 0x04, 2, (i & 2) ? 0x0002 : 0x0000);
    }
    return NULL;
}

static void test_bar_vs_damage(void)
{
    struct board b;
    setup(&b);
    /* a mode, so that damage looks at BAR0 */
    hk_bochs_mmio_write(&b.disp, 0x500 + 2 * HK_DISPI_BPP, 32, 2);
    hk_bochs_mmio_write(&b.disp, 0x500 + 2 * HK_DISPI_XRES, 640, 2);
    hk_bochs_mmio_write(&b.disp, 0x500 + 2 * HK_DISPI_YRES, 480, 2);
    hk_bochs_mmio_write(&b.disp, 0x500 + 2 * HK_DISPI_VIRT_WIDTH, 640, 2);
    hk_bochs_mmio_write(&b.disp, 0x500 + 2 * HK_DISPI_ENABLE, 0x41, 2);
    struct mover m = {&b, 0};
    pthread_t t;
    pthread_create(&t, NULL, move_bar0, &m);
    unsigned full = 0;
    for (int i = 0; i < 20000; i++) {
        uint32_t y0, y1;
        if (hk_bochs_display_damage(&b.disp, &y0, &y1) && y0 == 0 && y1 == 480)
            full++;
    }
    atomic_store(&m.stop, 1);
    pthread_join(t, NULL);
    CHECK(full > 0); /* without a dirty log (no KVM) every call reports the whole screen */
    teardown(&b);
}

TEST_MAIN(TEST(test_config_space), TEST(test_pam), TEST(test_bars), TEST(test_pirq),
          TEST(test_reset_control), TEST(test_pm), TEST(test_attach_results),
          TEST(test_bar_vs_damage))
