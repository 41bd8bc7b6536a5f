/*
 * The firmware tables a guest of this board gets, written out for real parsers (hako-vmm
 * --dump-tables DIR): read through the board's own fw_cfg ports as firmware reads them, with the
 * PM base programmed as that firmware programs it, the ACPI loader script applied (allocations,
 * pointers, checksums), and the SMBIOS entry point fixed up as SeaBIOS does. Works on a board
 * built without KVM (hk_pc_init_nokvm).
 *
 * DIR/acpi/   one file per table, named as Linux names them in /sys/firmware/acpi/tables
 *             (RSDP, RSDT, XSDT, FACP, DSDT, FACS, APIC, SSDT1 ...)
 * DIR/dmi/    smbios_entry_point and DMI (the structure table), as in /sys/firmware/dmi/tables
 * DIR/smbios.bin  the same in the layout `dmidecode --dump-bin` writes (`--from-dump` reads it)
 */
#ifndef HK_PC_TABLES_H
#define HK_PC_TABLES_H

struct hk_pc;

/* Returns 0, or -1 with the reason logged. */
int hk_pc_dump_tables(struct hk_pc *pc, const char *dir);

#endif
