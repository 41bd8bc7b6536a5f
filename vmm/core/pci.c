#include "pci.h"

#include <string.h>

#include "vm.h"

void hk_pci_host_init(struct hk_pci_host *h, struct hk_vm *vm)
{
    memset(h, 0, sizeof(*h));
    h->vm = vm;
    /* recursive: device hooks that run under the lock may raise INTx */
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&h->lock, &a);
    pthread_mutexattr_destroy(&a);
}

void hk_pci_host_destroy(struct hk_pci_host *h)
{
    pthread_mutex_destroy(&h->lock);
}

void hk_pci_dev_init(struct hk_pci_dev *d, const char *name, uint16_t vendor, uint16_t device,
                     uint8_t revision, uint32_t class_code)
{
    memset(d, 0, sizeof(*d));
    d->name = name;
    hk_pci_put16(&d->cfg[0x00], vendor);
    hk_pci_put16(&d->cfg[0x02], device);
    d->cfg[0x08] = revision;
    d->cfg[0x09] = (uint8_t)class_code;
    d->cfg[0x0A] = (uint8_t)(class_code >> 8);
    d->cfg[0x0B] = (uint8_t)(class_code >> 16);
    /* command: I/O, memory, bus master, SERR# enable, interrupt disable (QEMU's devices take
     * SERR# too, and firmware sets it) */
    hk_pci_put16(&d->wmask[0x04], 0x0507);
    /* status: the error bits are write-one-to-clear */
    hk_pci_put16(&d->w1cmask[0x06], 0xF900);
    d->wmask[0x0C] = 0xFF; /* cache line size */
    d->wmask[0x0D] = 0xFF; /* latency timer */
    d->wmask[0x3C] = 0xFF; /* interrupt line */
}

void hk_pci_set_subsystem(struct hk_pci_dev *d, uint16_t vendor, uint16_t id)
{
    hk_pci_put16(&d->cfg[0x2C], vendor);
    hk_pci_put16(&d->cfg[0x2E], id);
}

void hk_pci_set_intpin(struct hk_pci_dev *d, uint8_t pin)
{
    d->cfg[0x3D] = pin;
}

static unsigned bar_offset(int i)
{
    return i == HK_PCI_ROM_BAR ? 0x30 : 0x10 + 4 * (unsigned)i;
}

void hk_pci_set_bar(struct hk_pci_dev *d, int i, enum hk_pci_bar_type type, bool prefetch,
                    uint64_t size, const struct hk_io_ops *ops, void *opaque, void *ram,
                    unsigned ram_flags)
{
    if (i < 0 || i >= HK_PCI_NUM_BARS || size == 0 || (size & (size - 1)))
        return;
    if (type == HK_PCI_BAR_IO && size < 4)
        size = 4;
    if (type != HK_PCI_BAR_IO && size < 16)
        size = 16;
    struct hk_pci_bar *b = &d->bar[i];
    *b = (struct hk_pci_bar){.type = type,
                             .prefetch = prefetch,
                             .size = size,
                             .ops = ops,
                             .opaque = opaque,
                             .ram = ram,
                             .ram_flags = ram_flags,
                             .name = d->name};
    unsigned off = bar_offset(i);
    uint64_t mask = ~(size - 1);
    if (i == HK_PCI_ROM_BAR) {
        hk_pci_put32(&d->wmask[off], (uint32_t)(mask & 0xFFFFF800u) | 1u);
        hk_pci_put32(&d->cfg[off], 0);
        return;
    }
    uint32_t low_flags = 0;
    if (type == HK_PCI_BAR_IO)
        low_flags = 1;
    else if (type == HK_PCI_BAR_MEM64)
        low_flags = 4;
    if (prefetch && type != HK_PCI_BAR_IO)
        low_flags |= 8;
    hk_pci_put32(&d->cfg[off], low_flags);
    hk_pci_put32(&d->wmask[off], (uint32_t)mask & (type == HK_PCI_BAR_IO ? ~3u : ~15u));
    if (type == HK_PCI_BAR_MEM64 && i + 1 < HK_PCI_ROM_BAR) {
        hk_pci_put32(&d->cfg[off + 4], 0);
        hk_pci_put32(&d->wmask[off + 4], (uint32_t)(mask >> 32));
        d->bar[i + 1].type = HK_PCI_BAR_NONE;
    }
}

