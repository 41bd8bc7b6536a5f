/* ACPI tables through the loader script: run the script the way firmware does (allocate, patch
 * pointers, checksum) and check that every table sums to zero and points where it should. */
#include "check.h"

#include "pc/acpi.h"

struct blob {
    const char *name;
    uint8_t *data;
    size_t len;
    uint64_t addr;
};

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
    return get32(p) | (uint64_t)get32(p + 4) << 32;
}

static struct blob *find(struct blob *b, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strncmp(b[i].name, name, 56) == 0)
            return &b[i];
    return NULL;
}

/* Executes the loader script over copies of the blobs; returns the number of commands run. */
static int run_loader(struct hk_acpi_blobs *a, struct blob *files)
{
    int cmds = 0;
    for (size_t off = 0; off + HK_LOADER_ENTRY_SIZE <= a->loader_len; off += HK_LOADER_ENTRY_SIZE) {
        const uint8_t *e = a->loader + off;
        uint32_t cmd = get32(e);
        cmds++;
        if (cmd == HK_LOADER_ALLOCATE) {
            struct blob *b = find(files, 2, (const char *)e + 4);
            CHECK(b != NULL);
            if (!b)
                continue;
            uint32_t align = get32(e + 60);
            CHECK(align && (b->addr % align) == 0);
            CHECK(e[64] == (strcmp(b->name, "etc/acpi/rsdp") == 0 ? HK_LOADER_ZONE_FSEG
                                                                  : HK_LOADER_ZONE_HIGH));
        } else if (cmd == HK_LOADER_ADD_POINTER) {
            struct blob *dst = find(files, 2, (const char *)e + 4);
            struct blob *src = find(files, 2, (const char *)e + 60);
            uint32_t at = get32(e + 116);
            uint8_t size = e[120];
            CHECK(dst && src && (size == 4 || size == 8) && at + size <= dst->len);
            if (!dst || !src || at + size > dst->len)
                continue;
            uint64_t v = size == 4 ? get32(dst->data + at) : get64(dst->data + at);
            CHECK(v < src->len); /* the pointer starts as an offset into the source */
            v += src->addr;
            for (unsigned i = 0; i < size; i++)
                dst->data[at + i] = (uint8_t)(v >> (8 * i));
        } else if (cmd == HK_LOADER_ADD_CHECKSUM) {
            struct blob *b = find(files, 2, (const char *)e + 4);
            uint32_t res = get32(e + 60), start = get32(e + 64), len = get32(e + 68);
            CHECK(b && start + len <= b->len && res >= start && res < start + len);
            if (!b || start + len > b->len)
                continue;
            b->data[res] = 0;
            b->data[res] = (uint8_t)(0x100 - hk_acpi_checksum(b->data + start, len));
        } else {
            CHECK(!"unknown loader command");
        }
    }
    return cmds;
}

/* Processor devices: \_SB.CPUS (ACPI0010) with C000..C00F (ACPI0007, _UID n), and the vCPU count
 * NCPU patched in (their _STA: present below it). */
static void check_processors(const uint8_t *d, uint32_t dlen, unsigned ncpus)
{
    CHECK(memmem(d, dlen, "CPUS", 4) != NULL);
    CHECK(memmem(d, dlen, "ACPI0010", 8) != NULL);
    unsigned devices = 0;
    for (const uint8_t *q = d; (q = memmem(q, dlen - (size_t)(q - d), "ACPI0007", 8)); q++)
        devices++;
    CHECK_EQ(devices, 16);
    char name[5];
    for (unsigned i = 0; i < 16; i++) {
        snprintf(name, sizeof(name), "C00%X", i);
        CHECK(memmem(d, dlen, name, 4) != NULL);
    }
    /* Name (NCPU, DWordConst n): the placeholder 0x5CC0C0C5 is gone */
    const uint8_t *n = memmem(d, dlen, "NCPU\x0c", 5);
    CHECK(n != NULL);
    if (n)
        CHECK_EQ(get32(n + 5), ncpus);
    for (uint32_t i = 0; i + 4 <= dlen; i++)
        CHECK(get32(d + i) != 0x5CC0C0C5u);
}

static void test_many_cpus(void)
{
    struct hk_acpi_params p = {.ncpus = 16,
                               .pm_base = 0x600,
                               .pci32_start = 0x80000000,
                               .pci32_end = 0xFEBFFFFF,
                               .pci64_start = 0x800000000ull,
                               .pci64_size = 0x800000000ull};
    struct hk_acpi_blobs a;
    CHECK_EQ(hk_acpi_build(&p, &a), 0);
    const uint8_t *d = a.tables + a.dsdt_off;
    check_processors(d, get32(d + 4), 16);
    /* FADT: more than 8 CPUs need the clustered logical APIC model (as QEMU sets it) */
    CHECK(get32(a.tables + a.fadt_off + 112) & (1u << 18));
    hk_acpi_free(&a);
}

