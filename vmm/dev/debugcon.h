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
};

void hk_debugcon_init(struct hk_debugcon *d, struct hk_vm *vm, uint16_t port, FILE *out);
void hk_debugcon_destroy(struct hk_debugcon *d);
int hk_debugcon_attach(struct hk_debugcon *d);
/* Recognises firmware messages worth a fact (also used for serial lines). */
void hk_firmware_line_fact(struct hk_vm *vm, const char *line);

#endif
