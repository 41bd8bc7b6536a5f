#include "i8042.h"

#include <stdio.h>
#include <string.h>

#include "../core/irqsrc.h"
#include "../core/vm.h"
#include "keymap.h"

#define ACK    0xFA
#define RESEND 0xFE
#define BAT_OK 0xAA
#define ECHO   0xEE

/* Queue entry flags */
#define F_AUX    0x100 /* controller queue: the byte is to look like mouse data */
#define F_PACKET 0x100 /* mouse queue: the byte belongs to a movement packet */

/* Set-3 key attributes */
#define ATTR_BREAK     0x01
#define ATTR_TYPEMATIC 0x02
#define ATTR_SET       0x80 /* set for this key alone */

#define CTR_POWER_ON    (HK_I8042_CTR_KBDINT | HK_I8042_CTR_XLATE)
#define OUTPORT_RESET   0x01 /* system reset line (0 = reset the CPU) */
#define OUTPORT_A20     0x02
#define OUTPORT_IDLE    0xC0 /* keyboard clock and data lines released */
#define OUTPORT_OBF_KBD 0x10
#define OUTPORT_OBF_AUX 0x20
#define INPUT_PORT      0xB0 /* not inhibited, no manufacturing jumper, 512 KiB on board */

#define MOTION_LIMIT 32767

/* ---- byte queues ---- */

static void q_init(struct hk_ps2_queue *q, unsigned size)
{
    q->head = q->count = 0;
    q->size = size;
}

static unsigned q_room(const struct hk_ps2_queue *q)
{
    return q->size - q->count;
}

static bool q_push(struct hk_ps2_queue *q, uint8_t b, unsigned flags)
{
    if (q->count >= q->size)
        return false;
    q->buf[(q->head + q->count) % q->size] = (uint16_t)(b | flags);
    q->count++;
    return true;
}

static uint16_t q_pop(struct hk_ps2_queue *q)
{
    uint16_t v = q->buf[q->head];
    q->head = (q->head + 1) % q->size;
    q->count--;
    return v;
}

/* Removes the entries carrying `flag`, keeping the order of the others. */
static void q_drop(struct hk_ps2_queue *q, unsigned flag)
{
    unsigned n = q->count, kept = 0;
    uint16_t tmp[sizeof(q->buf) / sizeof(q->buf[0])];
    for (unsigned i = 0; i < n; i++) {
        uint16_t e = q_pop(q);
        if (!(e & flag))
            tmp[kept++] = e;
    }
    q->head = 0;
    for (unsigned i = 0; i < kept; i++)
        q->buf[i] = tmp[i];
    q->count = kept;
}

/* ---- interrupts and the output buffer ---- */

static uint8_t ctr(const struct hk_i8042 *c)
{
    return c->ram[0];
}

static void update_irq(struct hk_i8042 *c)
{
    int kbd = c->obf && !c->obf_aux && (ctr(c) & HK_I8042_CTR_KBDINT);
    int aux = c->obf && c->obf_aux && (ctr(c) & HK_I8042_CTR_AUXINT);
    if (kbd != c->level_kbd) {
        c->level_kbd = kbd;
        hk_vm_set_irq(c->vm, c->irq_kbd, HK_IRQSRC_DEVICE, kbd);
    }
    if (aux != c->level_aux) {
        c->level_aux = aux;
        hk_vm_set_irq(c->vm, c->irq_aux, HK_IRQSRC_DEVICE, aux);
    }
}

/* Takes the next byte from the keyboard into the output buffer, through the translation when
 * the command byte asks for it (an F0 prefix is swallowed there). */
static bool take_kbd(struct hk_i8042 *c)
{
    struct hk_ps2_queue *q = &c->kbd.q;
    while (q->count) {
        uint8_t b = (uint8_t)q_pop(q);
        if (ctr(c) & HK_I8042_CTR_XLATE) {
            if (b == 0xF0) {
                c->xlate_release = true;
                continue;
            }
            b = hk_keymap_xlate(b);
            if (c->xlate_release)
                b |= 0x80;
            c->xlate_release = false;
        }
        c->out = b;
        c->obf = true;
        c->obf_aux = false;
        c->last_from_aux = false;
        return true;
    }
    return false;
}

