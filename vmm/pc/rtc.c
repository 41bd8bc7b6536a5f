#include "rtc.h"

#include <string.h>
#include <time.h>

#include "../core/irqsrc.h"
#include "../core/loop.h"
#include "../core/vm.h"

#define REG_A 0x0A
#define REG_B 0x0B
#define REG_C 0x0C
#define REG_D 0x0D

#define A_UIP  0x80
#define B_SET  0x80
#define B_PIE  0x40
#define B_AIE  0x20
#define B_UIE  0x10
#define B_DM   0x04 /* binary mode */
#define B_24H  0x02
#define C_IRQF 0x80
#define C_PF   0x40
#define C_AF   0x20
#define C_UF   0x10

static int64_t host_realtime(void *opaque)
{
    struct timespec ts;
    (void)opaque;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

static int64_t guest_ns(struct hk_rtc *rtc)
{
    return rtc->realtime_ns(rtc->clock_opaque) + rtc->offset_ns;
}

static uint8_t to_bcd(struct hk_rtc *rtc, int v)
{
    if (rtc->cmos[REG_B] & B_DM)
        return (uint8_t)v;
    return (uint8_t)(((v / 10) << 4) | (v % 10));
}

static int from_bcd(struct hk_rtc *rtc, uint8_t v)
{
    if (rtc->cmos[REG_B] & B_DM)
        return v;
    return ((v >> 4) & 0xF) * 10 + (v & 0xF);
}

static uint8_t hour_enc(struct hk_rtc *rtc, int h)
{
    if (rtc->cmos[REG_B] & B_24H)
        return to_bcd(rtc, h);
    int h12 = h % 12 == 0 ? 12 : h % 12;
    return (uint8_t)(to_bcd(rtc, h12) | (h >= 12 ? 0x80 : 0));
}

static int hour_dec(struct hk_rtc *rtc, uint8_t v)
{
    if (rtc->cmos[REG_B] & B_24H)
        return from_bcd(rtc, v);
    int h = from_bcd(rtc, v & 0x7F) % 12;
    return (v & 0x80) ? h + 12 : h;
}

/* Writes the current guest time into the clock registers (unless SET halts updates). */
static void refresh_time(struct hk_rtc *rtc)
{
    if (rtc->cmos[REG_B] & B_SET)
        return;
    time_t secs = (time_t)(guest_ns(rtc) / 1000000000ll);
    struct tm tm;
    gmtime_r(&secs, &tm);
    rtc->cmos[0x00] = to_bcd(rtc, tm.tm_sec);
    rtc->cmos[0x02] = to_bcd(rtc, tm.tm_min);
    rtc->cmos[0x04] = hour_enc(rtc, tm.tm_hour);
    rtc->cmos[0x06] = to_bcd(rtc, tm.tm_wday + 1);
    rtc->cmos[0x07] = to_bcd(rtc, tm.tm_mday);
    rtc->cmos[0x08] = to_bcd(rtc, tm.tm_mon + 1);
    rtc->cmos[0x09] = to_bcd(rtc, (tm.tm_year + 1900) % 100);
    rtc->cmos[0x32] = to_bcd(rtc, (tm.tm_year + 1900) / 100);
}

/* The guest set the clock: derive the new offset from the registers. */
static void adopt_guest_time(struct hk_rtc *rtc)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    tm.tm_sec = from_bcd(rtc, rtc->cmos[0x00]);
    tm.tm_min = from_bcd(rtc, rtc->cmos[0x02]);
    tm.tm_hour = hour_dec(rtc, rtc->cmos[0x04]);
    tm.tm_mday = from_bcd(rtc, rtc->cmos[0x07]);
    tm.tm_mon = from_bcd(rtc, rtc->cmos[0x08]) - 1;
    int century = from_bcd(rtc, rtc->cmos[0x32]);
    if (century < 19 || century > 30)
        century = 20;
    tm.tm_year = century * 100 + from_bcd(rtc, rtc->cmos[0x09]) - 1900;
    if (tm.tm_sec > 59 || tm.tm_min > 59 || tm.tm_hour > 23 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
        tm.tm_mon < 0 || tm.tm_mon > 11)
        return; /* nonsense: keep the old offset */
    time_t t = timegm(&tm);
    if (t == (time_t)-1)
        return;
    int64_t host = rtc->realtime_ns(rtc->clock_opaque);
    rtc->offset_ns = (int64_t)t * 1000000000ll - (host - host % 1000000000ll);
}

static void update_irq(struct hk_rtc *rtc)
{
    uint8_t c = rtc->cmos[REG_C] & 0x70, b = rtc->cmos[REG_B];
    bool on = (c & C_PF && b & B_PIE) || (c & C_AF && b & B_AIE) || (c & C_UF && b & B_UIE);
    if (on)
        rtc->cmos[REG_C] |= C_IRQF;
    if (on != rtc->irq) {
        rtc->irq = on;
        hk_vm_set_irq(rtc->vm, 8, HK_IRQSRC_DEVICE, on);
    }
}

