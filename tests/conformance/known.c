/*
 * The known-differences table: every read where Hako's device models answer differently from
 * QEMU's on purpose, or where the answer depends on something the trace does not carry (the time,
 * DMA). Each entry names the device (as the replay labels it), the registers, an optional
 * condition and the reason. A difference no entry covers is an unexplained mismatch: a bug to fix
 * in the device model, or a new entry here with its reason.
 */
#include "known.h"

#include <string.h>

#include "pc/board.h"

/* ---- conditions ---- */

/* RTC data port: the register the index selects */
static uint8_t rtc_index(struct hk_pc *pc)
{
    return pc->rtc.index & 0x7F;
}

static bool rtc_clock(struct hk_pc *pc, const struct access *a, uint64_t hako)
{
    (void)a;
    (void)hako;
    uint8_t i = rtc_index(pc);
    return i <= 0x09 || i == 0x32; /* seconds ... year, century */
}

static bool rtc_uip(struct hk_pc *pc, const struct access *a, uint64_t hako)
{
    return rtc_index(pc) == 0x0A && ((a->value ^ hako) & ~0x80ull) == 0;
}

static bool rtc_flags(struct hk_pc *pc, const struct access *a, uint64_t hako)
{
    (void)a;
    (void)hako;
    return rtc_index(pc) == 0x0C;
}

static bool pm_timer(struct hk_pc *pc, const struct access *a, uint64_t hako)
{
    (void)hako;
    uint16_t base = hk_piix4_pm_base(&pc->pm);
    return base && a->addr >= base + 8u && a->addr < base + 12u;
}

static const struct known_diff table[] = {
    {"rtc", "data port, clock registers 0x00-0x09 and 0x32", 0x71, 0x71, rtc_clock,
     "the time of day: QEMU read the host's clock when it was recorded, Hako reads it now"},
    {"rtc", "data port, register A bit 7 (UIP)", 0x71, 0x71, rtc_uip,
     "update in progress: set during the 244 us before each second's update, which falls at a "
     "different moment of the replay"},
    {"rtc", "data port, register C (interrupt flags)", 0x71, 0x71, rtc_flags,
     "the update-ended, alarm and periodic flags depend on how much time passed between reads"},
    {"piix4-pm", "PM timer (PM base + 8)", 0, 0xFFFF, pm_timer,
     "a free-running 3.579545 MHz counter: its value depends on when it is read"},
    {"bochs-display", "EDID block (BAR2 0x000-0x3FF)", 0x000, 0x3FF, NULL,
     "Hako's own EDID: its monitor name, serial and mode list (the preferred 1280x800 mode is "
     "the same); edid.c"},
};

int hk_known_difference(struct hk_pc *pc, const char *dev, const struct access *a, uint64_t hako)
{
    for (unsigned i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        const struct known_diff *k = &table[i];
        size_t n = strlen(k->dev);
        bool dev_ok =
            n && k->dev[n - 1] == '*' ? strncmp(k->dev, dev, n - 1) == 0 : strcmp(k->dev, dev) == 0;
        if (!dev_ok || a->reg < k->lo || a->reg > k->hi)
            continue;
        if (k->when && !k->when(pc, a, hako))
            continue;
        return (int)i;
    }
    return -1;
}

unsigned hk_known_count(void)
{
    return sizeof(table) / sizeof(table[0]);
}

const struct known_diff *hk_known_entry(unsigned i)
{
    return i < hk_known_count() ? &table[i] : NULL;
}
