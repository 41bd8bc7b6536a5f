/*
 * MC146818-compatible real-time clock and 128 bytes of CMOS RAM at ports 0x70/0x71, IRQ 8.
 * Time follows the host clock (UTC) plus whatever offset the guest sets; registers A-D behave as
 * the Motorola MC146818A datasheet describes (UIP, SET, PIE/AIE/UIE, IRQF/PF/AF/UF, VRT). CMOS RAM
 * layout for firmware: memory sizes (0x15-0x18, 0x30-0x31, 0x34-0x35, 0x5B-0x5D), CPU count (0x5F),
 * boot order (0x3D, 0x38), century (0x32), as SeaBIOS and OVMF read them.
 */
#ifndef HK_PC_RTC_H
#define HK_PC_RTC_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct hk_vm;
struct hk_timer;

struct hk_rtc {
    struct hk_vm *vm;
    pthread_mutex_t lock;
    uint8_t cmos[128];
    uint8_t index;
    int64_t offset_ns;       /* guest time - host realtime */
    uint64_t last_c_read_ns; /* monotonic time of the last register C read (for polled flags) */
    int64_t last_second;     /* guest second of the last update-ended event */
    struct hk_timer *periodic, *second;
    bool irq;
    /* host clock source, replaceable by unit tests (returns ns since the epoch) */
    int64_t (*realtime_ns)(void *opaque);
    void *clock_opaque;
};

void hk_rtc_init(struct hk_rtc *rtc, struct hk_vm *vm);
void hk_rtc_destroy(struct hk_rtc *rtc);
int hk_rtc_attach(struct hk_rtc *rtc); /* ports 0x70-0x71 */
void hk_rtc_reset(struct hk_rtc *rtc);
/* Fills the CMOS layout firmware expects. */
void hk_rtc_set_memory(struct hk_rtc *rtc, uint64_t below_4g, uint64_t above_4g);
void hk_rtc_set_cpus(struct hk_rtc *rtc, unsigned ncpus);
/* boot devices in order: 1 floppy, 2 hard disk, 3 CD-ROM (SeaBIOS/Bochs CMOS convention) */
void hk_rtc_set_boot_order(struct hk_rtc *rtc, const int *order, unsigned n);
uint8_t hk_rtc_read_port(struct hk_rtc *rtc, unsigned port);
void hk_rtc_write_port(struct hk_rtc *rtc, unsigned port, uint8_t val);

#define HK_CMOS_SHUTDOWN 0x0F

#endif
