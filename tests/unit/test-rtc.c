/* CMOS/RTC: time in BCD and binary, 12-hour mode, UIP window, the SET bit and guest-set time,
 * register C flags, periodic rate, NMI mask bit, and the memory layout firmware reads. */
#include "check.h"
#include "fakevm.h"

#include <time.h>

#include "pc/rtc.h"

struct clock {
    int64_t ns;
};

static int64_t fake_now(void *opaque)
{
    return ((struct clock *)opaque)->ns;
}

static uint8_t rd(struct hk_rtc *r, uint8_t idx)
{
    hk_rtc_write_port(r, 0, idx);
    return hk_rtc_read_port(r, 1);
}

static void wr(struct hk_rtc *r, uint8_t idx, uint8_t v)
{
    hk_rtc_write_port(r, 0, idx);
    hk_rtc_write_port(r, 1, v);
}

/* 2026-11-27 12:34:56 UTC, a Friday */
#define T0 1795782896ll

static void setup(struct fakevm *f, struct hk_rtc *r, struct clock *c)
{
    fakevm_init(f, 0);
    hk_rtc_init(r, &f->vm);
    c->ns = T0 * 1000000000ll + 500000000ll;
    r->realtime_ns = fake_now;
    r->clock_opaque = c;
}

static void test_time(void)
{
    struct fakevm f;
    struct hk_rtc r;
    struct clock c;
    setup(&f, &r, &c);
    CHECK_EQ(rd(&r, 0x00), 0x56);
    CHECK_EQ(rd(&r, 0x02), 0x34);
    CHECK_EQ(rd(&r, 0x04), 0x12);
    CHECK_EQ(rd(&r, 0x06), 0x06); /* Friday = day 6 (Sunday = 1) */
    CHECK_EQ(rd(&r, 0x07), 0x27);
    CHECK_EQ(rd(&r, 0x08), 0x11);
    CHECK_EQ(rd(&r, 0x09), 0x26);
    CHECK_EQ(rd(&r, 0x32), 0x20);
    CHECK_EQ(rd(&r, 0x0D), 0x80);     /* valid RAM and time */
    CHECK_EQ(rd(&r, 0x0A) & 0x80, 0); /* mid-second: no update in progress */
    c.ns = T0 * 1000000000ll + 999900000ll;
    CHECK_EQ(rd(&r, 0x0A) & 0x80, 0x80); /* 100 us before the update */
    /* time goes on */
    c.ns += 61ll * 1000000000ll; /* 12:34:56.9999 + 61 s */
    CHECK_EQ(rd(&r, 0x00), 0x57);
    CHECK_EQ(rd(&r, 0x02), 0x35);
    /* binary and 12-hour modes */
    wr(&r, 0x0B, 0x04);
    CHECK_EQ(rd(&r, 0x00), 57);
    CHECK_EQ(rd(&r, 0x04), 0x80 | 12); /* 12 PM */
    wr(&r, 0x0B, 0x02);
    hk_rtc_destroy(&r);
    fakevm_destroy(&f);
}

static void test_guest_sets_time(void)
{
    struct fakevm f;
    struct hk_rtc r;
    struct clock c;
    setup(&f, &r, &c);
    wr(&r, 0x0B, 0x82); /* SET: updates halt */
    wr(&r, 0x00, 0x00);
    wr(&r, 0x02, 0x00);
    wr(&r, 0x04, 0x08);
    wr(&r, 0x07, 0x01);
    wr(&r, 0x08, 0x01);
    wr(&r, 0x09, 0x30);
    c.ns += 5ll * 1000000000ll; /* frozen while SET */
    CHECK_EQ(rd(&r, 0x00), 0x00);
    wr(&r, 0x0B, 0x02); /* run from 2030-01-01 08:00:00 */
    c.ns += 3ll * 1000000000ll;
    CHECK_EQ(rd(&r, 0x00), 0x03);
    CHECK_EQ(rd(&r, 0x04), 0x08);
    CHECK_EQ(rd(&r, 0x09), 0x30);
    CHECK_EQ(rd(&r, 0x08), 0x01);
    /* nonsense dates are refused and time keeps going */
    wr(&r, 0x0B, 0x82);
    wr(&r, 0x08, 0x99);
    wr(&r, 0x0B, 0x02);
    CHECK_EQ(rd(&r, 0x09), 0x30);
    hk_rtc_destroy(&r);
    fakevm_destroy(&f);
}