unsigned hk_pci_add_cap(struct hk_pci_dev *d, uint8_t id, const void *body, unsigned len)
{
    unsigned off = d->cap_next ? d->cap_next : 0x40;
    if (len < 2 || off + len > 256)
        return 0;
    memcpy(&d->cfg[off], body, len);
    d->cfg[off] = id;
    d->cfg[off + 1] = 0;
    if (d->cap_last)
        d->cfg[d->cap_last + 1] = (uint8_t)off;
    else
        d->cfg[0x34] = (uint8_t)off;
    d->cfg[0x06] |= 0x10; /* capabilities list */
    d->cap_last = (uint8_t)off;
    d->cap_next = (uint8_t)((off + len + 3) & ~3u);
    return off;
}

unsigned hk_pci_add_cap_at(struct hk_pci_dev *d, unsigned off, uint8_t id, const void *body,
                           unsigned len)
{
    if (len < 2 || off < 0x40 || (off & 3) || off + len > 256)
        return 0;
    memcpy(&d->cfg[off], body, len);
    d->cfg[off] = id;
    d->cfg[off + 1] = d->cfg[0x34]; /* in front of the list */
    d->cfg[0x34] = (uint8_t)off;
    d->cfg[0x06] |= 0x10; /* capabilities list */
    if (!d->cap_last)
        d->cap_last = (uint8_t)off;
    if (off + len > d->cap_next)
        d->cap_next = (uint8_t)((off + len + 3) & ~3u);
    return off;
}

int hk_pci_register(struct hk_pci_host *h, struct hk_pci_dev *d, uint8_t devfn)
{
    if (h->dev[devfn])
        return -1;
    d->host = h;
    d->devfn = devfn;
    memcpy(d->cfg_init, d->cfg, sizeof(d->cfg));
    h->dev[devfn] = d;
    return 0;
}

static uint64_t bar_decode(const struct hk_pci_dev *d, int i, bool *ok)
{
    const struct hk_pci_bar *b = &d->bar[i];
    unsigned off = bar_offset(i);
    uint16_t cmd = hk_pci_get16(d, 0x04);
    uint64_t addr, last;
    *ok = false;
    if (b->type == HK_PCI_BAR_NONE)
        return 0;
    if (b->type == HK_PCI_BAR_IO) {
        if (!(cmd & HK_PCI_COMMAND_IO))
            return 0;
        addr = hk_pci_get32(d, off) & ~3u & ~(b->size - 1);
        last = addr + b->size - 1;
        *ok = addr != 0 && last > addr && last < 0x10000;
        return addr;
    }
    if (!(cmd & HK_PCI_COMMAND_MEMORY))
        return 0;
    if (i == HK_PCI_ROM_BAR) {
        uint32_t v = hk_pci_get32(d, off);
        if (!(v & 1))
            return 0;
        addr = v & ~0x7FFull & ~(b->size - 1);
    } else if (b->type == HK_PCI_BAR_MEM64) {
        addr = ((uint64_t)hk_pci_get32(d, off + 4) << 32 | (hk_pci_get32(d, off) & ~15u)) &
               ~(b->size - 1);
    } else {
        addr = hk_pci_get32(d, off) & ~15u & ~(b->size - 1);
    }
    last = addr + b->size - 1;
    /* a BAR of all ones (being sized) or one that wraps is not decoded */
    *ok = addr != 0 && last > addr &&
          (b->type == HK_PCI_BAR_MEM64 ? last < (1ull << 46) : last < 0xFFFFFFFFull);
    return addr;
}

static void bar_unmap(struct hk_pci_dev *d, int i)
{
    struct hk_pci_bar *b = &d->bar[i];
    struct hk_vm *vm = d->host->vm;
    if (!b->mapped)
        return;
    if (b->ram)
        hk_vm_unmap(vm, b->addr);
    if (b->ops)
        hk_bus_remove(b->type == HK_PCI_BAR_IO ? &vm->pio : &vm->mmio, b->addr, b->opaque);
    b->mapped = false;
}

