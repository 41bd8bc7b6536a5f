/* 00:01.3 Intel 82371AB PIIX4 power management function: PMBA (0x40) + PMREGMISC (0x80) decode the
 * ACPI fixed-hardware registers (PM1 status/enable/control, the 24-bit 3.579545 MHz PM timer), a
 * GPE0 block at 0xAFE0, the SCI on IRQ 9, soft-off (S5) and the power button. Config byte 0x5B bit
 * 1 (DEVACTB APMC_EN) is preset so firmware treats its SMM set-up as done. PM1 control powers on
 * with SCI_EN set (ACPI mode, FADT SMI_CMD 0). */
#include "chipset.h"

#include <string.h>

#include "../core/irqsrc.h"
#include "../core/vm.h"

#define PM1_TMR_STS    0x0001
#define PM1_GBL_STS    0x0020
#define PM1_PWRBTN_STS 0x0100
#define PM1_RTC_STS    0x0400
#define PM1_WAK_STS    0x8000
#define PM1_CNT_SCI_EN 0x0001
#define PM1_CNT_SLP_EN 0x2000

uint32_t hk_piix4_pm_timer(struct hk_piix4_pm *pm)
{
    uint64_t ns = hk_now_ns() - pm->t0;
    /* ticks = ns * 3579545 / 1e9 without overflow for centuries */
    uint64_t ticks = (ns / 1000000000ull) * HK_PM_TIMER_HZ +
                     (ns % 1000000000ull) * HK_PM_TIMER_HZ / 1000000000ull;
    return (uint32_t)(ticks & 0xFFFFFF);
}

/* Called with pm->lock held. */
static void update_sci(struct hk_piix4_pm *pm)
{
    int level = ((pm->pm1_sts & pm->pm1_en) &
                 (PM1_TMR_STS | PM1_GBL_STS | PM1_PWRBTN_STS | PM1_RTC_STS)) != 0 ||
                (pm->gpe_sts & pm->gpe_en) != 0;
    pm->sci = level;
    hk_vm_set_irq(pm->vm, 9, HK_IRQSRC_SCI, level);
}

static uint64_t ns_until_overflow(struct hk_piix4_pm *pm)
{
    uint32_t now = hk_piix4_pm_timer(pm);
    uint32_t left = 0x800000 - (now & 0x7FFFFF);
    return (uint64_t)left * 1000000000ull / HK_PM_TIMER_HZ + 1000;
}

static void overflow_cb(void *opaque)
{
    struct hk_piix4_pm *pm = opaque;
    pthread_mutex_lock(&pm->lock);
    pm->pm1_sts |= PM1_TMR_STS;
    update_sci(pm);
    if (pm->pm1_en & PM1_TMR_STS)
        hk_timer_arm(pm->overflow_timer, ns_until_overflow(pm), 0);
    pthread_mutex_unlock(&pm->lock);
}

static uint64_t pm_read(void *opaque, uint64_t off, unsigned size)
{
    struct hk_piix4_pm *pm = opaque;
    uint8_t regs[16];
    pthread_mutex_lock(&pm->lock);
    hk_pci_put16(&regs[0], pm->pm1_sts);
    hk_pci_put16(&regs[2], pm->pm1_en);
    hk_pci_put16(&regs[4], pm->pm1_cnt);
    hk_pci_put16(&regs[6], 0);
    hk_pci_put32(&regs[8], hk_piix4_pm_timer(pm));
    memset(&regs[12], 0, 4);
    pthread_mutex_unlock(&pm->lock);
    if (off + size > sizeof(regs))
        return 0;
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint64_t)regs[off + i] << (8 * i);
    return v;
}