static void test_tables(void)
{
    struct hk_acpi_params p = {
        .ncpus = 4,
        .pm_base = 0xB000,
        .pci32_start = 0x40000000,
        .pci32_end = 0xFEBFFFFF,
        .pci64_start = 0x800000000ull,
        .pci64_size = 0x800000000ull,
        .no_vga = 1,
    };
    struct hk_acpi_blobs a;
    CHECK_EQ(hk_acpi_build(&p, &a), 0);
    uint8_t *rsdp = malloc(a.rsdp_len), *tables = malloc(a.tables_len);
    memcpy(rsdp, a.rsdp, a.rsdp_len);
    memcpy(tables, a.tables, a.tables_len);
    struct blob files[2] = {{"etc/acpi/rsdp", rsdp, a.rsdp_len, 0xF5A00},
                            {"etc/acpi/tables", tables, a.tables_len, 0x3FFE0000}};
    CHECK(run_loader(&a, files) > 10);

    /* RSDP */
    CHECK(memcmp(rsdp, "RSD PTR ", 8) == 0);
    CHECK_EQ(hk_acpi_checksum(rsdp, 20), 0);
    CHECK_EQ(hk_acpi_checksum(rsdp, 36), 0);
    CHECK_EQ(rsdp[15], 2);
    uint64_t base = files[1].addr;
    CHECK_EQ(get32(rsdp + 16), base + a.rsdt_off);
    CHECK_EQ(get64(rsdp + 24), base + a.xsdt_off);

    /* every table sums to zero and has its length */
    size_t offs[] = {a.dsdt_off, a.fadt_off, a.madt_off, a.rsdt_off, a.xsdt_off};
    const char *sigs[] = {"DSDT", "FACP", "APIC", "RSDT", "XSDT"};
    for (int i = 0; i < 5; i++) {
        uint8_t *t = tables + offs[i];
        CHECK(memcmp(t, sigs[i], 4) == 0);
        CHECK_EQ(hk_acpi_checksum(t, get32(t + 4)), 0);
    }
    CHECK(memcmp(tables + a.facs_off, "FACS", 4) == 0);
    CHECK_EQ(a.facs_off % 64, 0);

    /* RSDT/XSDT list FADT and MADT */
    CHECK_EQ(get32(tables + a.rsdt_off + 36), base + a.fadt_off);
    CHECK_EQ(get32(tables + a.rsdt_off + 40), base + a.madt_off);
    CHECK_EQ(get64(tables + a.xsdt_off + 36), base + a.fadt_off);
    CHECK_EQ(get64(tables + a.xsdt_off + 44), base + a.madt_off);

    /* FADT: FACS, DSDT, PM blocks at the programmed base, SCI 9, reset register 0xCF9 = 6 */
    uint8_t *f = tables + a.fadt_off;
    CHECK_EQ(get32(f + 36), base + a.facs_off);
    CHECK_EQ(get32(f + 40), base + a.dsdt_off);
    CHECK_EQ(get64(f + 140), base + a.dsdt_off);
    CHECK_EQ(f[46], 9);
    CHECK_EQ(get32(f + 56), 0xB000);
    CHECK_EQ(get32(f + 64), 0xB004);
    CHECK_EQ(get32(f + 76), 0xB008);
    CHECK_EQ(f[91], 4);
    CHECK_EQ(get64(f + 116 + 4), 0xCF9);
    CHECK_EQ(f[128], 6);
    CHECK_EQ(f[109] & 0x06, 0x06); /* 8042 present, no VGA */
    CHECK(get32(f + 112) & (1u << 10));

    /* MADT: 4 LAPICs, an IOAPIC, IRQ0 -> GSI 2, level overrides, NMI on LINT1 */
    uint8_t *m = tables + a.madt_off;
    CHECK_EQ(get32(m + 36), 0xFEE00000);
    unsigned lapics = 0, ioapics = 0, overrides = 0, nmis = 0;
    for (uint32_t o = 44; o < get32(m + 4);) {
        uint8_t *e = m + o;
        CHECK(e[1] >= 2);
        if (e[1] < 2)
            break;
        if (e[0] == 0) {
            CHECK_EQ(e[3], lapics);
            lapics++;
        } else if (e[0] == 1) {
            CHECK_EQ(get32(e + 4), 0xFEC00000);
            ioapics++;
        } else if (e[0] == 2) {
            if (e[3] == 0)
                CHECK_EQ(get32(e + 4), 2);
            else
                CHECK_EQ(e[8] | e[9] << 8, 0x000D);
            overrides++;
        } else if (e[0] == 4) {
            CHECK_EQ(e[5], 1);
            nmis++;
        }
        o += e[1];
    }
    CHECK_EQ(lapics, 4);
    CHECK_EQ(ioapics, 1);
    CHECK_EQ(overrides, 5);
    CHECK_EQ(nmis, 1);

    /* DSDT: the PCI windows were patched (no placeholder left) */
    uint8_t *d = tables + a.dsdt_off;
    uint32_t dlen = get32(d + 4);
    int found32 = 0, found64 = 0;
    for (uint32_t i = 0; i + 16 <= dlen; i++) {
        CHECK(!(get32(d + i) == 0x5A000000u && get32(d + i + 4) == 0x5AFFFFFFu));
        if (get32(d + i) == 0x40000000u && get32(d + i + 4) == 0xFEBFFFFFu &&
            get32(d + i + 12) == 0xFEBFFFFFu - 0x40000000u + 1)
            found32 = 1;
        if (i + 32 <= dlen && get64(d + i) == 0x800000000ull && get64(d + i + 8) == 0xFFFFFFFFFull)
            found64 = 1;
    }
    CHECK(found32);
    CHECK(found64);
    CHECK(memmem(d, dlen, "_S5_", 4) != NULL);
    CHECK(memmem(d, dlen, "LNKA", 4) != NULL);
    check_processors(d, dlen, p.ncpus);
    /* FADT: flat logical APIC mode is fine for up to 8 CPUs */
    CHECK_EQ(get32(tables + a.fadt_off + 112) & (1u << 18), 0);

    free(rsdp);
    free(tables);
    hk_acpi_free(&a);
}

TEST_MAIN(TEST(test_tables), TEST(test_many_cpus))