static uint64_t periodic_ns(struct hk_rtc *rtc)
{
    unsigned rate = rtc->cmos[REG_A] & 0x0F;
    if (rate == 0)
        return 0;
    if (rate < 3)
        rate += 7;
    /* 32.768 kHz / 2^(rate-1) */
    return (1000000000ull << (rate - 1)) / 32768ull;
}

static bool alarm_matches(struct hk_rtc *rtc)
{
    static const unsigned alarm[3] = {0x01, 0x03, 0x05}, now[3] = {0x00, 0x02, 0x04};
    for (int i = 0; i < 3; i++) {
        uint8_t a = rtc->cmos[alarm[i]];
        if ((a & 0xC0) == 0xC0)
            continue; /* don't care */
        if (a != rtc->cmos[now[i]])
            return false;
    }
    return true;
}

/* Update-ended and alarm events for every second that has passed. Called with the lock held. */
static void second_events(struct hk_rtc *rtc)
{
    if (rtc->cmos[REG_B] & B_SET)
        return;
    int64_t sec = guest_ns(rtc) / 1000000000ll;
    if (sec == rtc->last_second)
        return;
    rtc->last_second = sec;
    refresh_time(rtc);
    rtc->cmos[REG_C] |= C_UF;
    if (alarm_matches(rtc))
        rtc->cmos[REG_C] |= C_AF;
    update_irq(rtc);
}

static void arm_timers(struct hk_rtc *rtc)
{
    if (!rtc->periodic)
        return;
    uint64_t p = periodic_ns(rtc);
    if ((rtc->cmos[REG_B] & B_PIE) && p)
        hk_timer_arm(rtc->periodic, p, p);
    else
        hk_timer_arm(rtc->periodic, 0, 0);
    if (rtc->cmos[REG_B] & (B_UIE | B_AIE)) {
        int64_t ns = guest_ns(rtc);
        uint64_t to_next = (uint64_t)(1000000000ll - ns % 1000000000ll) + 1000;
        hk_timer_arm(rtc->second, to_next, 1000000000ull);
    } else {
        hk_timer_arm(rtc->second, 0, 0);
    }
}

static void periodic_cb(void *opaque)
{
    struct hk_rtc *rtc = opaque;
    pthread_mutex_lock(&rtc->lock);
    rtc->cmos[REG_C] |= C_PF;
    update_irq(rtc);
    pthread_mutex_unlock(&rtc->lock);
}

static void second_cb(void *opaque)
{
    struct hk_rtc *rtc = opaque;
    pthread_mutex_lock(&rtc->lock);
    second_events(rtc);
    pthread_mutex_unlock(&rtc->lock);
}

uint8_t hk_rtc_read_port(struct hk_rtc *rtc, unsigned port)
{
    uint8_t v = 0xFF;
    pthread_mutex_lock(&rtc->lock);
    if (port == 0) {
        v = 0xFF; /* the index register is write-only */
    } else {
        unsigned i = rtc->index;
        if (i <= 0x09 || i == 0x32) {
            refresh_time(rtc);
            v = rtc->cmos[i];
        } else if (i == REG_A) {
            v = rtc->cmos[REG_A] & 0x7F;
            int64_t frac = guest_ns(rtc) % 1000000000ll;
            /* UIP is set for the 244 us before each update */
            if (!(rtc->cmos[REG_B] & B_SET) && frac >= 1000000000ll - 244000)
                v |= A_UIP;
        } else if (i == REG_C) {
            /* flags that a polling guest expects even with interrupts off */
            uint64_t now = hk_now_ns(), p = periodic_ns(rtc);
            if (p && now - rtc->last_c_read_ns >= p)
                rtc->cmos[REG_C] |= C_PF;
            second_events(rtc);
            rtc->last_c_read_ns = now;
            v = rtc->cmos[REG_C];
            rtc->cmos[REG_C] = 0;
            update_irq(rtc);
        } else if (i == REG_D) {
            v = 0x80; /* valid RAM and time */
        } else {
            v = rtc->cmos[i];
        }
    }
    pthread_mutex_unlock(&rtc->lock);
    return v;
}