static void pm_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    struct hk_piix4_pm *pm = opaque;
    bool off_now = false;
    pthread_mutex_lock(&pm->lock);
    for (unsigned i = 0; i < size; i++) {
        unsigned o = (unsigned)off + i;
        uint8_t b = (uint8_t)(val >> (8 * i));
        switch (o) {
        case 0: pm->pm1_sts &= (uint16_t)~b; break;
        case 1: pm->pm1_sts &= (uint16_t) ~((unsigned)b << 8); break;
        case 2: pm->pm1_en = (uint16_t)((pm->pm1_en & 0xFF00) | b); break;
        case 3: pm->pm1_en = (uint16_t)((pm->pm1_en & 0x00FF) | (unsigned)b << 8); break;
        case 4: pm->pm1_cnt = (uint16_t)((pm->pm1_cnt & 0xFF00) | b); break;
        case 5: pm->pm1_cnt = (uint16_t)((pm->pm1_cnt & 0x00FF) | (unsigned)b << 8); break;
        default: break;
        }
    }
    if (pm->pm1_cnt & PM1_CNT_SLP_EN) {
        unsigned typ = (pm->pm1_cnt >> 10) & 7;
        pm->pm1_cnt &= (uint16_t)~PM1_CNT_SLP_EN;
        if (typ == 0) /* _S5 in Hako's DSDT */
            off_now = true;
        else
            hk_warn(pm->vm->log, "guest asked for sleep type %u, which is not offered", typ);
    }
    if (pm->pm1_en & PM1_TMR_STS)
        hk_timer_arm(pm->overflow_timer, ns_until_overflow(pm), 0);
    update_sci(pm);
    pthread_mutex_unlock(&pm->lock);
    if (off_now) {
        hk_fact(&pm->vm->facts, HK_FACT_POWER_OFF, 0, 0, 0, "ACPI soft-off (S5)");
        if (pm->power_off)
            pm->power_off(pm->power_off_opaque);
        else
            hk_vm_request_stop(pm->vm, 0, "the guest powered off");
    }
}

static const struct hk_io_ops pm_ops = {pm_read, pm_write};

static uint64_t gpe_read(void *opaque, uint64_t off, unsigned size)
{
    struct hk_piix4_pm *pm = opaque;
    pthread_mutex_lock(&pm->lock);
    uint32_t v = (uint32_t)pm->gpe_sts | (uint32_t)pm->gpe_en << 16;
    pthread_mutex_unlock(&pm->lock);
    return (v >> (8 * off)) & hk_ones(size);
}

static void gpe_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    struct hk_piix4_pm *pm = opaque;
    pthread_mutex_lock(&pm->lock);
    for (unsigned i = 0; i < size; i++) {
        unsigned o = (unsigned)off + i;
        uint8_t b = (uint8_t)(val >> (8 * i));
        if (o < 2)
            pm->gpe_sts &= (uint16_t) ~((unsigned)b << (8 * o));
        else if (o < 4)
            pm->gpe_en =
                (uint16_t)((pm->gpe_en & ~(0xFFu << (8 * (o - 2)))) | (unsigned)b << (8 * (o - 2)));
    }
    update_sci(pm);
    pthread_mutex_unlock(&pm->lock);
}

static const struct hk_io_ops gpe_ops = {gpe_read, gpe_write};

/* Decodes PMBA/PMREGMISC. Called with the PCI host lock held. */
static void update_decode(struct hk_piix4_pm *pm)
{
    uint16_t base = (uint16_t)(hk_pci_get32(&pm->pci, 0x40) & 0xFFC0);
    bool on = (pm->pci.cfg[0x80] & 1) != 0 && base != 0;
    uint16_t want = on ? base : 0;
    if (want == pm->io_base)
        return;
    if (pm->io_base)
        hk_bus_remove(&pm->vm->pio, pm->io_base, pm);
    pm->io_base = 0;
    if (want) {
        if (hk_bus_add(&pm->vm->pio, want, HK_PM_SIZE, &pm_ops, pm, "piix4-pm") == 0)
            pm->io_base = want;
        else
            hk_fact(&pm->vm->facts, HK_FACT_GUEST_ERROR, want, 0, 0,
                    "ACPI PM base 0x%x overlaps another device", want);
    }
}

