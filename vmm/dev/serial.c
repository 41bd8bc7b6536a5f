#include "serial.h"

#include <string.h>

#include "../core/irqsrc.h"
#include "../core/vm.h"

#define LSR_DR   0x01
#define LSR_OE   0x02
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define IER_RDI  0x01
#define IER_THRI 0x02
#define IER_RLSI 0x04
#define IER_MSI  0x08
#define LCR_DLAB 0x80
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10

static void serial_line(void *opaque, const char *line)
{
    struct hk_serial *s = opaque;
    hk_fact_typed(&s->vm->facts, HK_FACT_SERIAL_LINE, 0, 0, 0, hk_firmware_line_flags(line), NULL,
                  NULL, "%s", line);
}

void hk_serial_init(struct hk_serial *s, struct hk_vm *vm, uint16_t base, unsigned irq)
{
    memset(s, 0, sizeof(*s));
    s->vm = vm;
    s->base = base;
    s->irq = irq;
    pthread_mutex_init(&s->lock, NULL);
    hk_lines_init(&s->lines, serial_line, s);
    hk_serial_reset(s);
}

void hk_serial_destroy(struct hk_serial *s)
{
    hk_lines_destroy(&s->lines);
    pthread_mutex_destroy(&s->lock);
}

void hk_serial_set_sink(struct hk_serial *s, hk_serial_sink sink, void *opaque)
{
    pthread_mutex_lock(&s->lock);
    s->sink = sink;
    s->sink_opaque = opaque;
    pthread_mutex_unlock(&s->lock);
}

/* Interrupt identification: priority receiver line status > data > THRE > modem status. */
static uint8_t iir(struct hk_serial *s)
{
    if ((s->ier & IER_RLSI) && (s->lsr & LSR_OE))
        return 0x06;
    if ((s->ier & IER_RDI) && s->rx_count)
        return 0x04;
    if ((s->ier & IER_THRI) && s->iir_thri_pending)
        return 0x02;
    if ((s->ier & IER_MSI) && (s->msr & 0x0F))
        return 0x00;
    return 0x01;
}

static void update_irq(struct hk_serial *s)
{
    int level = !(iir(s) & 1);
    if (level != s->irq_level) {
        s->irq_level = level;
        hk_vm_set_irq(s->vm, s->irq, HK_IRQSRC_DEVICE, level);
    }
}

/* Moves host bytes into the FIFO while there is room. Lock held. */
static void refill(struct hk_serial *s)
{
    while (s->in_count && s->rx_count < HK_SERIAL_FIFO) {
        s->rx[(s->rx_head + s->rx_count) % HK_SERIAL_FIFO] = s->inbuf[s->in_head];
        s->rx_count++;
        s->in_head = (s->in_head + 1) % HK_SERIAL_INBUF;
        s->in_count--;
    }
    if (s->rx_count)
        s->lsr |= LSR_DR;
}

static void push_rx(struct hk_serial *s, uint8_t b)
{
    if (s->rx_count == HK_SERIAL_FIFO) {
        s->lsr |= LSR_OE;
        return;
    }
    s->rx[(s->rx_head + s->rx_count) % HK_SERIAL_FIFO] = b;
    s->rx_count++;
    s->lsr |= LSR_DR;
}

void hk_serial_reset(struct hk_serial *s)
{
    pthread_mutex_lock(&s->lock);
    s->ier = s->lcr = s->mcr = s->scr = s->fcr = 0;
    s->lsr = LSR_THRE | LSR_TEMT;
    s->msr = 0xB0; /* DCD, DSR, CTS */
    s->divisor = 12;
    s->rx_head = s->rx_count = 0;
    s->iir_thri_pending = 0;
    s->irq_level = 0;
    pthread_mutex_unlock(&s->lock);
}

size_t hk_serial_input(struct hk_serial *s, const uint8_t *data, size_t len)
{
    size_t n = 0;
    pthread_mutex_lock(&s->lock);
    for (; n < len && s->in_count < HK_SERIAL_INBUF; n++) {
        s->inbuf[(s->in_head + s->in_count) % HK_SERIAL_INBUF] = data[n];
        s->in_count++;
    }
    refill(s);
    update_irq(s);
    pthread_mutex_unlock(&s->lock);
    return n;
}