static void bar_map(struct hk_pci_dev *d, int i, uint64_t addr)
{
    struct hk_pci_bar *b = &d->bar[i];
    struct hk_vm *vm = d->host->vm;
    b->addr = addr;
    if (b->ram && hk_vm_map(vm, addr, b->size, b->ram, b->ram_flags, b->name) < 0) {
        hk_fact(&vm->facts, HK_FACT_GUEST_ERROR, d->devfn, (int64_t)addr, i,
                "%s BAR%d placed at 0x%llx overlaps other memory", d->name, i,
                (unsigned long long)addr);
        return;
    }
    if (b->ops && hk_bus_add(b->type == HK_PCI_BAR_IO ? &vm->pio : &vm->mmio, addr, b->size, b->ops,
                             b->opaque, b->name) < 0) {
        if (b->ram)
            hk_vm_unmap(vm, addr);
        hk_fact(&vm->facts, HK_FACT_GUEST_ERROR, d->devfn, (int64_t)addr, i,
                "%s BAR%d placed at 0x%llx overlaps another device", d->name, i,
                (unsigned long long)addr);
        hk_warn(vm->log, "%s: BAR%d at 0x%llx overlaps another device; not decoded", d->name, i,
                (unsigned long long)addr);
        return;
    }
    b->mapped = true;
}

static void update_bars(struct hk_pci_dev *d)
{
    for (int i = 0; i < HK_PCI_NUM_BARS; i++) {
        struct hk_pci_bar *b = &d->bar[i];
        if (b->type == HK_PCI_BAR_NONE)
            continue;
        bool ok;
        uint64_t addr = bar_decode(d, i, &ok);
        if (b->mapped && ok && addr == b->addr)
            continue;
        if (!b->mapped && !ok)
            continue;
        bar_unmap(d, i);
        if (ok)
            bar_map(d, i, addr);
        if (d->bar_moved)
            d->bar_moved(d, i);
    }
}

static void update_intx(struct hk_pci_dev *d)
{
    struct hk_pci_host *h = d->host;
    int pin = d->cfg[0x3D];
    if (pin < 1 || pin > 4)
        return;
    int eff = d->intx_level && !(hk_pci_get16(d, 0x04) & HK_PCI_COMMAND_INTX_DISABLE);
    if (h->route_intx)
        h->route_intx(h->route_opaque, d, pin - 1, eff);
}

void hk_pci_set_irq(struct hk_pci_dev *d, int level)
{
    if (!d->host)
        return;
    pthread_mutex_lock(&d->host->lock);
    d->intx_level = level != 0;
    if (level)
        d->cfg[0x06] |= 0x08;
    else
        d->cfg[0x06] &= (uint8_t)~0x08;
    update_intx(d);
    pthread_mutex_unlock(&d->host->lock);
}

static uint32_t cfg_read_locked(struct hk_pci_host *h, uint8_t devfn, unsigned off, unsigned size)
{
    struct hk_pci_dev *d = h->dev[devfn];
    if (!d || off >= 256 || size == 0 || size > 4 || off + size > 256)
        return (uint32_t)hk_ones(size > 4 ? 4 : size);
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint32_t)d->cfg[off + i] << (8 * i);
    if (d->cfg_read)
        v = d->cfg_read(d, off, size, v);
    return v;
}

static void cfg_write_locked(struct hk_pci_host *h, uint8_t devfn, unsigned off, unsigned size,
                             uint32_t val)
{
    struct hk_pci_dev *d = h->dev[devfn];
    if (!d || off >= 256 || size == 0 || size > 4 || off + size > 256)
        return;
    uint16_t old_cmd = hk_pci_get16(d, 0x04);
    for (unsigned i = 0; i < size; i++) {
        uint8_t b = (uint8_t)(val >> (8 * i));
        unsigned o = off + i;
        d->cfg[o] = (uint8_t)((d->cfg[o] & ~d->wmask[o]) | (b & d->wmask[o]));
        d->cfg[o] &= (uint8_t) ~(b & d->w1cmask[o]);
    }
    bool touches_bars = (off < 0x28 && off + size > 0x10) || (off < 0x34 && off + size > 0x30);
    bool touches_cmd = off < 0x06 && off + size > 0x04;
    if (touches_bars || touches_cmd)
        update_bars(d);
    if (touches_cmd && ((old_cmd ^ hk_pci_get16(d, 0x04)) & HK_PCI_COMMAND_INTX_DISABLE))
        update_intx(d);
    if (d->cfg_write)
        d->cfg_write(d, off, size, val);
}