static bool take_aux(struct hk_i8042 *c)
{
    if (!c->aux.q.count)
        return false;
    c->out = (uint8_t)q_pop(&c->aux.q);
    c->obf = true;
    c->obf_aux = true;
    c->last_from_aux = true;
    return true;
}

/* Refills an empty output buffer: controller replies first, then the device data whose interface
 * is enabled, alternating when both have some. */
static void refill(struct hk_i8042 *c)
{
    if (c->obf)
        return;
    if (c->ctl.count) {
        uint16_t e = q_pop(&c->ctl);
        c->out = (uint8_t)e;
        c->obf = true;
        c->obf_aux = (e & F_AUX) != 0;
        return;
    }
    bool kbd_on = !(ctr(c) & HK_I8042_CTR_KBDDIS);
    bool aux_on = !(ctr(c) & HK_I8042_CTR_AUXDIS);
    if (c->last_from_aux) {
        if (kbd_on && take_kbd(c))
            return;
        if (aux_on)
            take_aux(c);
    } else {
        if (aux_on && take_aux(c))
            return;
        if (kbd_on)
            take_kbd(c);
    }
}

static void ctl_reply(struct hk_i8042 *c, uint8_t b, unsigned flags)
{
    if (!q_push(&c->ctl, b, flags))
        hk_debug(c->vm->log, "i8042: controller reply 0x%02x dropped (queue full)", b);
}

/* ---- keyboard ---- */

static bool key_is_down(const struct hk_ps2_kbd *k, unsigned evdev)
{
    return evdev < 256 && (k->down[evdev / 8] >> (evdev % 8)) & 1;
}

static void set_key_down(struct hk_ps2_kbd *k, unsigned evdev, bool down)
{
    if (down)
        k->down[evdev / 8] |= (uint8_t)(1u << (evdev % 8));
    else
        k->down[evdev / 8] &= (uint8_t) ~(1u << (evdev % 8));
}

static unsigned held_modifiers(const struct hk_ps2_kbd *k)
{
    unsigned m = 0;
    for (unsigned code = 0; code < 256; code++)
        if (key_is_down(k, code))
            m |= hk_keymap_modifier(code);
    return m;
}

/* A reply byte (ACK, ID, BAT...): queued while there is room at all. */
static void kbd_send(struct hk_i8042 *c, uint8_t b)
{
    if (!q_push(&c->kbd.q, b, 0)) {
        c->kbd_overruns++;
        return;
    }
    c->kbd.last = b;
}

/* Key bytes: a key is queued whole or not at all; when it does not fit, the keyboard puts its
 * overrun code in the last free place (0xFF in set 1, 0x00 in sets 2 and 3) and drops keys until
 * there is room again. */
static void kbd_send_key(struct hk_i8042 *c, const uint8_t *b, size_t n)
{
    struct hk_ps2_kbd *k = &c->kbd;
    if (k->overrun && q_room(&k->q) > n)
        k->overrun = false;
    if (k->overrun)
        return;
    if (q_room(&k->q) <= n) {
        q_push(&k->q, k->set == 1 ? 0xFF : 0x00, 0);
        k->overrun = true;
        c->kbd_overruns++;
        return;
    }
    for (size_t i = 0; i < n; i++)
        q_push(&k->q, b[i], 0);
    k->last = b[n - 1];
}

static uint8_t set3_attr(const struct hk_ps2_kbd *k, uint8_t code)
{
    uint8_t a = k->set3_attr[code];
    return (a & ATTR_SET) ? (uint8_t)(a & ~ATTR_SET) : k->set3_all;
}

static bool key_repeats(const struct hk_ps2_kbd *k, unsigned evdev)
{
    if (k->set == 3) {
        uint8_t code = hk_keymap_set3(evdev);
        return code && (set3_attr(k, code) & ATTR_TYPEMATIC);
    }
    return !(hk_keymap_flags(evdev) & HK_KEYMAP_MAKE_ONLY);
}