void hk_rtc_write_port(struct hk_rtc *rtc, unsigned port, uint8_t val)
{
    pthread_mutex_lock(&rtc->lock);
    if (port == 0) {
        rtc->index = val & 0x7F; /* bit 7 masks NMI */
    } else {
        unsigned i = rtc->index;
        if (i <= 0x09 || i == 0x32) {
            if (i != 0x00 || !(rtc->cmos[REG_B] & B_SET))
                refresh_time(rtc);
            rtc->cmos[i] = val;
            if (!(rtc->cmos[REG_B] & B_SET) && (i == 0 || i == 2 || i == 4 || i >= 6))
                adopt_guest_time(rtc);
        } else if (i == REG_A) {
            rtc->cmos[REG_A] = val & 0x7F;
            arm_timers(rtc);
        } else if (i == REG_B) {
            uint8_t old = rtc->cmos[REG_B];
            if (!(old & B_SET))
                refresh_time(rtc);
            rtc->cmos[REG_B] = val;
            if ((old & B_SET) && !(val & B_SET))
                adopt_guest_time(rtc);
            if (val & B_SET)
                rtc->cmos[REG_B] &= (uint8_t)~B_UIE;
            update_irq(rtc);
            arm_timers(rtc);
        } else if (i == REG_C || i == REG_D) {
            /* read-only */
        } else {
            rtc->cmos[i] = val;
        }
    }
    pthread_mutex_unlock(&rtc->lock);
}

static uint64_t port_read(void *opaque, uint64_t off, unsigned size)
{
    (void)size;
    return hk_rtc_read_port(opaque, (unsigned)off);
}

static void port_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    (void)size;
    hk_rtc_write_port(opaque, (unsigned)off, (uint8_t)val);
}

static const struct hk_io_ops rtc_ops = {port_read, port_write};

void hk_rtc_init(struct hk_rtc *rtc, struct hk_vm *vm)
{
    memset(rtc, 0, sizeof(*rtc));
    rtc->vm = vm;
    pthread_mutex_init(&rtc->lock, NULL);
    rtc->realtime_ns = host_realtime;
    rtc->cmos[REG_A] = 0x26;
    rtc->cmos[REG_B] = B_24H;
    rtc->cmos[REG_D] = 0x80;
    rtc->cmos[0x14] = 0x06; /* equipment: FPU, VGA/EGA display */
    if (vm && vm->loop) {
        rtc->periodic = hk_timer_new(vm->loop, periodic_cb, rtc);
        rtc->second = hk_timer_new(vm->loop, second_cb, rtc);
    }
    refresh_time(rtc);
}

void hk_rtc_destroy(struct hk_rtc *rtc)
{
    pthread_mutex_destroy(&rtc->lock);
}

int hk_rtc_attach(struct hk_rtc *rtc)
{
    return hk_bus_add(&rtc->vm->pio, 0x70, 2, &rtc_ops, rtc, "rtc");
}

void hk_rtc_reset(struct hk_rtc *rtc)
{
    pthread_mutex_lock(&rtc->lock);
    /* RESET# clears the interrupt enables and flags; time and CMOS RAM are battery-backed */
    rtc->cmos[REG_B] &= (uint8_t) ~(B_PIE | B_AIE | B_UIE | 0x08);
    rtc->cmos[REG_C] = 0;
    rtc->irq = false;
    arm_timers(rtc);
    pthread_mutex_unlock(&rtc->lock);
}

void hk_rtc_set_memory(struct hk_rtc *rtc, uint64_t below_4g, uint64_t above_4g)
{
    pthread_mutex_lock(&rtc->lock);
    uint8_t *c = rtc->cmos;
    c[0x15] = 640 & 0xFF; /* base memory in KiB */
    c[0x16] = 640 >> 8;
    uint64_t ext_kb = below_4g > (1u << 20) ? (below_4g - (1u << 20)) / 1024 : 0;
    if (ext_kb > 0xFFFF)
        ext_kb = 0xFFFF;
    c[0x17] = c[0x30] = (uint8_t)ext_kb;
    c[0x18] = c[0x31] = (uint8_t)(ext_kb >> 8);
    uint64_t above16 = below_4g > (16u << 20) ? (below_4g - (16u << 20)) / 65536 : 0;
    if (above16 > 0xFFFF)
        above16 = 0xFFFF;
    c[0x34] = (uint8_t)above16;
    c[0x35] = (uint8_t)(above16 >> 8);
    uint64_t high = above_4g / 65536;
    c[0x5B] = (uint8_t)high;
    c[0x5C] = (uint8_t)(high >> 8);
    c[0x5D] = (uint8_t)(high >> 16);
    pthread_mutex_unlock(&rtc->lock);
}

void hk_rtc_set_cpus(struct hk_rtc *rtc, unsigned ncpus)
{
    pthread_mutex_lock(&rtc->lock);
    rtc->cmos[0x5F] = (uint8_t)(ncpus - 1);
    pthread_mutex_unlock(&rtc->lock);
}

void hk_rtc_set_boot_order(struct hk_rtc *rtc, const int *order, unsigned n)
{
    int o[3] = {0, 0, 0};
    for (unsigned i = 0; i < n && i < 3; i++)
        o[i] = order[i] & 0xF;
    pthread_mutex_lock(&rtc->lock);
    rtc->cmos[0x3D] = (uint8_t)(o[0] | o[1] << 4);
    rtc->cmos[0x38] = (uint8_t)((rtc->cmos[0x38] & 0x0F) | o[2] << 4);
    pthread_mutex_unlock(&rtc->lock);
}