uint8_t hk_serial_read(struct hk_serial *s, unsigned off)
{
    uint8_t v = 0xFF;
    pthread_mutex_lock(&s->lock);
    switch (off) {
    case 0:
        if (s->lcr & LCR_DLAB) {
            v = (uint8_t)s->divisor;
        } else {
            v = 0;
            if (s->rx_count) {
                v = s->rx[s->rx_head];
                s->rx_head = (s->rx_head + 1) % HK_SERIAL_FIFO;
                s->rx_count--;
            }
            refill(s);
            if (!s->rx_count)
                s->lsr &= (uint8_t)~LSR_DR;
        }
        break;
    case 1: v = (s->lcr & LCR_DLAB) ? (uint8_t)(s->divisor >> 8) : s->ier; break;
    case 2:
        v = iir(s);
        if (v == 0x02)
            s->iir_thri_pending = 0; /* reading IIR clears a THRE interrupt */
        if (s->fcr & 1)
            v |= 0xC0;
        break;
    case 3: v = s->lcr; break;
    case 4: v = s->mcr; break;
    case 5:
        v = s->lsr;
        s->lsr &= (uint8_t)~LSR_OE;
        break;
    case 6:
        if (s->mcr & MCR_LOOP) {
            /* loopback: DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD */
            v = (uint8_t)(((s->mcr & 0x01) << 5) | ((s->mcr & 0x02) << 3) | ((s->mcr & 0x04) << 4) |
                          ((s->mcr & 0x08) << 4));
        } else {
            v = s->msr;
        }
        s->msr &= 0xF0;
        break;
    case 7: v = s->scr; break;
    default: break;
    }
    update_irq(s);
    pthread_mutex_unlock(&s->lock);
    return v;
}

void hk_serial_write(struct hk_serial *s, unsigned off, uint8_t val)
{
    hk_serial_sink sink = NULL;
    void *sink_opaque = NULL;
    bool out = false;
    pthread_mutex_lock(&s->lock);
    switch (off) {
    case 0:
        if (s->lcr & LCR_DLAB) {
            s->divisor = (uint16_t)((s->divisor & 0xFF00) | val);
        } else if (s->mcr & MCR_LOOP) {
            push_rx(s, val);
            s->iir_thri_pending = 1;
        } else {
            out = true;
            sink = s->sink;
            sink_opaque = s->sink_opaque;
            s->tx_bytes++;
            /* the byte leaves at once: the holding register is empty again */
            s->iir_thri_pending = 1;
        }
        break;
    case 1:
        if (s->lcr & LCR_DLAB) {
            s->divisor = (uint16_t)((s->divisor & 0x00FF) | (unsigned)val << 8);
        } else {
            uint8_t old = s->ier;
            s->ier = val & 0x0F;
            /* enabling THRI with an empty holding register raises it at once */
            if ((s->ier & IER_THRI) && !(old & IER_THRI) && (s->lsr & LSR_THRE))
                s->iir_thri_pending = 1;
        }
        break;
    case 2:
        s->fcr = val & 0xC9;
        if (val & 0x02) {
            s->rx_head = s->rx_count = 0;
            s->lsr &= (uint8_t)~LSR_DR;
            refill(s);
        }
        break;
    case 3: s->lcr = val; break;
    case 4: s->mcr = val & 0x1F; break;
    case 7: s->scr = val; break;
    default: break;
    }
    update_irq(s);
    pthread_mutex_unlock(&s->lock);
    if (out) {
        if (sink)
            sink(sink_opaque, &val, 1);
        hk_lines_feed(&s->lines, &val, 1);
    }
}

static uint64_t ops_read(void *opaque, uint64_t off, unsigned size)
{
    (void)size;
    return hk_serial_read(opaque, (unsigned)off);
}

static void ops_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    (void)size;
    hk_serial_write(opaque, (unsigned)off, (uint8_t)val);
}

static const struct hk_io_ops serial_ops = {ops_read, ops_write};

int hk_serial_attach(struct hk_serial *s)
{
    return hk_bus_add(&s->vm->pio, s->base, 8, &serial_ops, s, "serial");
}