static void emit_key(struct hk_i8042 *c, unsigned evdev, bool down)
{
    struct hk_ps2_kbd *k = &c->kbd;
    if (k->set == 3) {
        uint8_t code = hk_keymap_set3(evdev);
        if (!code || (!down && !(set3_attr(k, code) & ATTR_BREAK)))
            return;
    }
    uint8_t buf[HK_KEYMAP_MAX_SEQ];
    size_t n = hk_keymap_encode(evdev, k->set, down, k->mods, buf);
    if (n)
        kbd_send_key(c, buf, n);
}

static void stop_repeat(struct hk_i8042 *c)
{
    if (c->kbd.repeat_key && c->repeat_timer)
        hk_timer_arm(c->repeat_timer, 0, 0);
    c->kbd.repeat_key = 0;
}

static void start_repeat(struct hk_i8042 *c, unsigned evdev)
{
    c->kbd.repeat_key = evdev;
    if (!c->repeat_timer)
        return;
    /* delay (bits 5-6): 250 ms steps from 250 ms; rate (bits 0-4): period = (8 + A) * 2^B / 240 s
     */
    uint8_t t = c->kbd.typematic;
    uint64_t delay = (uint64_t)(((t >> 5) & 3) + 1) * 250000000ull;
    uint64_t period = (uint64_t)((8 + (t & 7)) << ((t >> 3) & 3)) * 1000000000ull / 240;
    hk_timer_arm(c->repeat_timer, delay, period);
}

static void repeat_cb(void *opaque)
{
    struct hk_i8042 *c = opaque;
    pthread_mutex_lock(&c->lock);
    struct hk_ps2_kbd *k = &c->kbd;
    if (k->repeat_key && k->scanning && key_is_down(k, k->repeat_key)) {
        emit_key(c, k->repeat_key, true);
        refill(c);
        update_irq(c);
    }
    pthread_mutex_unlock(&c->lock);
}

static void kbd_defaults(struct hk_i8042 *c)
{
    struct hk_ps2_kbd *k = &c->kbd;
    stop_repeat(c);
    k->set = 2;
    k->typematic = 0x2B; /* 500 ms, 10.9 characters/s */
    k->set3_all = ATTR_BREAK | ATTR_TYPEMATIC;
    memset(k->set3_attr, 0, sizeof(k->set3_attr));
    k->pending = 0;
}

static void kbd_clear_output(struct hk_i8042 *c)
{
    q_init(&c->kbd.q, HK_PS2_KBD_QUEUE);
    c->kbd.overrun = false;
}

static void kbd_command(struct hk_i8042 *c, uint8_t v)
{
    struct hk_ps2_kbd *k = &c->kbd;
    switch (v) {
    case 0xED: /* set LEDs */
    case 0xF0: /* get/set scan code set */
    case 0xF3: /* typematic rate/delay */
    case 0xFB: /* set-3 key types: typematic */
    case 0xFC: /* make/break */
    case 0xFD: /* make only */
        kbd_send(c, ACK);
        k->pending = v;
        break;
    case 0xEE: kbd_send(c, ECHO); break;
    case 0xF2: /* identify: MF2 keyboard */
        kbd_send(c, ACK);
        kbd_send(c, 0xAB);
        kbd_send(c, 0x83);
        break;
    case 0xF4: /* enable */
        kbd_clear_output(c);
        kbd_send(c, ACK);
        k->scanning = true;
        break;
    case 0xF5: /* defaults, disabled */
    case 0xF6: /* defaults, enabled */
        kbd_clear_output(c);
        kbd_defaults(c);
        kbd_send(c, ACK);
        k->scanning = v == 0xF6;
        break;
    case 0xF7: /* set 3: all keys typematic */
    case 0xF8: /* all make/break */
    case 0xF9: /* all make only */
    case 0xFA: /* all typematic make/break */
        k->set3_all = v == 0xF7   ? ATTR_TYPEMATIC
                      : v == 0xF8 ? ATTR_BREAK
                      : v == 0xF9 ? 0
                                  : ATTR_BREAK | ATTR_TYPEMATIC;
        memset(k->set3_attr, 0, sizeof(k->set3_attr));
        kbd_send(c, ACK);
        break;
    case 0xFE: /* resend */ kbd_send(c, k->last); break;
    case 0xFF: /* reset: ACK, then the basic assurance test passes */
        kbd_clear_output(c);
        kbd_defaults(c);
        k->leds = 0;
        kbd_send(c, ACK);
        kbd_send(c, BAT_OK);
        k->scanning = true;
        break;
    default: kbd_send(c, RESEND); break;
    }
}

