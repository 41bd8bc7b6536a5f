/*
 * The Bochs/QEMU debug console at port 0x402: reading returns 0xE9 (its presence signature), bytes
 * written are the firmware's log. SeaBIOS and its VGA BIOS print there; the engine recognises the
 * lines that matter for diagnosis.
 */
#ifndef HK_DEV_DEBUGCON_H
#define HK_DEV_DEBUGCON_H

#include <stdint.h>
#include <stdio.h>

#include "../core/lines.h"

struct hk_vm;

struct hk_debugcon {
    struct hk_vm *vm;
    uint16_t port;
    FILE *out; /* may be NULL */
    struct hk_lines lines;
    uint64_t bytes;
    int boot_device; /* enum hk_boot_device: what the firmware last said it boots from */
};

void hk_debugcon_init(struct hk_debugcon *d, struct hk_vm *vm, uint16_t port, FILE *out);
void hk_debugcon_destroy(struct hk_debugcon *d);
int hk_debugcon_attach(struct hk_debugcon *d);
/* Recognises a firmware message on the debug console worth a fact: the boot device SeaBIOS
 * tries (HK_FACT_BOOTING, HK_FACT_BOOT_FAILED with the device in a), and the lines worth keeping
 * (HK_FACT_DEBUGCON_LINE with hk_firmware_line_flags). */
void hk_debugcon_line_fact(struct hk_debugcon *d, const char *line);

#endif