static void pm_cfg_write(struct hk_pci_dev *d, unsigned off, unsigned size, uint32_t val)
{
    (void)val;
    if ((off < 0x44 && off + size > 0x40) || (off <= 0x80 && off + size > 0x80))
        update_decode(d->opaque);
}

static void pm_reset(struct hk_pci_dev *d)
{
    struct hk_piix4_pm *pm = d->opaque;
    pthread_mutex_lock(&pm->lock);
    pm->pm1_sts = pm->pm1_en = 0;
    pm->pm1_cnt = PM1_CNT_SCI_EN; /* ACPI mode: see hk_piix4_pm_init */
    pm->gpe_sts = pm->gpe_en = 0;
    pm->sci = 0;
    if (pm->overflow_timer)
        hk_timer_arm(pm->overflow_timer, 0, 0);
    pthread_mutex_unlock(&pm->lock);
    update_decode(pm);
}

void hk_piix4_pm_power_button(struct hk_piix4_pm *pm)
{
    pthread_mutex_lock(&pm->lock);
    pm->pm1_sts |= PM1_PWRBTN_STS;
    update_sci(pm);
    pthread_mutex_unlock(&pm->lock);
}

uint16_t hk_piix4_pm_base(struct hk_piix4_pm *pm)
{
    return pm->io_base;
}

int hk_piix4_pm_init(struct hk_piix4_pm *pm, struct hk_vm *vm, struct hk_pci_host *host)
{
    pm->vm = vm;
    pthread_mutex_init(&pm->lock, NULL);
    pm->t0 = hk_now_ns();
    /* The machine is always in ACPI mode: the FADT has no SMI_CMD (no SMM to switch modes), and
     * with SMI_CMD 0 the OS takes SCI_EN as already set. QEMU's PIIX4 without SMM ("acpi_only")
     * comes up the same way. */
    pm->pm1_cnt = PM1_CNT_SCI_EN;
    if (vm->loop && !(pm->overflow_timer = hk_timer_new(vm->loop, overflow_cb, pm)))
        return -1;
    hk_pci_dev_init(&pm->pci, "piix4-pm", 0x8086, 0x7113, 0x03, 0x068000);
    hk_pci_set_subsystem(&pm->pci, 0x1AF4, 0x1100); /* as QEMU gives every function */
    pm->pci.opaque = pm;
    hk_pci_set_intpin(&pm->pci, 1);
    /* PCISTS: medium DEVSEL timing, fast back-to-back capable (the datasheet's 0280h, and
     * QEMU's); the interrupt line is the firmware's to program (SeaBIOS and OVMF write 9) */
    hk_pci_put16(&pm->pci.cfg[0x06], 0x0280);
    /* device resource registers as QEMU presets them (Linux's PIIX4 quirk reads them) */
    pm->pci.cfg[0x5F] = 0x10;
    pm->pci.cfg[0x63] = 0x60;
    pm->pci.cfg[0x67] = 0x08;                     /* I/O at 0x3F8 decoded: COM1 */
    hk_pci_put32(&pm->pci.cfg[0x40], 0x00000001); /* PMBA: I/O space indicator */
    hk_pci_put32(&pm->pci.wmask[0x40], 0x0000FFC0);
    pm->pci.wmask[0x80] = 0x01;                   /* PMREGMISC.PMIOSE */
    pm->pci.cfg[0x5B] = 0x02;                     /* DEVACTB.APMC_EN: SMM set-up done */
    hk_pci_put32(&pm->pci.cfg[0x90], 0x00000001); /* SMBBA: I/O space indicator */
    hk_pci_put32(&pm->pci.wmask[0x90], 0x0000FFF0);
    pm->pci.wmask[0xD2] = 0x0F; /* SMBus host configuration */
    pm->pci.cfg_write = pm_cfg_write;
    pm->pci.reset = pm_reset;
    if (hk_pci_register(host, &pm->pci, 0x0B) < 0)
        return -1;
    return hk_bus_add(&vm->pio, HK_GPE0_BASE, 4, &gpe_ops, pm, "gpe0");
}
