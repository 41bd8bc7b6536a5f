/* The PIO/MMIO bus and the guest memory map. */
#include "check.h"

#include "core/bus.h"
#include "core/mem.h"

struct dev {
    uint64_t last_off, last_val;
    unsigned last_size, reads, writes;
};

static uint64_t dev_read(void *opaque, uint64_t off, unsigned size)
{
    struct dev *d = opaque;
    d->reads++;
    d->last_off = off;
    d->last_size = size;
    return 0x1122334455667788ull;
}

static void dev_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    struct dev *d = opaque;
    d->writes++;
    d->last_off = off;
    d->last_val = val;
    d->last_size = size;
}

static const struct hk_io_ops ops = {dev_read, dev_write};

static void test_lookup(void)
{
    struct hk_bus bus;
    struct dev a = {0}, b = {0}, c = {0};
    uint64_t v;
    hk_bus_init(&bus);
    CHECK_EQ(hk_bus_add(&bus, 0x100, 0x10, &ops, &a, "a"), 0);
    CHECK_EQ(hk_bus_add(&bus, 0x10, 0x8, &ops, &b, "b"), 0);
    CHECK_EQ(hk_bus_add(&bus, 0x400, 1, &ops, &c, "c"), 0);
    /* overlaps and empty or wrapping ranges are refused */
    CHECK_EQ(hk_bus_add(&bus, 0x10F, 2, &ops, &c, "x"), -1);
    CHECK_EQ(hk_bus_add(&bus, 0xF8, 0x9, &ops, &c, "x"), -1);
    CHECK_EQ(hk_bus_add(&bus, 0x200, 0, &ops, &c, "x"), -1);
    CHECK_EQ(hk_bus_add(&bus, UINT64_MAX - 3, 8, &ops, &c, "x"), -1);
    CHECK(hk_bus_read(&bus, 0x104, 2, &v));
    CHECK_EQ(v, 0x7788);
    CHECK_EQ(a.last_off, 4);
    CHECK_EQ(a.last_size, 2);
    CHECK(hk_bus_write(&bus, 0x17, 1, 0x1AB));
    CHECK_EQ(b.last_off, 7);
    CHECK_EQ(b.last_val, 0xAB); /* masked to the access size */
    /* an access that runs past the end of a region is not the region's */
    CHECK(!hk_bus_read(&bus, 0x10E, 4, &v));
    CHECK_EQ(v, 0xFFFFFFFF);
    CHECK(!hk_bus_read(&bus, 0x300, 1, &v));
    CHECK_EQ(v, 0xFF);
    CHECK(!hk_bus_write(&bus, 0x300, 4, 1));
    CHECK_EQ(bus.unclaimed_reads, 2);
    CHECK_EQ(bus.unclaimed_writes, 1);
    CHECK(!hk_bus_read(&bus, 0x100, 0, &v));
    CHECK(!hk_bus_read(&bus, 0x100, 9, &v));
    /* removal */
    CHECK_EQ(hk_bus_remove(&bus, 0x100, &b), -1);
    CHECK_EQ(hk_bus_remove(&bus, 0x100, &a), 0);
    CHECK(!hk_bus_read(&bus, 0x104, 2, &v));
    CHECK_EQ(hk_bus_add(&bus, 0x100, 0x10, &ops, &a, "a"), 0);
    hk_bus_destroy(&bus);
}

static void test_many_regions(void)
{
    struct hk_bus bus;
    struct dev d[300];
    memset(d, 0, sizeof(d));
    hk_bus_init(&bus);
    /* added in a scrambled order; lookups must still find each */
    for (unsigned i = 0; i < 300; i++) {
        unsigned k = (i * 7) % 300;
        CHECK_EQ(hk_bus_add(&bus, 0x1000 + k * 0x10, 0x8, &ops, &d[k], "d"), 0);
    }
    for (unsigned k = 0; k < 300; k++) {
        uint64_t v;
        CHECK(hk_bus_read(&bus, 0x1000 + k * 0x10 + 3, 1, &v));
        CHECK_EQ(d[k].reads, 1);
        CHECK(!hk_bus_read(&bus, 0x1000 + k * 0x10 + 8, 1, &v));
    }
    hk_bus_destroy(&bus);
}

static void test_mem(void)
{
    struct hk_mem mem;
    static uint8_t ram[0x3000], rom[0x1000];
    hk_mem_init(&mem);
    CHECK_EQ(hk_mem_add(&mem, 0, 0x2000, ram, 0, 0, "ram0"), 0);
    CHECK_EQ(hk_mem_add(&mem, 0x2000, 0x1000, ram + 0x2000, 0, 1, "ram1"), 0);
    CHECK_EQ(hk_mem_add(&mem, 0xFFFFF000, 0x1000, rom, HK_MEM_READONLY, 2, "rom"), 0);
    CHECK_EQ(hk_mem_add(&mem, 0x1000, 0x100, ram, 0, 3, "overlap"), -1);
    CHECK_EQ(hk_mem_add(&mem, UINT64_MAX - 0xFFF, 0x2000, ram, 0, 3, "wrap"), -1);
    CHECK(hk_mem_ptr(&mem, 0x1FF0, 0x10, true) == ram + 0x1FF0);
    CHECK(hk_mem_ptr(&mem, 0x1FF0, 0x11, true) == NULL); /* crosses into another region */
    CHECK(hk_mem_ptr(&mem, 0x5000, 1, false) == NULL);
    CHECK(hk_mem_ptr(&mem, 0xFFFFF000, 4, false) == rom);
    CHECK(hk_mem_ptr(&mem, 0xFFFFF000, 4, true) == NULL);
    CHECK(hk_mem_ptr(&mem, 0xFFFFFFFF, 2, false) == NULL);
    CHECK(hk_mem_ptr(&mem, 0, 0, false) == NULL);
    uint8_t buf[0x20];
    memset(buf, 0xAB, sizeof(buf));
    /* copies may span adjacent regions, but not run off guest memory */
    CHECK_EQ(hk_mem_write(&mem, 0x1FF0, buf, 0x20), 0);
    CHECK_EQ(ram[0x200F], 0xAB);
    CHECK_EQ(hk_mem_write(&mem, 0x2FF0, buf, 0x20), -1);
    CHECK_EQ(hk_mem_write(&mem, 0xFFFFF000, buf, 1), -1);
    CHECK_EQ(hk_mem_read(&mem, 0xFFFFFFF0, buf, 0x10), 0);
    CHECK_EQ(hk_mem_read(&mem, 0xFFFFFFF0, buf, 0x11), -1);
    CHECK_EQ(hk_mem_remove(&mem, 0x2000), 1);
    CHECK_EQ(hk_mem_remove(&mem, 0x2000), -2);
    CHECK(hk_mem_ptr(&mem, 0x2000, 1, false) == NULL);
    hk_mem_destroy(&mem);
}

TEST_MAIN(TEST(test_lookup), TEST(test_many_regions), TEST(test_mem))