/* A byte written to port 0x60 for the keyboard. */
static void kbd_write(struct hk_i8042 *c, uint8_t v)
{
    struct hk_ps2_kbd *k = &c->kbd;
    uint8_t cmd = k->pending;
    /* a command byte instead of the expected argument starts that command (0xFB-0xFD key lists
     * end that way too) */
    if (cmd && v >= 0xED) {
        k->pending = 0;
        cmd = 0;
    }
    if (!cmd) {
        kbd_command(c, v);
        return;
    }
    switch (cmd) {
    case 0xED:
        k->pending = 0;
        k->leds = v & 7;
        kbd_send(c, ACK);
        break;
    case 0xF0:
        k->pending = 0;
        if (v == 0) {
            kbd_send(c, ACK);
            kbd_send(c, k->set);
        } else if (v <= 3) {
            stop_repeat(c);
            k->set = v;
            kbd_send(c, ACK);
        } else {
            kbd_send(c, RESEND);
        }
        break;
    case 0xF3:
        k->pending = 0;
        k->typematic = v & 0x7F;
        kbd_send(c, ACK);
        break;
    case 0xFB:
    case 0xFC:
    case 0xFD:
        /* a list of set-3 codes; the command stays pending for the next one */
        k->set3_attr[v] = (uint8_t)(ATTR_SET | (cmd == 0xFB   ? ATTR_TYPEMATIC
                                                : cmd == 0xFC ? ATTR_BREAK
                                                              : 0));
        kbd_send(c, ACK);
        break;
    default: k->pending = 0; break;
    }
}

/* ---- mouse ---- */

