/* Firmware messages the engine recognises in what the guest writes (debug console 0x402, COM1)
 * become typed facts: the device SeaBIOS boots from in a (also for a failure that names none, and
 * for the jump to the loaded code), "No VGA found" and OVMF's boot manager giving up as flags. The
 * app reads those fields; it used to search the facts' text for "CDROM", "CD", "No VGA found" and
 * "failed to load Boot". */
#include <string.h>

#include "check.h"
#include "fakevm.h"

#include "dev/debugcon.h"
#include "dev/serial.h"

static void say(struct fakevm *vm, uint16_t port, const char *line)
{
    for (const char *p = line; *p; p++)
        pio_write(vm, port, 1, (uint8_t)*p);
    pio_write(vm, port, 1, '\n');
}

struct collect {
    struct hk_fact f[32];
    unsigned n;
};

static void collect_cb(void *opaque, const struct hk_fact *fact)
{
    struct collect *c = opaque;
    if (c->n < 32)
        c->f[c->n++] = *fact;
}

static void test_boot_devices(void)
{
    struct fakevm vm;
    fakevm_init(&vm, 0);
    struct hk_debugcon d;
    hk_debugcon_init(&d, &vm.vm, 0x402, NULL);
    CHECK_EQ(hk_debugcon_attach(&d), 0);
    /* what SeaBIOS prints for a disc it cannot boot, then a disk that boots */
    say(&vm, 0x402, "Booting from DVD/CD...");
    say(&vm, 0x402, "Boot failed: Could not read from CDROM (code 0009)");
    say(&vm, 0x402, "Booting from Floppy...");
    say(&vm, 0x402, "Boot failed: could not read the boot disk");
    say(&vm, 0x402, "Booting from Hard Disk...");
    say(&vm, 0x402, "Booting from 0000:7c00");
    say(&vm, 0x402, "Booting from ROM...");
    say(&vm, 0x402, "No bootable device.");
    struct collect c = {0};
    hk_facts_foreach(&vm.vm.facts, collect_cb, &c);
    static const struct {
        uint32_t kind;
        int64_t device;
    } want[] = {
        {HK_FACT_BOOTING, HK_BOOT_DEVICE_CDROM},  {HK_FACT_BOOT_FAILED, HK_BOOT_DEVICE_CDROM},
        {HK_FACT_BOOTING, HK_BOOT_DEVICE_FLOPPY}, {HK_FACT_BOOT_FAILED, HK_BOOT_DEVICE_FLOPPY},
        {HK_FACT_BOOTING, HK_BOOT_DEVICE_DISK},   {HK_FACT_BOOTING, HK_BOOT_DEVICE_DISK},
        {HK_FACT_BOOTING, HK_BOOT_DEVICE_ROM},    {HK_FACT_BOOT_FAILED, HK_BOOT_DEVICE_ROM},
    };
    CHECK_EQ(c.n, sizeof(want) / sizeof(want[0]));
    for (unsigned i = 0; i < c.n && i < sizeof(want) / sizeof(want[0]); i++) {
        CHECK_EQ(c.f[i].kind, want[i].kind);
        CHECK_EQ(c.f[i].a, want[i].device);
    }
    CHECK(strcmp(c.f[1].text, "Boot failed: Could not read from CDROM (code 0009)") == 0);
    hk_debugcon_destroy(&d);
    fakevm_destroy(&vm);
}

static void test_line_flags(void)
{
    struct fakevm vm;
    fakevm_init(&vm, 0);
    struct hk_debugcon d;
    hk_debugcon_init(&d, &vm.vm, 0x402, NULL);
    CHECK_EQ(hk_debugcon_attach(&d), 0);
    struct hk_serial com1;
    hk_serial_init(&com1, &vm.vm, 0x3F8, 4);
    CHECK_EQ(hk_serial_attach(&com1), 0);
    say(&vm, 0x402, "SeaBIOS (version 1.16.2-debian-1.16.2-1)");
    say(&vm, 0x402, "No VGA found, scan for other display");
    say(&vm, 0x3F8,
        "BdsDxe: failed to load Boot0001 \"UEFI QEMU DVD-ROM\" from PciRoot(0x0): Not Found");
    say(&vm, 0x3F8, "Welcome to GRUB!");
    struct collect c = {0};
    hk_facts_foreach(&vm.vm.facts, collect_cb, &c);
    CHECK_EQ(c.n, 4);
    CHECK_EQ(c.f[0].kind, HK_FACT_DEBUGCON_LINE);
    CHECK_EQ(c.f[0].flags, 0);
    CHECK_EQ(c.f[1].kind, HK_FACT_DEBUGCON_LINE);
    CHECK_EQ(c.f[1].flags, HK_FACT_LINE_NO_VGA);
    CHECK_EQ(c.f[2].kind, HK_FACT_SERIAL_LINE);
    CHECK_EQ(c.f[2].flags, HK_FACT_LINE_EFI_BOOT_FAIL);
    CHECK_EQ(c.f[3].kind, HK_FACT_SERIAL_LINE);
    CHECK_EQ(c.f[3].flags, 0);
    CHECK(strcmp(c.f[3].text, "Welcome to GRUB!") == 0);
    hk_serial_destroy(&com1);
    hk_debugcon_destroy(&d);
    fakevm_destroy(&vm);
}

TEST_MAIN(TEST(test_boot_devices), TEST(test_line_flags))
