#include "debugcon.h"

#include <stdbool.h>
#include <string.h>

#include "../core/vm.h"

/* The device a SeaBIOS "Booting from ..." line names (UNKNOWN for the jump to the loaded code,
 * "Booting from 0000:7c00") */
static int booting_device(const char *what)
{
    static const struct {
        const char *prefix;
        int device;
    } names[] = {
        {"Floppy", HK_BOOT_DEVICE_FLOPPY},
        {"Hard Disk", HK_BOOT_DEVICE_DISK},
        {"DVD/CD", HK_BOOT_DEVICE_CDROM},
        {"ROM", HK_BOOT_DEVICE_ROM},
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strncmp(what, names[i].prefix, strlen(names[i].prefix)) == 0)
            return names[i].device;
    return HK_BOOT_DEVICE_UNKNOWN;
}

void hk_debugcon_line_fact(struct hk_debugcon *d, const char *line)
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
    struct hk_vm *vm = d->vm;
    if (strncmp(line, "Booting from ", 13) == 0) {
        /* the jump to the boot code names no device: it is the one named last */
        int dev = booting_device(line + 13);
        if (dev != HK_BOOT_DEVICE_UNKNOWN)
            __atomic_store_n(&d->boot_device, dev, __ATOMIC_RELAXED);
        else
            dev = __atomic_load_n(&d->boot_device, __ATOMIC_RELAXED);
        hk_fact(&vm->facts, HK_FACT_BOOTING, dev, 0, 0, "%s", line);
        return;
    }
    if (strstr(line, "Boot failed") || strstr(line, "No bootable device")) {
        int dev = strstr(line, "CDROM") ? HK_BOOT_DEVICE_CDROM
                                        : __atomic_load_n(&d->boot_device, __ATOMIC_RELAXED);
        hk_fact(&vm->facts, HK_FACT_BOOT_FAILED, dev, 0, 0, "%s", line);
        return;
    }
    uint32_t flags = hk_firmware_line_flags(line);
    bool kept = flags != 0;
    for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]) && !kept; i++)
        kept = strstr(line, keep[i]) != NULL;
    if (kept)
        hk_fact_typed(&vm->facts, HK_FACT_DEBUGCON_LINE, 0, 0, 0, flags, NULL, NULL, "%s", line);
}

static void on_line(void *opaque, const char *line)
{
    hk_debugcon_line_fact(opaque, line);
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
