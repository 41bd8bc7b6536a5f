#include "bus.h"

#include <stdlib.h>
#include <string.h>

void hk_bus_init(struct hk_bus *bus)
{
    memset(bus, 0, sizeof(*bus));
    pthread_rwlock_init(&bus->lock, NULL);
}

void hk_bus_destroy(struct hk_bus *bus)
{
    free(bus->regions);
    bus->regions = NULL;
    bus->count = bus->cap = 0;
    pthread_rwlock_destroy(&bus->lock);
}

/* First index whose region ends above addr (regions are sorted and disjoint). */
static unsigned lower_bound(const struct hk_bus *bus, uint64_t addr)
{
    unsigned lo = 0, hi = bus->count;
    while (lo < hi) {
        unsigned mid = lo + (hi - lo) / 2;
        const struct hk_bus_region *r = &bus->regions[mid];
        if (r->base + (r->len - 1) < addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int hk_bus_add(struct hk_bus *bus, uint64_t base, uint64_t len, const struct hk_io_ops *ops,
               void *opaque, const char *name)
{
    int ret = -1;
    if (len == 0 || base + (len - 1) < base || !ops)
        return -1;
    pthread_rwlock_wrlock(&bus->lock);
    unsigned i = lower_bound(bus, base);
    if (i < bus->count && bus->regions[i].base <= base + (len - 1))
        goto out; /* overlap */
    if (bus->count == bus->cap) {
        unsigned ncap = bus->cap ? bus->cap * 2 : 16;
        struct hk_bus_region *n = realloc(bus->regions, ncap * sizeof(*n));
        if (!n)
            goto out;
        bus->regions = n;
        bus->cap = ncap;
    }
    memmove(&bus->regions[i + 1], &bus->regions[i], (bus->count - i) * sizeof(*bus->regions));
    bus->regions[i] = (struct hk_bus_region){base, len, ops, opaque, name};
    bus->count++;
    ret = 0;
out:
    pthread_rwlock_unlock(&bus->lock);
    return ret;
}

int hk_bus_remove(struct hk_bus *bus, uint64_t base, void *opaque)
{
    int ret = -1;
    pthread_rwlock_wrlock(&bus->lock);
    unsigned i = lower_bound(bus, base);
    if (i < bus->count && bus->regions[i].base == base && bus->regions[i].opaque == opaque) {
        memmove(&bus->regions[i], &bus->regions[i + 1],
                (bus->count - i - 1) * sizeof(*bus->regions));
        bus->count--;
        ret = 0;
    }
    pthread_rwlock_unlock(&bus->lock);
    return ret;
}

bool hk_bus_find(struct hk_bus *bus, uint64_t addr, struct hk_bus_region *out)
{
    bool found = false;
    pthread_rwlock_rdlock(&bus->lock);
    unsigned i = lower_bound(bus, addr);
    if (i < bus->count && bus->regions[i].base <= addr) {
        *out = bus->regions[i];
        found = true;
    }
    pthread_rwlock_unlock(&bus->lock);
    return found;
}

static bool lookup(struct hk_bus *bus, uint64_t addr, unsigned size, struct hk_bus_region *r)
{
    if (size == 0 || size > 8 || !hk_bus_find(bus, addr, r))
        return false;
    /* the whole access must fit in the region */
    return addr - r->base <= r->len - size && size <= r->len;
}

bool hk_bus_read(struct hk_bus *bus, uint64_t addr, unsigned size, uint64_t *value)
{
    struct hk_bus_region r;
    if (lookup(bus, addr, size, &r) && r.ops->read) {
        *value = r.ops->read(r.opaque, addr - r.base, size) & hk_ones(size);
        return true;
    }
    *value = hk_ones(size > 8 ? 8 : size);
    __atomic_add_fetch(&bus->unclaimed_reads, 1, __ATOMIC_RELAXED);
    if (bus->on_unclaimed)
        bus->on_unclaimed(bus->unclaimed_opaque, addr, size, false, 0);
    return false;
}

bool hk_bus_write(struct hk_bus *bus, uint64_t addr, unsigned size, uint64_t value)
{
    struct hk_bus_region r;
    if (lookup(bus, addr, size, &r)) {
        if (r.ops->write)
            r.ops->write(r.opaque, addr - r.base, value & hk_ones(size), size);
        return true;
    }
    __atomic_add_fetch(&bus->unclaimed_writes, 1, __ATOMIC_RELAXED);
    if (bus->on_unclaimed)
        bus->on_unclaimed(bus->unclaimed_opaque, addr, size, true, value);
    return false;
}
