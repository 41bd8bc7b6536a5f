/* 00:00.0 Intel 82441FX host bridge: IDs, PAM registers (0x59-0x5F) and SMRAM control (0x72).
 * PAM writes are accepted and kept; the BIOS area stays plain RAM preloaded from the firmware
 * image. Writes to SMRAM control are a diagnostic fact (secure-boot firmware probes SMM). */
#include "chipset.h"

#include "../core/vm.h"

static void i440fx_cfg_write(struct hk_pci_dev *d, unsigned off, unsigned size, uint32_t val)
{
    struct hk_i440fx *h = d->opaque;
    if (off <= 0x72 && off + size > 0x72)
        hk_fact(&h->vm->facts, HK_FACT_SMM_PROBE, 0x72, (int64_t)val, 0,
                "SMRAM control register written (SMM is not available)");
}

int hk_i440fx_init(struct hk_i440fx *h, struct hk_vm *vm, struct hk_pci_host *host)
{
    h->vm = vm;
    hk_pci_dev_init(&h->pci, "i440fx", 0x8086, 0x1237, 0x02, 0x060000);
    hk_pci_set_subsystem(&h->pci, 0x1AF4, 0x1100); /* as QEMU gives every function */
    h->pci.opaque = h;
    h->pci.cfg_write = i440fx_cfg_write;
    for (unsigned i = 0x59; i <= 0x5F; i++)
        h->pci.wmask[i] = 0x33;
    h->pci.cfg[0x72] = 0x02;
    h->pci.wmask[0x72] = 0x78;
    return hk_pci_register(host, &h->pci, 0x00);
}
