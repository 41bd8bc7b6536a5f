/*
 * ACPI tables for the i440FX board, served through fw_cfg with QEMU's table-loader script (the
 * firmware allocates, links and checksums them): etc/acpi/rsdp, etc/acpi/tables, etc/table-loader.
 * Tables: RSDP 2.0, RSDT, XSDT, FADT 3.0 (PM1 at the PM base the firmware programmed), FACS, MADT
 * (LAPIC per CPU, IOAPIC, IRQ0->GSI2 and level-high PCI IRQ overrides, LINT1 NMI), DSDT from
 * dsdt.asl. Layouts from the ACPI 6.x specification; loader script format from QEMU's
 * hw/acpi/bios-linker-loader.c documentation.
 */
#ifndef HK_PC_ACPI_H
#define HK_PC_ACPI_H

#include <stddef.h>
#include <stdint.h>

struct hk_acpi_params {
    unsigned ncpus;
    uint16_t pm_base;     /* PM1 event block; control at +4, timer at +8 */
    uint64_t pci32_start; /* 32-bit PCI window [start, end] */
    uint64_t pci32_end;
    uint64_t pci64_start; /* 64-bit PCI window, size pci64_size */
    uint64_t pci64_size;
    int no_vga; /* FADT IAPC_BOOT_ARCH "VGA not present" */
};

struct hk_acpi_blobs {
    uint8_t *rsdp, *tables, *loader;
    size_t rsdp_len, tables_len, loader_len;
    /* offsets of each table inside tables (for tests) */
    size_t facs_off, dsdt_off, fadt_off, madt_off, rsdt_off, xsdt_off;
};

#define HK_LOADER_ALLOCATE     1
#define HK_LOADER_ADD_POINTER  2
#define HK_LOADER_ADD_CHECKSUM 3
#define HK_LOADER_ENTRY_SIZE   128
#define HK_LOADER_ZONE_HIGH    1
#define HK_LOADER_ZONE_FSEG    2

/* Builds all three blobs. Returns 0 or -1 (out of memory). */
int hk_acpi_build(const struct hk_acpi_params *p, struct hk_acpi_blobs *out);
void hk_acpi_free(struct hk_acpi_blobs *b);
/* Sum of bytes (a valid table sums to 0). */
uint8_t hk_acpi_checksum(const uint8_t *p, size_t len);

#endif
