/*
 * The Intel 440FX/PIIX3/PIIX4 chipset functions of QEMU's "pc" machine, which stock SeaBIOS and
 * OVMF know: 00:00.0 i440FX host bridge (PAM, SMRAM register), 00:01.0 PIIX3 PCI-to-ISA bridge
 * (PIRQ routing, ELCR lives in the kernel's PIC), 00:01.3 PIIX4 power management (ACPI PM1
 * registers, PM timer, SCI). Documents: Intel 82441FX/82442FX datasheet (290549), 82371SB PIIX3
 * datasheet (290550), 82371AB PIIX4 datasheet (290562) and the ACPI specification (fixed hardware).
 */
#ifndef HK_PC_CHIPSET_H
#define HK_PC_CHIPSET_H

#include <pthread.h>
#include <stdint.h>

#include "../core/pci.h"

struct hk_vm;
struct hk_loop;
struct hk_timer;

struct hk_i440fx {
    struct hk_pci_dev pci;
    struct hk_vm *vm;
};

/* The init functions return 0, or -1 when the device's PCI slot or ports are taken. */
int hk_i440fx_init(struct hk_i440fx *h, struct hk_vm *vm, struct hk_pci_host *host);

struct hk_piix3 {
    struct hk_pci_dev pci;
    struct hk_vm *vm;
    struct hk_pci_host *host;
    int pirq_level[4];
    int pirq_irq[4]; /* IRQ each PIRQ currently drives, -1 = none */
    uint8_t port92;
};

int hk_piix3_init(struct hk_piix3 *p, struct hk_vm *vm, struct hk_pci_host *host);
/* PIRQ for a device's INTx: (pin + slot - 1) & 3, with pin 0 = INTA. */
static inline int hk_piix3_pirq(uint8_t devfn, int pin)
{
    return (pin + (devfn >> 3) - 1) & 3;
}

#define HK_PM_SIZE     64
#define HK_GPE0_BASE   0xAFE0
#define HK_PM_TIMER_HZ 3579545ull

struct hk_piix4_pm {
    struct hk_pci_dev pci;
    struct hk_vm *vm;
    pthread_mutex_t lock;
    uint16_t pm1_sts, pm1_en, pm1_cnt;
    uint16_t gpe_sts, gpe_en;
    uint16_t io_base; /* currently decoded PM base, 0 = none */
    uint64_t t0;      /* PM timer epoch */
    int sci;
    struct hk_timer *overflow_timer;
    /* called when the guest enters S5 (soft off) */
    void (*power_off)(void *opaque);
    void *power_off_opaque;
};

int hk_piix4_pm_init(struct hk_piix4_pm *pm, struct hk_vm *vm, struct hk_pci_host *host);
/* The ACPI power button (app "Power off" asks the guest politely). */
void hk_piix4_pm_power_button(struct hk_piix4_pm *pm);
uint32_t hk_piix4_pm_timer(struct hk_piix4_pm *pm);
/* PM base the firmware programmed, if enabled; else 0 */
uint16_t hk_piix4_pm_base(struct hk_piix4_pm *pm);

#define HK_PM_DEFAULT_BASE 0x600

#endif
