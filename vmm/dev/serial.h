/*
 * NS16550A UART (COM1 at 0x3F8, IRQ 4), after the National Semiconductor PC16550D datasheet:
 * divisor latch, IER/IIR/FCR/LCR/MCR/LSR/MSR/SCR, 16-byte receive FIFO, loopback, THRE and
 * received-data interrupts. Transmitted bytes go to a sink (file, stdio, the app's console);
 * received bytes come from hk_serial_input().
 */
#ifndef HK_DEV_SERIAL_H
#define HK_DEV_SERIAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/lines.h"

struct hk_vm;

#define HK_SERIAL_FIFO  16
#define HK_SERIAL_INBUF 4096

typedef void (*hk_serial_sink)(void *opaque, const uint8_t *data, size_t len);

struct hk_serial {
    struct hk_vm *vm;
    pthread_mutex_t lock;
    uint16_t base;
    unsigned irq;
    uint8_t ier, iir_thri_pending, lcr, mcr, lsr, msr, scr, fcr;
    uint16_t divisor;
    uint8_t rx[HK_SERIAL_FIFO];
    unsigned rx_head, rx_count;
    /* host bytes waiting for room in the receive FIFO */
    uint8_t inbuf[HK_SERIAL_INBUF];
    unsigned in_head, in_count;
    int irq_level;
    hk_serial_sink sink;
    void *sink_opaque;
    struct hk_lines lines;
    uint64_t tx_bytes;
};

void hk_serial_init(struct hk_serial *s, struct hk_vm *vm, uint16_t base, unsigned irq);
void hk_serial_destroy(struct hk_serial *s);
int hk_serial_attach(struct hk_serial *s);
void hk_serial_reset(struct hk_serial *s);
void hk_serial_set_sink(struct hk_serial *s, hk_serial_sink sink, void *opaque);
/* Bytes from the host (keyboard of the console). Returns how many were accepted. */
size_t hk_serial_input(struct hk_serial *s, const uint8_t *data, size_t len);
uint8_t hk_serial_read(struct hk_serial *s, unsigned off);
void hk_serial_write(struct hk_serial *s, unsigned off, uint8_t val);

#endif
