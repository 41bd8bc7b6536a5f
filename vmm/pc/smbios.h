/*
 * SMBIOS tables for the firmware (DMTF DSP0134 "System Management BIOS Reference Specification",
 * 2.8 entry point): System (type 1), Chassis (3), one Processor with a core per vCPU (4),
 * Physical Memory Array (16), Memory Devices of up to 16 GiB (17), Memory Array Mapped Addresses
 * (19), System Boot (32) and End of Table (127). They are handed over as fw_cfg files
 * etc/smbios/smbios-anchor and etc/smbios/smbios-tables, the layout QEMU uses: SeaBIOS adds its own
 * BIOS Information (type 0), places the tables and fixes the entry point's address and checksums;
 * OVMF installs them through its SMBIOS protocol. Without them SeaBIOS builds legacy tables
 * itself, which costs it a noticeable part of its start-up when ring 0 is emulated.
 */
#ifndef HK_PC_SMBIOS_H
#define HK_PC_SMBIOS_H

#include <stddef.h>
#include <stdint.h>

struct hk_smbios_params {
    unsigned ncpus;
    uint64_t below_4g, above_4g; /* RAM */
    const char *version;         /* the product version string */
    const uint8_t *uuid;         /* 16 bytes in RFC 4122 (text) order; NULL: all zeros */
};

struct hk_smbios {
    uint8_t anchor[31];
    uint8_t *tables; /* malloc'd */
    size_t tables_len;
};

/* Returns 0, or -1 when out of memory. */
int hk_smbios_build(const struct hk_smbios_params *p, struct hk_smbios *out);
void hk_smbios_free(struct hk_smbios *s);

/* Parses an RFC 4122 UUID in its text form (8-4-4-4-12 hexadecimal digits, either case) into 16
 * bytes in text order. Returns 0, or -1 when s is not one. */
int hk_uuid_parse(const char *s, uint8_t out[16]);

#endif
