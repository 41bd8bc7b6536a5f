/*
 * A port-I/O or MMIO bus: non-overlapping regions kept sorted by base address, looked up by binary
 * search. Handlers get (opaque, offset within the region, size) and are called without any bus lock
 * held, so a handler may add or remove regions (a PCI BAR move). Accesses nobody claims read as all
 * ones, writes are dropped, and both are counted (they are diagnostic facts).
 */
#ifndef HK_CORE_BUS_H
#define HK_CORE_BUS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct hk_io_ops {
    /* size is 1, 2, 4 or 8; offset + size never exceeds the region length */
    uint64_t (*read)(void *opaque, uint64_t offset, unsigned size);
    void (*write)(void *opaque, uint64_t offset, uint64_t value, unsigned size);
};

struct hk_bus_region {
    uint64_t base, len;
    const struct hk_io_ops *ops;
    void *opaque;
    const char *name;
};

/* Called for each access nobody claims (may be NULL). */
typedef void (*hk_bus_unclaimed_fn)(void *opaque, uint64_t addr, unsigned size, bool is_write,
                                    uint64_t value);

struct hk_bus {
    pthread_rwlock_t lock;
    struct hk_bus_region *regions;
    unsigned count, cap;
    uint64_t unclaimed_reads, unclaimed_writes; /* guarded by lock (atomic adds) */
    hk_bus_unclaimed_fn on_unclaimed;
    void *unclaimed_opaque;
};

void hk_bus_init(struct hk_bus *bus);
void hk_bus_destroy(struct hk_bus *bus);
/* Returns 0, or -1 when the range is empty, wraps, or overlaps a region already there. */
int hk_bus_add(struct hk_bus *bus, uint64_t base, uint64_t len, const struct hk_io_ops *ops,
               void *opaque, const char *name);
/* Removes the region that starts at base and belongs to opaque; returns 0 or -1 if none. */
int hk_bus_remove(struct hk_bus *bus, uint64_t base, void *opaque);
/* Returns true when a region claimed the access. Unclaimed reads give all ones. */
bool hk_bus_read(struct hk_bus *bus, uint64_t addr, unsigned size, uint64_t *value);
bool hk_bus_write(struct hk_bus *bus, uint64_t addr, unsigned size, uint64_t value);
/* Finds the region containing addr; copies it to *out. */
bool hk_bus_find(struct hk_bus *bus, uint64_t addr, struct hk_bus_region *out);

static inline uint64_t hk_ones(unsigned size)
{
    return size >= 8 ? ~0ull : ((1ull << (size * 8)) - 1);
}

#endif
