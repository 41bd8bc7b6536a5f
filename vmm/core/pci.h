/*
 * Conventional PCI: configuration mechanism #1 (ports 0xCF8/0xCFC, PCI Local Bus Specification 3.0
 * §3.2.2.3.2), type-0 configuration headers with write masks, BAR sizing and decoding, expansion
 * ROM BARs and INTx. Bus 0 only. A BAR is either trapped (an hk_io_ops handler on the PIO or MMIO
 * bus) or memory-backed (a KVM memslot that moves with the BAR).
 */
#ifndef HK_CORE_PCI_H
#define HK_CORE_PCI_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "bus.h"
#include "hako/bytes.h"

struct hk_vm;
struct hk_pci_host;

#define HK_PCI_NUM_BARS 7
#define HK_PCI_ROM_BAR  6

enum hk_pci_bar_type { HK_PCI_BAR_NONE, HK_PCI_BAR_IO, HK_PCI_BAR_MEM32, HK_PCI_BAR_MEM64 };

struct hk_pci_bar {
    enum hk_pci_bar_type type;
    bool prefetch;
    uint64_t size; /* power of two */
    const struct hk_io_ops *ops;
    void *opaque;
    void *ram; /* memory-backed BAR when set */
    unsigned ram_flags;
    const char *name;
    bool mapped;
    uint64_t addr;
};

struct hk_pci_dev {
    struct hk_pci_host *host;
    uint8_t devfn;
    const char *name;
    void *opaque;
    uint8_t cfg[256], wmask[256], w1cmask[256], cfg_init[256];
    struct hk_pci_bar bar[HK_PCI_NUM_BARS];
    int intx_level;
    uint8_t cap_next, cap_last;
    /* optional hooks; cfg_read may change the value read; cfg_write runs after the write landed */
    uint32_t (*cfg_read)(struct hk_pci_dev *d, unsigned off, unsigned size, uint32_t val);
    void (*cfg_write)(struct hk_pci_dev *d, unsigned off, unsigned size, uint32_t val);
    void (*bar_moved)(struct hk_pci_dev *d, int bar);
    void (*reset)(struct hk_pci_dev *d);
};

/* Routes a device's INTx pin (0 = INTA) to an interrupt line (the PIIX3 PIRQ router). */
typedef void (*hk_pci_intx_fn)(void *opaque, struct hk_pci_dev *d, int pin, int level);

struct hk_pci_host {
    struct hk_vm *vm;
    pthread_mutex_t lock;
    uint32_t addr; /* CONFIG_ADDRESS */
    struct hk_pci_dev *dev[256];
    hk_pci_intx_fn route_intx;
    void *route_opaque;
    uint8_t rcr; /* reset control register, port 0xCF9 */
};

void hk_pci_host_init(struct hk_pci_host *h, struct hk_vm *vm);
/* Whether BAR bar is mapped, and where, read under the host's lock (vCPUs move BARs while other
 * threads look at them). */
bool hk_pci_bar_mapped(struct hk_pci_dev *d, int bar, uint64_t *addr);
void hk_pci_host_destroy(struct hk_pci_host *h);
/* Registers the 0xCF8-0xCFF ports on the VM's PIO bus. */
int hk_pci_host_attach(struct hk_pci_host *h);
void hk_pci_host_reset(struct hk_pci_host *h);

/* Sets up the header of a type-0 function. */
void hk_pci_dev_init(struct hk_pci_dev *d, const char *name, uint16_t vendor, uint16_t device,
                     uint8_t revision, uint32_t class_code /* class<<16|subclass<<8|prog-if */);
void hk_pci_set_subsystem(struct hk_pci_dev *d, uint16_t vendor, uint16_t id);
/* pin: 1 = INTA ... 4 = INTD, 0 = none */
void hk_pci_set_intpin(struct hk_pci_dev *d, uint8_t pin);
/* Declares BAR i. A MEM64 BAR takes slots i and i+1. For a memory-backed BAR pass ram (ops may be
 * NULL, or handle writes to a read-only backing). */
void hk_pci_set_bar(struct hk_pci_dev *d, int i, enum hk_pci_bar_type type, bool prefetch,
                    uint64_t size, const struct hk_io_ops *ops, void *opaque, void *ram,
                    unsigned ram_flags);
/* Adds a capability (list link maintained); returns its offset or 0 if there is no room. */
unsigned hk_pci_add_cap(struct hk_pci_dev *d, uint8_t id, const void *body, unsigned len);
/* Adds a capability at a given offset (dword-aligned, 0x40 or above) in front of the list, as
 * QEMU's devices build theirs; returns off, or 0 if it does not fit. Do not mix with
 * hk_pci_add_cap on one device. */
unsigned hk_pci_add_cap_at(struct hk_pci_dev *d, unsigned off, uint8_t id, const void *body,
                           unsigned len);
int hk_pci_register(struct hk_pci_host *h, struct hk_pci_dev *d, uint8_t devfn);
/* Drives INTx (honours the command register's interrupt-disable bit). */
void hk_pci_set_irq(struct hk_pci_dev *d, int level);

/* Configuration access (also used by unit tests and the firmware-facing port handler). */
uint32_t hk_pci_cfg_read(struct hk_pci_host *h, uint8_t devfn, unsigned off, unsigned size);
void hk_pci_cfg_write(struct hk_pci_host *h, uint8_t devfn, unsigned off, unsigned size,
                      uint32_t val);

static inline uint16_t hk_pci_get16(const struct hk_pci_dev *d, unsigned off)
{
    return hk_le16(&d->cfg[off]);
}
static inline uint32_t hk_pci_get32(const struct hk_pci_dev *d, unsigned off)
{
    return hk_le32(&d->cfg[off]);
}
static inline void hk_pci_put16(uint8_t *p, uint16_t v)
{
    hk_put_le16(p, v);
}
static inline void hk_pci_put32(uint8_t *p, uint32_t v)
{
    hk_put_le32(p, v);
}

#define HK_PCI_COMMAND_IO           0x1
#define HK_PCI_COMMAND_MEMORY       0x2
#define HK_PCI_COMMAND_MASTER       0x4
#define HK_PCI_COMMAND_INTX_DISABLE 0x400

#endif