static void test_flags_and_irq(void)
{
    struct fakevm f;
    struct hk_rtc r;
    struct clock c;
    setup(&f, &r, &c);
    rd(&r, 0x0C); /* clear */
    /* a second later the update-ended flag is set (polled) but no IRQ without UIE */
    c.ns += 1000000000ll;
    uint8_t cval = rd(&r, 0x0C);
    CHECK(cval & 0x10);
    CHECK_EQ(cval & 0x80, 0);
    CHECK_EQ(f.vm.irq_level[8], 0);
    CHECK_EQ(rd(&r, 0x0C) & 0x10, 0); /* reading cleared it */
    /* with UIE, the flag raises IRQ 8 until C is read */
    wr(&r, 0x0B, 0x12);
    c.ns += 1000000000ll;
    hk_rtc_write_port(&r, 0, 0x0C);
    /* reading C itself notices the second; IRQF follows UF & UIE */
    cval = hk_rtc_read_port(&r, 1);
    CHECK_EQ(cval & 0x90, 0x90);
    CHECK_EQ(f.vm.irq_level[8], 0); /* lowered by the read */
    /* alarm: matching hh:mm:ss */
    wr(&r, 0x0B, 0x22);
    uint8_t s = rd(&r, 0x00);
    int next = ((s >> 4) * 10 + (s & 0xF) + 1) % 60;
    wr(&r, 0x01, (uint8_t)(((next / 10) << 4) | (next % 10)));
    wr(&r, 0x03, 0xC0);
    wr(&r, 0x05, 0xC0);
    rd(&r, 0x0C);
    c.ns += 1000000000ll;
    cval = rd(&r, 0x0C);
    CHECK_EQ(cval & 0xA0, 0xA0);
    /* NMI mask bit in the index port is not part of the index */
    hk_rtc_write_port(&r, 0, 0x80 | 0x40);
    hk_rtc_write_port(&r, 1, 0x77);
    CHECK_EQ(rd(&r, 0x40), 0x77);
    /* reset clears the enables, keeps RAM */
    hk_rtc_reset(&r);
    CHECK_EQ(rd(&r, 0x0B) & 0x70, 0);
    CHECK_EQ(rd(&r, 0x40), 0x77);
    hk_rtc_destroy(&r);
    fakevm_destroy(&f);
}

static void test_memory_layout(void)
{
    struct fakevm f;
    struct hk_rtc r;
    struct clock c;
    setup(&f, &r, &c);
    hk_rtc_set_memory(&r, 256ull << 20, 0);
    hk_rtc_set_cpus(&r, 4);
    int order[3] = {3, 2, 0};
    hk_rtc_set_boot_order(&r, order, 3);
    CHECK_EQ(rd(&r, 0x15) | rd(&r, 0x16) << 8, 640);
    CHECK_EQ(rd(&r, 0x17) | rd(&r, 0x18) << 8, 0xFFFF); /* (256 - 1) MiB in KiB saturates */
    CHECK_EQ(rd(&r, 0x34) | rd(&r, 0x35) << 8, (256 - 16) * 16);
    CHECK_EQ(rd(&r, 0x5B) | rd(&r, 0x5C) << 8 | rd(&r, 0x5D) << 16, 0);
    CHECK_EQ(rd(&r, 0x5F), 3);
    CHECK_EQ(rd(&r, 0x3D), 0x23);
    hk_rtc_set_memory(&r, 0xE0000000ull, 6ull << 30);
    CHECK_EQ(rd(&r, 0x5B) | rd(&r, 0x5C) << 8 | rd(&r, 0x5D) << 16, (6ull << 30) >> 16);
    CHECK_EQ(rd(&r, 0x34) | rd(&r, 0x35) << 8, (0xE0000000ull - (16 << 20)) >> 16);
    hk_rtc_set_memory(&r, 8ull << 20, 0);
    CHECK_EQ(rd(&r, 0x17) | rd(&r, 0x18) << 8, 7 * 1024);
    CHECK_EQ(rd(&r, 0x34) | rd(&r, 0x35) << 8, 0);
    hk_rtc_destroy(&r);
    fakevm_destroy(&f);
}

TEST_MAIN(TEST(test_time), TEST(test_guest_sets_time), TEST(test_flags_and_irq),
          TEST(test_memory_layout))
