#include "debugcon.h"

#include <string.h>

#include "../core/vm.h"

void hk_firmware_line_fact(struct hk_vm *vm, const char *line)
{
    static const char *const keep[] = {
        "SeaBIOS (version",
        "Found QEMU fw_cfg",
        "No VGA found",
        "VGABios",
        "bochs-display",
        "set VGA mode",
        "Found ",
        "Searching bootorder",
        "Press ESC",
        "Select boot device",
        "enter handle_19",
        "WARNING",
        "ERROR",
        "Unable to",
        "Ram Size",
        "CPU Mhz",
    };
    if (strncmp(line, "Booting from ", 13) == 0) {
        hk_fact(&vm->facts, HK_FACT_BOOTING, 0, 0, 0, "%s", line);
        return;
    }
    if (strstr(line, "Boot failed") || strstr(line, "No bootable device")) {
        hk_fact(&vm->facts, HK_FACT_BOOT_FAILED, 0, 0, 0, "%s", line);
        return;
    }
    for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
        if (strstr(line, keep[i])) {
            hk_fact(&vm->facts, HK_FACT_DEBUGCON_LINE, 0, 0, 0, "%s", line);
            return;
        }
    }
}

static void on_line(void *opaque, const char *line)
{
    struct hk_debugcon *d = opaque;
    hk_firmware_line_fact(d->vm, line);
}

void hk_debugcon_init(struct hk_debugcon *d, struct hk_vm *vm, uint16_t port, FILE *out)
{
    memset(d, 0, sizeof(*d));
    d->vm = vm;
    d->port = port;
    d->out = out;
    hk_lines_init(&d->lines, on_line, d);
}

void hk_debugcon_destroy(struct hk_debugcon *d)
{
    hk_lines_destroy(&d->lines);
}

static uint64_t dc_read(void *opaque, uint64_t off, unsigned size)
{
    (void)opaque;
    (void)off;
    (void)size;
    return 0xE9;
}

static void dc_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    struct hk_debugcon *d = opaque;
    (void)off;
    uint8_t buf[4];
    for (unsigned i = 0; i < size && i < 4; i++)
        buf[i] = (uint8_t)(val >> (8 * i));
    if (size > 4)
        size = 4;
    __atomic_add_fetch(&d->bytes, size, __ATOMIC_RELAXED);
    if (d->out) {
        fwrite(buf, 1, size, d->out);
        if (buf[size - 1] == '\n')
            fflush(d->out);
    }
    hk_lines_feed(&d->lines, buf, size);
}

static const struct hk_io_ops dc_ops = {dc_read, dc_write};

int hk_debugcon_attach(struct hk_debugcon *d)
{
    return hk_bus_add(&d->vm->pio, d->port, 1, &dc_ops, d, "debugcon");
}