static int clampi(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static unsigned packet_len(const struct hk_ps2_mouse *m)
{
    return m->id ? 4 : 3;
}

/* 2:1 scaling as the mouse applies it in stream mode */
static int scale21(int d)
{
    static const int small[6] = {0, 1, 1, 3, 6, 9};
    int a = d < 0 ? -d : d;
    int s = a < 6 ? small[a] : 2 * a;
    return d < 0 ? -s : s;
}

/* Builds one packet from the motion not yet sent (what does not fit goes in the next one). */
static unsigned build_packet(struct hk_ps2_mouse *m, uint8_t p[4])
{
    int dx = clampi(m->dx, -255, 255), dy = clampi(m->dy, -255, 255);
    m->dx -= dx;
    m->dy -= dy;
    int dz = 0;
    if (m->id == 3)
        dz = clampi(m->dz, -127, 127);
    else if (m->id == 4)
        dz = clampi(m->dz, -8, 7);
    m->dz = m->id ? m->dz - dz : 0;
    if (m->scale21 && !m->remote) {
        dx = clampi(scale21(dx), -255, 255);
        dy = clampi(scale21(dy), -255, 255);
    }
    unsigned b = m->buttons;
    p[0] = (uint8_t)(0x08 | (b & 7) | (dx < 0 ? 0x10 : 0) | (dy < 0 ? 0x20 : 0));
    p[1] = (uint8_t)dx;
    p[2] = (uint8_t)dy;
    if (m->id == 3)
        p[3] = (uint8_t)dz;
    else if (m->id == 4)
        p[3] = (uint8_t)((dz & 0x0F) | ((b & 0x08) ? 0x10 : 0) | ((b & 0x10) ? 0x20 : 0));
    m->sent_buttons = b;
    return packet_len(m);
}

static bool mouse_streams(const struct hk_ps2_mouse *m)
{
    return m->reporting && !m->remote && !m->wrap && !m->pending;
}

/* Streams packets while there is motion or a button change and room for whole packets. */
static void mouse_pump(struct hk_i8042 *c)
{
    struct hk_ps2_mouse *m = &c->aux;
    while (mouse_streams(m) && (m->dx || m->dy || m->dz || m->buttons != m->sent_buttons) &&
           q_room(&m->q) >= packet_len(m)) {
        uint8_t p[4];
        unsigned n = build_packet(m, p);
        for (unsigned i = 0; i < n; i++)
            q_push(&m->q, p[i], F_PACKET);
        m->last = p[n - 1];
    }
}

static void aux_send(struct hk_i8042 *c, uint8_t b)
{
    if (!q_push(&c->aux.q, b, 0)) {
        c->aux_dropped++;
        return;
    }
    c->aux.last = b;
}

static void mouse_defaults(struct hk_ps2_mouse *m)
{
    m->remote = m->reporting = m->scale21 = m->wrap = false;
    m->resolution = 2;
    m->rate = 100;
    m->pending = 0;
    m->dx = m->dy = m->dz = 0;
}

static void aux_command(struct hk_i8042 *c, uint8_t v)
{
    struct hk_ps2_mouse *m = &c->aux;
    /* the mouse stops streaming to listen: packets not yet taken are dropped */
    if (v != 0xFE)
        q_drop(&m->q, F_PACKET);
    switch (v) {
    case 0xE6:
        m->scale21 = false;
        aux_send(c, ACK);
        break;
    case 0xE7:
        m->scale21 = true;
        aux_send(c, ACK);
        break;
    case 0xE8: /* resolution */
    case 0xF3: /* sample rate */
        aux_send(c, ACK);
        m->pending = v;
        break;
    case 0xE9: { /* status: mode/enable/scaling/buttons (left, middle, right), resolution, rate */
        unsigned b = m->buttons;
        aux_send(c, ACK);
        aux_send(c, (uint8_t)((m->remote ? 0x40 : 0) | (m->reporting ? 0x20 : 0) |
                              (m->scale21 ? 0x10 : 0) | ((b & 1) << 2) | ((b & 4) >> 1) |
                              ((b & 2) >> 1)));
        aux_send(c, m->resolution);
        aux_send(c, m->rate);
        break;
    }
    case 0xEA: /* stream mode */
        m->remote = false;
        m->dx = m->dy = m->dz = 0;
        aux_send(c, ACK);
        break;
    case 0xEB: { /* read data: a packet whatever the mode */
        uint8_t p[4];
        aux_send(c, ACK);
        unsigned n = build_packet(m, p);
        for (unsigned i = 0; i < n; i++)
            aux_send(c, p[i]);
        break;
    }
    case 0xEC:
        m->wrap = false;
        aux_send(c, ACK);
        break;
    case 0xEE:
        m->wrap = true;
        m->dx = m->dy = m->dz = 0;
        aux_send(c, ACK);
        break;
    case 0xF0: /* remote mode */
        m->remote = true;
        m->dx = m->dy = m->dz = 0;
        aux_send(c, ACK);
        break;
    case 0xF2: /* device ID */
        aux_send(c, ACK);
        aux_send(c, m->id);
        break;
    case 0xF4:
        m->reporting = true;
        m->dx = m->dy = m->dz = 0;
        m->sent_buttons = m->buttons;
        aux_send(c, ACK);
        break;
    case 0xF5:
        m->reporting = false;
        m->dx = m->dy = m->dz = 0;
        aux_send(c, ACK);
        break;
    case 0xF6:
        mouse_defaults(m);
        aux_send(c, ACK);
        break;
    case 0xFE: aux_send(c, m->last); break;
    case 0xFF: /* reset: ACK, BAT passed, ID 0; back to a plain 3-byte mouse */
        q_init(&m->q, HK_PS2_AUX_QUEUE);
        mouse_defaults(m);
        m->id = 0;
        memset(m->knock, 0, sizeof(m->knock));
        aux_send(c, ACK);
        aux_send(c, BAT_OK);
        aux_send(c, 0x00);
        break;
    default: aux_send(c, RESEND); break;
    }
}

/* A byte written through command 0xD4 for the mouse. */
static void aux_write(struct hk_i8042 *c, uint8_t v)
{
    struct hk_ps2_mouse *m = &c->aux;
    if (m->wrap && v != 0xEC && v != 0xFF) {
        aux_send(c, v);
        return;
    }
    uint8_t cmd = m->pending;
    m->pending = 0;
    if (cmd == 0xE8) {
        if (v <= 3) {
            m->resolution = v;
            aux_send(c, ACK);
        } else {
            aux_send(c, RESEND);
        }
        return;
    }
    if (cmd == 0xF3) {
        /* the IntelliMouse sequences: 200, 100, 80 turns on the wheel (ID 3); then 200, 200, 80
         * the two extra buttons (ID 4) */
        m->rate = v;
        m->knock[0] = m->knock[1];
        m->knock[1] = m->knock[2];
        m->knock[2] = v;
        if (m->id == 0 && m->knock[0] == 200 && m->knock[1] == 100 && m->knock[2] == 80)
            m->id = 3;
        else if (m->id == 3 && m->knock[0] == 200 && m->knock[1] == 200 && m->knock[2] == 80)
            m->id = 4;
        aux_send(c, ACK);
        return;
    }
    aux_command(c, v);
}

/* ---- the controller ---- */

static uint8_t output_port(const struct hk_i8042 *c)
{
    return (uint8_t)((c->outport & ~(OUTPORT_OBF_KBD | OUTPORT_OBF_AUX)) |
                     (c->obf && !c->obf_aux ? OUTPORT_OBF_KBD : 0) |
                     (c->obf && c->obf_aux ? OUTPORT_OBF_AUX : 0));
}

/* Called with the lock held after any change: new packets, the output buffer, the lines. */
static void settle(struct hk_i8042 *c)
{
    mouse_pump(c);
    refill(c);
    update_irq(c);
}

uint8_t hk_i8042_read_data(struct hk_i8042 *c)
{
    pthread_mutex_lock(&c->lock);
    uint8_t v = c->out; /* an empty buffer reads as the last byte */
    c->obf = false;
    /* the line drops with the read; the next byte raises it again: an edge for the PIC */
    update_irq(c);
    settle(c);
    pthread_mutex_unlock(&c->lock);
    return v;
}

uint8_t hk_i8042_read_status(struct hk_i8042 *c)
{
    pthread_mutex_lock(&c->lock);
    uint8_t s = HK_I8042_STR_UNLOCK;
    if (c->obf)
        s |= HK_I8042_STR_OBF | (c->obf_aux ? HK_I8042_STR_AUXDATA : 0);
    if (ctr(c) & HK_I8042_CTR_SYS)
        s |= HK_I8042_STR_SYS;
    if (c->last_was_cmd)
        s |= HK_I8042_STR_CMD;
    pthread_mutex_unlock(&c->lock);
    return s;
}

static void request_reset(struct hk_i8042 *c, const char *why)
{
    c->resets_requested++;
    hk_vm_request_reset(c->vm, why);
}

void hk_i8042_write_command(struct hk_i8042 *c, uint8_t v)
{
    bool reset = false;
    pthread_mutex_lock(&c->lock);
    c->last_was_cmd = true;
    c->pending = 0; /* a new command abandons one still waiting for its data */
    if (v >= 0x20 && v <= 0x3F) {
        ctl_reply(c, c->ram[v & 0x1F], 0);
    } else if ((v >= 0x60 && v <= 0x7F) || (v >= 0xD1 && v <= 0xD4) || v == 0xA5) {
        c->pending = v;
    } else if (v >= 0xF0) {
        /* pulse output port bits 0-3 low for 6 us: bit 0 is the CPU reset line */
        reset = !(v & 1);
    } else {
        switch (v) {
        case 0xA4: ctl_reply(c, 0xF1, 0); break; /* no password installed */
        case 0xA6: break;                        /* enable password: there is none */
        case 0xA7: c->ram[0] |= HK_I8042_CTR_AUXDIS; break;
        case 0xA8: c->ram[0] &= (uint8_t)~HK_I8042_CTR_AUXDIS; break;
        case 0xA9: ctl_reply(c, 0x00, 0); break; /* aux interface test: no error */
        case 0xAA: ctl_reply(c, 0x55, 0); break; /* self-test passed */
        case 0xAB: ctl_reply(c, 0x00, 0); break; /* keyboard interface test: no error */
        case 0xAD: c->ram[0] |= HK_I8042_CTR_KBDDIS; break;
        case 0xAE: c->ram[0] &= (uint8_t)~HK_I8042_CTR_KBDDIS; break;
        case 0xC0: ctl_reply(c, INPUT_PORT, 0); break;
        case 0xC1: /* copy input port bits to the status register: nothing to see */
        case 0xC2: break;
        case 0xD0: ctl_reply(c, output_port(c), 0); break;
        case 0xDD: c->outport &= (uint8_t)~OUTPORT_A20; break;
        case 0xDF: c->outport |= OUTPORT_A20; break;
        case 0xE0: ctl_reply(c, 0x00, 0); break; /* test inputs */
        default:
            c->unknown_commands++;
            hk_debug(c->vm->log, "i8042: unknown controller command 0x%02x", v);
            break;
        }
    }
    settle(c);
    pthread_mutex_unlock(&c->lock);
    if (reset)
        request_reset(c, "keyboard controller reset line (command 0xFE)");
}

void hk_i8042_write_data(struct hk_i8042 *c, uint8_t v)
{
    bool reset = false;
    pthread_mutex_lock(&c->lock);
    c->last_was_cmd = false;
    uint8_t cmd = c->pending;
    c->pending = 0;
    if (cmd >= 0x60 && cmd <= 0x7F) {
        c->ram[cmd & 0x1F] = v;
    } else if (cmd == 0xA5) {
        if (v) /* the password ends with a zero byte */
            c->pending = 0xA5;
    } else if (cmd == 0xD1) {
        if ((c->outport ^ v) & OUTPORT_A20)
            hk_debug(c->vm->log, "i8042: A20 %s", (v & OUTPORT_A20) ? "on" : "off");
        c->outport = v;
        reset = !(v & OUTPORT_RESET);
    } else if (cmd == 0xD2) {
        ctl_reply(c, v, 0);
    } else if (cmd == 0xD3) {
        ctl_reply(c, v, F_AUX);
    } else if (cmd == 0xD4) {
        /* transmitting to the mouse releases its clock line: the interface is enabled */
        c->ram[0] &= (uint8_t)~HK_I8042_CTR_AUXDIS;
        aux_write(c, v);
    } else {
        c->ram[0] &= (uint8_t)~HK_I8042_CTR_KBDDIS;
        kbd_write(c, v);
    }
    settle(c);
    pthread_mutex_unlock(&c->lock);
    if (reset)
        request_reset(c, "keyboard controller reset line (output port bit 0)");
}

void hk_i8042_key(struct hk_i8042 *c, unsigned evdev, bool down)
{
    if (evdev >= 256 || !hk_keymap_known(evdev)) {
        hk_debug(c->vm->log, "i8042: no PS/2 code for key %u", evdev);
        return;
    }
    pthread_mutex_lock(&c->lock);
    struct hk_ps2_kbd *k = &c->kbd;
    if (key_is_down(k, evdev) != down) {
        set_key_down(k, evdev, down);
        if (k->scanning)
            emit_key(c, evdev, down);
        k->mods = held_modifiers(k);
        if (down && k->scanning && key_repeats(k, evdev))
            start_repeat(c, evdev);
        else if (down || evdev == k->repeat_key)
            stop_repeat(c);
        settle(c);
    }
    pthread_mutex_unlock(&c->lock);
}

void hk_i8042_mouse(struct hk_i8042 *c, int dx, int dy, int dz, unsigned buttons)
{
    pthread_mutex_lock(&c->lock);
    struct hk_ps2_mouse *m = &c->aux;
    m->buttons = buttons & 0x1F;
    if (m->reporting || m->remote) {
        /* PS/2 Y grows upwards */
        m->dx =
            clampi(m->dx + clampi(dx, -MOTION_LIMIT, MOTION_LIMIT), -MOTION_LIMIT, MOTION_LIMIT);
        m->dy =
            clampi(m->dy - clampi(dy, -MOTION_LIMIT, MOTION_LIMIT), -MOTION_LIMIT, MOTION_LIMIT);
        if (m->id)
            m->dz = clampi(m->dz + clampi(dz, -MOTION_LIMIT, MOTION_LIMIT), -MOTION_LIMIT,
                           MOTION_LIMIT);
    }
    settle(c);
    pthread_mutex_unlock(&c->lock);
}

void hk_i8042_mouse_kick(struct hk_i8042 *c, unsigned buttons)
{
    pthread_mutex_lock(&c->lock);
    struct hk_ps2_mouse *m = &c->aux;
    m->buttons = buttons & 0x1F;
    if (mouse_streams(m) && !m->q.count && !(c->obf && c->obf_aux) &&
        q_room(&m->q) >= packet_len(m)) {
        uint8_t p[4];
        unsigned n = build_packet(m, p);
        for (unsigned i = 0; i < n; i++)
            q_push(&m->q, p[i], F_PACKET);
    }
    settle(c);
    pthread_mutex_unlock(&c->lock);
}

uint8_t hk_i8042_leds(struct hk_i8042 *c)
{
    pthread_mutex_lock(&c->lock);
    uint8_t l = c->kbd.leds;
    pthread_mutex_unlock(&c->lock);
    return l;
}

void hk_i8042_reset(struct hk_i8042 *c)
{
    pthread_mutex_lock(&c->lock);
    memset(c->ram, 0, sizeof(c->ram));
    c->ram[0] = CTR_POWER_ON;
    c->outport = OUTPORT_IDLE | OUTPORT_A20 | OUTPORT_RESET;
    c->pending = 0;
    c->last_was_cmd = true; /* status 0x18 at power-on, as QEMU's controller */
    c->obf = c->obf_aux = false;
    c->out = 0;
    c->xlate_release = false;
    c->last_from_aux = false;
    q_init(&c->ctl, HK_I8042_CTL_QUEUE);

    /* the keys the person holds stay held; everything else is the power-on state */
    kbd_clear_output(c);
    kbd_defaults(c);
    c->kbd.leds = 0;
    c->kbd.last = 0;
    c->kbd.scanning = true;
    c->kbd.mods = held_modifiers(&c->kbd);

    q_init(&c->aux.q, HK_PS2_AUX_QUEUE);
    mouse_defaults(&c->aux);
    c->aux.id = 0;
    c->aux.last = 0;
    memset(c->aux.knock, 0, sizeof(c->aux.knock));
    c->aux.sent_buttons = c->aux.buttons;

    c->level_kbd = c->level_aux = 0;
    hk_vm_set_irq(c->vm, c->irq_kbd, HK_IRQSRC_DEVICE, 0);
    hk_vm_set_irq(c->vm, c->irq_aux, HK_IRQSRC_DEVICE, 0);
    pthread_mutex_unlock(&c->lock);
}

void hk_i8042_init(struct hk_i8042 *c, struct hk_vm *vm)
{
    memset(c, 0, sizeof(*c));
    c->vm = vm;
    c->irq_kbd = 1;
    c->irq_aux = 12;
    pthread_mutex_init(&c->lock, NULL);
    if (vm->loop)
        c->repeat_timer = hk_timer_new(vm->loop, repeat_cb, c);
    hk_i8042_reset(c);
}

void hk_i8042_destroy(struct hk_i8042 *c)
{
    if (c->repeat_timer)
        hk_timer_arm(c->repeat_timer, 0, 0);
    pthread_mutex_destroy(&c->lock);
}

static uint64_t data_read(void *opaque, uint64_t off, unsigned size)
{
    (void)off;
    (void)size;
    return hk_i8042_read_data(opaque);
}

static void data_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    (void)off;
    (void)size;
    hk_i8042_write_data(opaque, (uint8_t)val);
}

static uint64_t status_read(void *opaque, uint64_t off, unsigned size)
{
    (void)off;
    (void)size;
    return hk_i8042_read_status(opaque);
}

static void command_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    (void)off;
    (void)size;
    hk_i8042_write_command(opaque, (uint8_t)val);
}

static const struct hk_io_ops data_ops = {data_read, data_write};
static const struct hk_io_ops status_ops = {status_read, command_write};

int hk_i8042_attach(struct hk_i8042 *c)
{
    if (hk_bus_add(&c->vm->pio, HK_I8042_DATA_PORT, 1, &data_ops, c, "i8042-data") < 0)
        return -1;
    return hk_bus_add(&c->vm->pio, HK_I8042_STATUS_PORT, 1, &status_ops, c, "i8042-status");
}
