/* 00:01.0 Intel 82371SB PIIX3 PCI-to-ISA bridge: PIRQA-D routing registers (0x60-0x63) that steer
 * PCI INTx to ISA IRQs (level-triggered, shared), and port 0x92 (System Control Port A: fast A20,
 * bit 0 = fast reset). The ELCR (0x4D0/0x4D1) is part of the in-kernel PIC. */
#include "chipset.h"

#include "../core/irqsrc.h"
#include "../core/vm.h"

static int pirq_target(const struct hk_piix3 *p, int pirq)
{
    uint8_t r = p->pci.cfg[0x60 + pirq];
    if (r & 0x80)
        return -1;
    r &= 0x0F;
    /* IRQs 0, 1, 2, 8 and 13 cannot be PIRQ targets */
    if (r < 3 || r == 8 || r == 13)
        return -1;
    return r;
}

/* Re-derives line levels for every PIRQ. Called with the PCI host lock held. */
static void update_pirqs(struct hk_piix3 *p)
{
    int level[4] = {0, 0, 0, 0};
    for (unsigned i = 0; i < 256; i++) {
        struct hk_pci_dev *d = p->host->dev[i];
        if (!d || !d->intx_level || (hk_pci_get16(d, 0x04) & HK_PCI_COMMAND_INTX_DISABLE))
            continue;
        int pin = d->cfg[0x3D];
        if (pin >= 1 && pin <= 4)
            level[hk_piix3_pirq(d->devfn, pin - 1)] = 1;
    }
    for (int q = 0; q < 4; q++) {
        int irq = pirq_target(p, q);
        if (irq != p->pirq_irq[q] && p->pirq_irq[q] >= 0)
            hk_vm_set_irq(p->vm, (unsigned)p->pirq_irq[q], HK_IRQSRC_PIRQ0 + (unsigned)q, 0);
        p->pirq_irq[q] = irq;
        p->pirq_level[q] = level[q];
        if (irq >= 0)
            hk_vm_set_irq(p->vm, (unsigned)irq, HK_IRQSRC_PIRQ0 + (unsigned)q, level[q]);
    }
}

static void route_intx(void *opaque, struct hk_pci_dev *d, int pin, int level)
{
    (void)d;
    (void)pin;
    (void)level;
    update_pirqs(opaque);
}

static void piix3_cfg_write(struct hk_pci_dev *d, unsigned off, unsigned size, uint32_t val)
{
    (void)val;
    if (off < 0x64 && off + size > 0x60)
        update_pirqs(d->opaque);
}

static void piix3_reset(struct hk_pci_dev *d)
{
    struct hk_piix3 *p = d->opaque;
    for (int q = 0; q < 4; q++)
        p->pirq_irq[q] = -1, p->pirq_level[q] = 0;
    p->port92 = 0;
}

static uint64_t port92_read(void *opaque, uint64_t off, unsigned size)
{
    struct hk_piix3 *p = opaque;
    (void)off;
    (void)size;
    return p->port92;
}

static void port92_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    struct hk_piix3 *p = opaque;
    (void)off;
    (void)size;
    uint8_t old = p->port92;
    p->port92 = (uint8_t)(val & 0x02); /* A20 is always on under KVM; keep the bit readable */
    if ((val & 1) && !(old & 1))
        hk_vm_request_reset(p->vm, "fast reset through port 0x92");
}

static const struct hk_io_ops port92_ops = {port92_read, port92_write};

int hk_piix3_init(struct hk_piix3 *p, struct hk_vm *vm, struct hk_pci_host *host)
{
    p->vm = vm;
    p->host = host;
    hk_pci_dev_init(&p->pci, "piix3", 0x8086, 0x7000, 0x00, 0x060100);
    hk_pci_set_subsystem(&p->pci, 0x1AF4, 0x1100); /* as QEMU gives every function */
    p->pci.opaque = p;
    p->pci.cfg[0x0E] = 0x80; /* multi-function */
    hk_pci_put16(&p->pci.cfg[0x04], 0x0007);
    hk_pci_put16(&p->pci.cfg[0x06], 0x0200);
    for (int q = 0; q < 4; q++) {
        p->pci.cfg[0x60 + q] = 0x80;
        p->pci.wmask[0x60 + q] = 0x8F;
        p->pirq_irq[q] = -1;
    }
    p->pci.cfg_write = piix3_cfg_write;
    p->pci.reset = piix3_reset;
    if (hk_pci_register(host, &p->pci, 0x08) < 0)
        return -1;
    host->route_intx = route_intx;
    host->route_opaque = p;
    return hk_bus_add(&vm->pio, 0x92, 1, &port92_ops, p, "port92");
}