uint32_t hk_pci_cfg_read(struct hk_pci_host *h, uint8_t devfn, unsigned off, unsigned size)
{
    pthread_mutex_lock(&h->lock);
    uint32_t v = cfg_read_locked(h, devfn, off, size);
    pthread_mutex_unlock(&h->lock);
    return v;
}

void hk_pci_cfg_write(struct hk_pci_host *h, uint8_t devfn, unsigned off, unsigned size,
                      uint32_t val)
{
    pthread_mutex_lock(&h->lock);
    cfg_write_locked(h, devfn, off, size, val);
    pthread_mutex_unlock(&h->lock);
}

void hk_pci_host_reset(struct hk_pci_host *h)
{
    pthread_mutex_lock(&h->lock);
    h->addr = 0;
    h->rcr = 0;
    for (unsigned i = 0; i < 256; i++) {
        struct hk_pci_dev *d = h->dev[i];
        if (!d)
            continue;
        for (int b = 0; b < HK_PCI_NUM_BARS; b++) {
            bool was = d->bar[b].mapped;
            bar_unmap(d, b);
            if (was && d->bar_moved)
                d->bar_moved(d, b);
        }
        memcpy(d->cfg, d->cfg_init, sizeof(d->cfg));
        d->intx_level = 0;
        if (d->reset)
            d->reset(d);
    }
    pthread_mutex_unlock(&h->lock);
}

/* Ports 0xCF8-0xCFF: CONFIG_ADDRESS (dword at 0xCF8), the reset control register (byte at 0xCF9)
 * and CONFIG_DATA (0xCFC-0xCFF). */
static uint64_t ports_read(void *opaque, uint64_t off, unsigned size)
{
    struct hk_pci_host *h = opaque;
    uint64_t v = hk_ones(size);
    pthread_mutex_lock(&h->lock);
    if (off == 0 && size == 4) {
        v = h->addr;
    } else if (off == 1 && size == 1) {
        v = h->rcr;
    } else if (off >= 4) {
        if ((h->addr & 0x80000000u) && ((h->addr >> 16) & 0xFF) == 0)
            v = cfg_read_locked(h, (uint8_t)(h->addr >> 8), (h->addr & 0xFC) + (unsigned)(off - 4),
                                size);
    }
    pthread_mutex_unlock(&h->lock);
    return v;
}

static void ports_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    struct hk_pci_host *h = opaque;
    bool reset = false;
    pthread_mutex_lock(&h->lock);
    if (off == 0 && size == 4) {
        h->addr = (uint32_t)val & 0x80FFFFFCu;
    } else if (off == 1 && size == 1) {
        /* RCR: bit 2 going 0->1 resets (bit 1 selects hard reset; both are a full reset here) */
        if ((val & 4) && !(h->rcr & 4))
            reset = true;
        h->rcr = (uint8_t)(val & 0x02);
    } else if (off >= 4) {
        if ((h->addr & 0x80000000u) && ((h->addr >> 16) & 0xFF) == 0)
            cfg_write_locked(h, (uint8_t)(h->addr >> 8), (h->addr & 0xFC) + (unsigned)(off - 4),
                             size, (uint32_t)val);
    }
    pthread_mutex_unlock(&h->lock);
    if (reset)
        hk_vm_request_reset(h->vm, "reset control register 0xCF9");
}

static const struct hk_io_ops ports_ops = {ports_read, ports_write};

int hk_pci_host_attach(struct hk_pci_host *h)
{
    return hk_bus_add(&h->vm->pio, 0xCF8, 8, &ports_ops, h, "pci-config");
}

bool hk_pci_bar_mapped(struct hk_pci_dev *d, int bar, uint64_t *addr)
{
    struct hk_pci_host *h = d->host;
    if (h)
        pthread_mutex_lock(&h->lock);
    bool mapped = d->bar[bar].mapped;
    *addr = d->bar[bar].addr;
    if (h)
        pthread_mutex_unlock(&h->lock);
    return mapped;
}
