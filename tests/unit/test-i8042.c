/*
 * The i8042 keyboard controller, PS/2 keyboard, PS/2 mouse and vmmouse, driven through ports 0x60,
 * 0x64 and 0x5658 with the byte sequences SeaBIOS (src/hw/ps2port.c), OVMF (Ps2KeyboardDxe,
 * Ps2MouseDxe) and Linux (i8042.c, atkbd.c, psmouse-base.c, vmmouse.c) send at start-up, written
 * from their sources; plus translation, IRQ gating by the command byte, queue overflow, the mouse
 * packet formats, typematic repeat and reset through the output port.
 */
#include <linux/input-event-codes.h>
#include <time.h>

#include "check.h"
#include "fakevm.h"

#include "dev/i8042.h"
#include "dev/keymap.h"
#include "dev/vmmouse.h"

struct env {
    struct fakevm f;
    struct hk_i8042 c;
    struct hk_vmmouse vmm;
};

static void reset_hook(void *opaque)
{
    struct env *e = opaque;
    hk_i8042_reset(&e->c);
    hk_vmmouse_reset(&e->vmm);
}

static void setup(struct env *e)
{
    fakevm_init(&e->f, 0);
    hk_i8042_init(&e->c, &e->f.vm);
    hk_vmmouse_init(&e->vmm, &e->f.vm, &e->c);
    CHECK_EQ(hk_i8042_attach(&e->c), 0);
    CHECK_EQ(hk_vmmouse_attach(&e->vmm), 0);
    hk_vm_on_reset(&e->f.vm, reset_hook, e);
}

static void teardown(struct env *e)
{
    hk_vmmouse_destroy(&e->vmm);
    hk_i8042_destroy(&e->c);
    fakevm_destroy(&e->f);
}

static uint8_t status(struct env *e)
{
    return (uint8_t)pio_read(&e->f, 0x64, 1);
}

static void command(struct env *e, uint8_t v)
{
    pio_write(&e->f, 0x64, 1, v);
}

static void data(struct env *e, uint8_t v)
{
    pio_write(&e->f, 0x60, 1, v);
}

/* The next byte in the output buffer (-1 if empty); *aux tells whether it was mouse data. */
static int next_byte(struct env *e, bool *aux)
{
    uint8_t s = status(e);
    if (!(s & HK_I8042_STR_OBF))
        return -1;
    if (aux)
        *aux = (s & HK_I8042_STR_AUXDATA) != 0;
    return (int)pio_read(&e->f, 0x60, 1);
}

/* Reads bytes until the output buffer is empty (at most max); returns how many. */
static size_t drain(struct env *e, uint8_t *buf, size_t max)
{
    size_t n = 0;
    int b;
    while (n < max && (b = next_byte(e, NULL)) >= 0)
        buf[n++] = (uint8_t)b;
    return n;
}

static void flush(struct env *e)
{
    uint8_t junk[256];
    drain(e, junk, sizeof(junk));
}

/* Checks that the output holds exactly these bytes (from the keyboard or, aux, the mouse). */
static void expect_bytes(struct env *e, const uint8_t *want, size_t n, bool want_aux, int line)
{
    for (size_t i = 0; i < n; i++) {
        bool aux = false;
        int b = next_byte(e, &aux);
        if (b != want[i] || aux != want_aux) {
            fprintf(stderr, "line %d: byte %zu is %d%s, expected 0x%02x%s\n", line, i, b,
                    aux ? " (aux)" : "", want[i], want_aux ? " (aux)" : "");
            CHECK(0);
            return;
        }
    }
    int extra = next_byte(e, NULL);
    if (extra >= 0) {
        fprintf(stderr, "line %d: unexpected extra byte 0x%02x\n", line, extra);
        CHECK(0);
    }
}

#define EXPECT(e, ...)                                                                             \
    do {                                                                                           \
        static const uint8_t want_[] = {__VA_ARGS__};                                              \
        expect_bytes((e), want_, sizeof(want_), false, __LINE__);                                  \
    } while (0)
#define EXPECT_AUX(e, ...)                                                                         \
    do {                                                                                           \
        static const uint8_t want_[] = {__VA_ARGS__};                                              \
        expect_bytes((e), want_, sizeof(want_), true, __LINE__);                                   \
    } while (0)
#define EXPECT_EMPTY(e) CHECK_EQ(next_byte((e), NULL), -1)

static uint8_t read_ctr(struct env *e)
{
    command(e, 0x20);
    return (uint8_t)next_byte(e, NULL);
}

static void write_ctr(struct env *e, uint8_t v)
{
    command(e, 0x60);
    data(e, v);
}

static void aux_cmd(struct env *e, uint8_t v)
{
    command(e, 0xD4);
    data(e, v);
}

static void tap(struct env *e, unsigned key)
{
    hk_i8042_key(&e->c, key, true);
    hk_i8042_key(&e->c, key, false);
}

static int irq1(struct env *e)
{
    return e->f.vm.irq_level[1];
}

static int irq12(struct env *e)
{
    return e->f.vm.irq_level[12];
}

/* SeaBIOS ps2_keyboard_setup(): flush, self-test, interface test, keyboard reset with the
 * interrupts off and the other port disabled around each command, set 2, translation on. */
static void test_seabios(void)
{
    struct env e;
    setup(&e);
    uint8_t junk[16];
    CHECK_EQ(drain(&e, junk, sizeof(junk)), 0); /* i8042_flush: nothing there, no timeout */
    command(&e, 0xAA);
    EXPECT(&e, 0x55);
    command(&e, 0xAB);
    EXPECT(&e, 0x00);
    uint8_t ps2ctr = 0x30; /* KBDDIS | AUXDIS */
    /* __ps2_command(kbd, RESET_BAT) */
    write_ctr(&e, ps2ctr);
    write_ctr(&e, ps2ctr & ~0x10);
    data(&e, 0xFF);
    EXPECT(&e, 0xFA, 0xAA); /* ACK, BAT; the second reset byte times out (keyboards send one) */
    write_ctr(&e, ps2ctr);
    /* RESET_DIS */
    write_ctr(&e, ps2ctr);
    write_ctr(&e, ps2ctr & ~0x10);
    data(&e, 0xF5);
    EXPECT(&e, 0xFA);
    write_ctr(&e, ps2ctr);
    /* SSCANSET 2 */
    write_ctr(&e, ps2ctr & ~0x10);
    data(&e, 0xF0);
    EXPECT(&e, 0xFA);
    data(&e, 0x02);
    EXPECT(&e, 0xFA);
    ps2ctr = 0x61; /* AUXDIS | XLATE | KBDINT */
    write_ctr(&e, (ps2ctr | 0x30) & ~0x03);
    write_ctr(&e, ((ps2ctr | 0x30) & ~0x03) & ~0x10);
    data(&e, 0xF4); /* ENABLE */
    EXPECT(&e, 0xFA);
    write_ctr(&e, ps2ctr);
    CHECK_EQ(read_ctr(&e), 0x61);
    CHECK_EQ(irq1(&e), 0);

    /* a key now: set 2 in the keyboard, set 1 on port 0x60, IRQ 1 while it waits */
    hk_i8042_key(&e.c, KEY_ESC, true);
    CHECK_EQ(irq1(&e), 1);
    CHECK_EQ(status(&e) & (HK_I8042_STR_OBF | HK_I8042_STR_AUXDATA), HK_I8042_STR_OBF);
    CHECK_EQ(pio_read(&e.f, 0x60, 1), 0x01);
    CHECK_EQ(irq1(&e), 0);
    hk_i8042_key(&e.c, KEY_ESC, false);
    CHECK_EQ(irq1(&e), 1);
    EXPECT(&e, 0x81);
    CHECK_EQ(irq1(&e), 0);
    /* the ISR's "enable keyboard" (0xAE) changes nothing */
    command(&e, 0xAE);
    CHECK_EQ(read_ctr(&e), 0x61);
    teardown(&e);
}

/* OVMF Ps2KeyboardDxe InitKeyboard() with extended verification, then Ps2MouseDxe's start and
 * MouseReset(), which does not read the ACKs of the argument bytes. */
static void test_ovmf(void)
{
    struct env e;
    setup(&e);
    CHECK_EQ(status(&e) & HK_I8042_STR_SYS, 0); /* power-on: not set up yet */
    command(&e, 0xAD);
    command(&e, 0xA7);
    command(&e, 0xAA);
    EXPECT(&e, 0x55);
    write_ctr(&e, 0x67);
    CHECK(status(&e) & HK_I8042_STR_SYS);
    data(&e, 0xF4); /* CheckKeyboardConnect */
    EXPECT(&e, 0xFA);
    command(&e, 0xAB);
    EXPECT(&e, 0x00);
    data(&e, 0xFF);
    EXPECT(&e, 0xFA, 0xAA);
    data(&e, 0xF0);
    EXPECT(&e, 0xFA);
    data(&e, 0x02);
    EXPECT(&e, 0xFA);
    data(&e, 0xF4);
    EXPECT(&e, 0xFA);
    data(&e, 0xED); /* UpdateStatusLights */
    EXPECT(&e, 0xFA);
    data(&e, 0x02);
    EXPECT(&e, 0xFA);
    CHECK_EQ(hk_i8042_leds(&e.c), 0x02);
    /* translated scan codes of an extended key */
    tap(&e, KEY_UP);
    EXPECT(&e, 0xE0, 0x48, 0xE0, 0xC8);

    /* Ps2MouseDxe: the system flag is set, so no self-test; enable aux, MouseReset(TRUE) */
    CHECK(status(&e) & HK_I8042_STR_SYS);
    command(&e, 0xA8);
    CHECK_EQ(read_ctr(&e) & 0x20, 0);
    bool kbd_enabled = !(read_ctr(&e) & 0x10);
    command(&e, 0xAD);
    aux_cmd(&e, 0xF4); /* CheckMouseConnect */
    EXPECT_AUX(&e, 0xFA);
    aux_cmd(&e, 0xFF); /* PS2MouseReset */
    bool aux = false;
    CHECK_EQ(next_byte(&e, &aux), 0xFA);
    CHECK_EQ(next_byte(&e, &aux), 0xAA);
    CHECK_EQ(next_byte(&e, &aux), 0x00);
    CHECK(aux);
    aux_cmd(&e, 0xF3); /* SetSampleRate: reads the ACK of the command only */
    CHECK_EQ(next_byte(&e, NULL), 0xFA);
    aux_cmd(&e, 20);
    aux_cmd(&e, 0xE8); /* SetResolution: the ACK it reads is the one of the rate byte */
    CHECK_EQ(next_byte(&e, NULL), 0xFA);
    aux_cmd(&e, 2);
    aux_cmd(&e, 0xE6); /* SetScaling */
    CHECK_EQ(next_byte(&e, NULL), 0xFA);
    aux_cmd(&e, 0xF4); /* enable */
    CHECK_EQ(next_byte(&e, NULL), 0xFA);
    if (kbd_enabled)
        command(&e, 0xAE);
    CHECK_EQ(e.c.aux.rate, 20);
    CHECK_EQ(e.c.aux.resolution, 2);
    CHECK(e.c.aux.reporting);
    /* the acknowledgements it left behind come out, then its packets are 3 bytes */
    bool got_aux = false;
    CHECK_EQ(next_byte(&e, &got_aux), 0xFA);
    CHECK(got_aux);
    flush(&e);
    hk_i8042_mouse(&e.c, 5, -3, 0, 1);
    EXPECT_AUX(&e, 0x09, 0x05, 0x03);
    teardown(&e);
}

/* Linux i8042_controller_init/check_aux/check_mux, atkbd probe/activate, psmouse probe with the
 * IntelliMouse detections and vmmouse. */
static void test_linux(void)
{
    struct env e;
    setup(&e);
    /* as SeaBIOS left it */
    write_ctr(&e, 0x61);
    flush(&e);
    uint8_t ctr = read_ctr(&e);
    CHECK_EQ(read_ctr(&e), ctr);             /* two equal reads */
    CHECK(status(&e) & HK_I8042_STR_UNLOCK); /* no key lock */
    ctr = (uint8_t)((ctr | 0x10) & ~0x01);
    write_ctr(&e, ctr);
    flush(&e);
    /* i8042_check_aux: loopback through 0xD3 comes back as mouse data */
    command(&e, 0xD3);
    data(&e, 0x5A);
    EXPECT_AUX(&e, 0x5A);
    command(&e, 0xA7);
    CHECK(read_ctr(&e) & 0x20);
    command(&e, 0xA8);
    CHECK(!(read_ctr(&e) & 0x20));
    ctr = (uint8_t)((ctr & ~0x20) | 0x02);
    write_ctr(&e, ctr);
    command(&e, 0xD3); /* AUX IRQ delivery test */
    data(&e, 0xA5);
    CHECK_EQ(irq12(&e), 1);
    CHECK_EQ(irq1(&e), 0);
    EXPECT_AUX(&e, 0xA5);
    CHECK_EQ(irq12(&e), 0);
    ctr = (uint8_t)((ctr | 0x20) & ~0x02);
    write_ctr(&e, ctr);
    /* i8042_set_mux_mode(1): a plain controller echoes the version byte too: no MUX */
    command(&e, 0xD3);
    data(&e, 0xF0);
    EXPECT_AUX(&e, 0xF0);
    command(&e, 0xD3);
    data(&e, 0x56);
    EXPECT_AUX(&e, 0x56);
    command(&e, 0xD3);
    data(&e, 0xA4);
    EXPECT_AUX(&e, 0xA4);
    /* enable both ports */
    ctr = (uint8_t)((ctr & ~0x30) | 0x03);
    write_ctr(&e, ctr);

    /* atkbd_probe: GETID (translated: AB 41), deactivate; translated so set 2; activate */
    data(&e, 0xF2);
    EXPECT(&e, 0xFA, 0xAB, 0x41);
    data(&e, 0xF5);
    EXPECT(&e, 0xFA);
    data(&e, 0xED);
    EXPECT(&e, 0xFA);
    data(&e, 0x00);
    EXPECT(&e, 0xFA);
    data(&e, 0xF3);
    EXPECT(&e, 0xFA);
    data(&e, 0x00);
    EXPECT(&e, 0xFA);
    data(&e, 0xF4);
    EXPECT(&e, 0xFA);
    CHECK_EQ(e.c.kbd.typematic, 0);

    /* psmouse_probe: GETID 00, RESET_DIS */
    aux_cmd(&e, 0xF2);
    EXPECT_AUX(&e, 0xFA, 0x00);
    aux_cmd(&e, 0xF6);
    EXPECT_AUX(&e, 0xFA);
    /* vmmouse_detect: GETVERSION through the backdoor */
    struct kvm_regs r = {0};
    r.rax = HK_VMMOUSE_MAGIC;
    r.rbx = 0;
    r.rcx = HK_VMMOUSE_CMD_GETVERSION;
    r.rdx = HK_VMMOUSE_PORT;
    hk_vmmouse_io(&e.vmm, &r, 4, false);
    CHECK_EQ(r.rbx, HK_VMMOUSE_MAGIC);
    CHECK(r.rax != 0xFFFFFFFFu);
    /* intellimouse_detect: 200, 100, 80, GETID -> 3 */
    static const uint8_t im[] = {200, 100, 80};
    for (int i = 0; i < 3; i++) {
        aux_cmd(&e, 0xF3);
        aux_cmd(&e, im[i]);
    }
    EXPECT_AUX(&e, 0xFA, 0xFA, 0xFA, 0xFA, 0xFA, 0xFA);
    aux_cmd(&e, 0xF2);
    EXPECT_AUX(&e, 0xFA, 0x03);
    /* im_explorer_detect: 200, 200, 80 -> 4 */
    static const uint8_t imex[] = {200, 200, 80};
    for (int i = 0; i < 3; i++) {
        aux_cmd(&e, 0xF3);
        aux_cmd(&e, imex[i]);
    }
    flush(&e);
    aux_cmd(&e, 0xF2);
    EXPECT_AUX(&e, 0xFA, 0x04);
    /* psmouse_initialize + activate: rate 100, resolution 200 dpi, scaling 1:1, enable */
    aux_cmd(&e, 0xF3);
    aux_cmd(&e, 100);
    aux_cmd(&e, 0xE8);
    aux_cmd(&e, 3);
    aux_cmd(&e, 0xE6);
    aux_cmd(&e, 0xF4);
    EXPECT_AUX(&e, 0xFA, 0xFA, 0xFA, 0xFA, 0xFA, 0xFA);
    aux_cmd(&e, 0xE9); /* status: enabled, resolution 3, rate 100 */
    EXPECT_AUX(&e, 0xFA, 0x20, 0x03, 100);
    /* IntelliMouse Explorer packet: 4 bytes, wheel in the low nibble, buttons 4/5 */
    hk_i8042_mouse(&e.c, -2, 4, 1, 0x01 | 0x08);
    EXPECT_AUX(&e, 0x39, 0xFE, 0xFC, 0x11);
    CHECK_EQ(irq12(&e), 0);
    /* a key and a mouse move interleave without losing either */
    hk_i8042_key(&e.c, KEY_A, true);
    hk_i8042_mouse(&e.c, 1, 0, 0, 0);
    uint8_t got[8];
    bool auxes[8];
    size_t n = 0;
    int b;
    while (n < 8 && (b = next_byte(&e, &auxes[n])) >= 0)
        got[n++] = (uint8_t)b;
    CHECK_EQ(n, 5);
    unsigned kbd_bytes = 0, aux_bytes = 0;
    for (size_t i = 0; i < n; i++) {
        if (auxes[i]) {
            aux_bytes++;
        } else {
            CHECK_EQ(got[i], 0x1E);
            kbd_bytes++;
        }
    }
    CHECK_EQ(kbd_bytes, 1);
    CHECK_EQ(aux_bytes, 4);
    teardown(&e);
}

/* The command byte decides which interrupts fire; disabled interfaces hold their data back. */
static void test_irq_gating(void)
{
    struct env e;
    setup(&e);
    write_ctr(&e, 0x44); /* translation, system flag, no interrupts */
    hk_i8042_key(&e.c, KEY_B, true);
    CHECK(status(&e) & HK_I8042_STR_OBF);
    CHECK_EQ(irq1(&e), 0);
    write_ctr(&e, 0x45); /* keyboard interrupt on: the waiting byte raises IRQ 1 */
    CHECK_EQ(irq1(&e), 1);
    EXPECT(&e, 0x30);
    CHECK_EQ(irq1(&e), 0);
    /* keyboard interface disabled: keys wait in the keyboard */
    command(&e, 0xAD);
    hk_i8042_key(&e.c, KEY_B, false);
    CHECK(!(status(&e) & HK_I8042_STR_OBF));
    CHECK_EQ(irq1(&e), 0);
    command(&e, 0xAE);
    CHECK_EQ(irq1(&e), 1);
    EXPECT(&e, 0xB0);
    /* mouse data raises IRQ 12 only with the aux interrupt bit */
    write_ctr(&e, 0x45);
    aux_cmd(&e, 0xF4);
    CHECK_EQ(irq12(&e), 0);
    CHECK_EQ(irq1(&e), 0);
    EXPECT_AUX(&e, 0xFA);
    write_ctr(&e, 0x47);
    hk_i8042_mouse(&e.c, 0, 0, 0, 2);
    CHECK_EQ(irq12(&e), 1);
    CHECK_EQ(irq1(&e), 0);
    EXPECT_AUX(&e, 0x0A, 0x00, 0x00);
    CHECK_EQ(irq12(&e), 0);
    /* translation off: raw set 2 */
    write_ctr(&e, 0x07);
    tap(&e, KEY_B);
    EXPECT(&e, 0x32, 0xF0, 0x32);
    teardown(&e);
}

/* Every key: the controller's translation of the set-2 bytes is the set-1 sequence; set 1 and
 * set 3 come out as the keyboard sends them. */
static void test_all_keys(void)
{
    struct env e;
    setup(&e);
    int code;
    unsigned keys = 0;
    for (unsigned i = 0; (code = hk_keymap_key_at(i)) >= 0; i++) {
        for (int pass = 0; pass < 3; pass++) {
            unsigned set = pass == 2 ? 3 : 2;
            bool xlate = pass == 0;
            write_ctr(&e, xlate ? 0x44 : 0x04);
            if (pass >= 1) {
                data(&e, 0xF0);
                data(&e, (uint8_t)(pass == 1 ? 1 : 3));
                flush(&e);
            }
            for (int down = 1; down >= 0; down--) {
                uint8_t want[HK_KEYMAP_MAX_SEQ];
                /* translated set 2 must read as set 1 */
                size_t n = hk_keymap_encode((unsigned)code, pass < 2 ? 1 : set, down, 0, want);
                hk_i8042_key(&e.c, (unsigned)code, down);
                uint8_t got[16];
                size_t m = drain(&e, got, sizeof(got));
                if (pass == 2 && !down && !hk_keymap_set3((unsigned)code))
                    n = 0;
                CHECK_EQ(m, n);
                if (m != n || memcmp(got, want, n) != 0) {
                    fprintf(stderr, "key %d pass %d %s differs\n", code, pass,
                            down ? "make" : "break");
                    CHECK(0);
                }
            }
            if (pass >= 1) {
                data(&e, 0xF0);
                data(&e, 2);
                flush(&e);
            }
        }
        keys++;
    }
    CHECK(keys > 130);
    teardown(&e);
}

/* The keyboard holds 64 bytes; beyond that it sends its overrun code and drops keys until the
 * guest reads. */
static void test_overrun(void)
{
    struct env e;
    setup(&e);
    write_ctr(&e, 0x44);
    command(&e, 0xAD); /* hold everything in the keyboard */
    for (int i = 0; i < 100; i++)
        tap(&e, KEY_A);
    /* 21 whole taps of 3 bytes (1C F0 1C), then the overrun code fills the last place */
    CHECK_EQ(e.c.kbd.q.count, HK_PS2_KBD_QUEUE);
    CHECK(e.c.kbd_overruns > 0);
    command(&e, 0xAE);
    uint8_t got[128];
    size_t n = drain(&e, got, sizeof(got));
    /* translated: 1E 9E per tap, the overrun code 00 becomes FF */
    CHECK_EQ(n, 43);
    CHECK_EQ(got[0], 0x1E);
    CHECK_EQ(got[1], 0x9E);
    CHECK_EQ(got[n - 1], 0xFF);
    /* after the guest read, keys flow again */
    tap(&e, KEY_A);
    EXPECT(&e, 0x1E, 0x9E);
    teardown(&e);
}

/* Keyboard commands: echo, resend, unknown command, get set (translated), LED argument,
 * a command in place of an argument, set 3 attributes, reset while keys come in. */
static void test_keyboard_commands(void)
{
    struct env e;
    setup(&e);
    write_ctr(&e, 0x04); /* raw */
    data(&e, 0xEE);
    EXPECT(&e, 0xEE);
    data(&e, 0xFE);
    EXPECT(&e, 0xEE);
    data(&e, 0xEA); /* not a command of this keyboard */
    EXPECT(&e, 0xFE);
    data(&e, 0xF0);
    data(&e, 0x00);
    EXPECT(&e, 0xFA, 0xFA, 0x02);
    write_ctr(&e, 0x44); /* translated, the set number too (2 -> 0x41) */
    data(&e, 0xF0);
    data(&e, 0x00);
    EXPECT(&e, 0xFA, 0xFA, 0x41);
    data(&e, 0xF0);
    data(&e, 0x07);
    EXPECT(&e, 0xFA, 0xFE);
    data(&e, 0xED);
    data(&e, 0xF2); /* identify instead of the LED byte */
    EXPECT(&e, 0xFA, 0xFA, 0xAB, 0x41);
    CHECK_EQ(hk_i8042_leds(&e.c), 0);
    /* set 3 raw, all make/break, then make-only for 'a' */
    write_ctr(&e, 0x04);
    data(&e, 0xF0);
    data(&e, 0x03);
    data(&e, 0xF8);
    data(&e, 0xFD);
    data(&e, 0x1C);
    data(&e, 0xF4);
    flush(&e);
    tap(&e, KEY_A);
    EXPECT(&e, 0x1C);
    tap(&e, KEY_S);
    EXPECT(&e, 0x1B, 0xF0, 0x1B);
    /* disabled keyboard: keys are not reported */
    data(&e, 0xF5);
    EXPECT(&e, 0xFA);
    CHECK_EQ(e.c.kbd.set, 2); /* defaults restored */
    tap(&e, KEY_S);
    EXPECT_EMPTY(&e);
    data(&e, 0xFF);
    EXPECT(&e, 0xFA, 0xAA);
    tap(&e, KEY_S);
    EXPECT(&e, 0x1B, 0xF0, 0x1B);
    /* Print Screen and Pause with modifiers (raw set 2) */
    tap(&e, KEY_SYSRQ);
    EXPECT(&e, 0xE0, 0x12, 0xE0, 0x7C, 0xE0, 0xF0, 0x7C, 0xE0, 0xF0, 0x12);
    hk_i8042_key(&e.c, KEY_LEFTALT, true);
    tap(&e, KEY_SYSRQ);
    hk_i8042_key(&e.c, KEY_LEFTALT, false);
    EXPECT(&e, 0x11, 0x84, 0xF0, 0x84, 0xF0, 0x11);
    tap(&e, KEY_PAUSE);
    EXPECT(&e, 0xE1, 0x14, 0x77, 0xE1, 0xF0, 0x14, 0xF0, 0x77);
    hk_i8042_key(&e.c, KEY_RIGHTCTRL, true);
    tap(&e, KEY_PAUSE);
    hk_i8042_key(&e.c, KEY_RIGHTCTRL, false);
    EXPECT(&e, 0xE0, 0x14, 0xE0, 0x7E, 0xE0, 0xF0, 0x7E, 0xE0, 0xF0, 0x14);
    /* a press of a key already down and a release of a key that is up change nothing */
    hk_i8042_key(&e.c, KEY_Q, true);
    hk_i8042_key(&e.c, KEY_Q, true);
    hk_i8042_key(&e.c, KEY_W, false);
    EXPECT(&e, 0x15);
    hk_i8042_key(&e.c, KEY_Q, false);
    EXPECT(&e, 0xF0, 0x15);
    hk_i8042_key(&e.c, 999, true); /* not a key */
    EXPECT_EMPTY(&e);
    teardown(&e);
}

/* Controller commands: RAM, output port, A20, self tests, password, unknown commands. */
static void test_controller_commands(void)
{
    struct env e;
    setup(&e);
    command(&e, 0x65); /* RAM byte 5 */
    data(&e, 0x5C);
    command(&e, 0x25);
    EXPECT(&e, 0x5C);
    CHECK(status(&e) & HK_I8042_STR_CMD);
    data(&e, 0xEE);
    CHECK(!(status(&e) & HK_I8042_STR_CMD));
    EXPECT(&e, 0xEE);
    command(&e, 0xD0);
    EXPECT(&e, 0xC3);
    command(&e, 0xDD);
    command(&e, 0xD0);
    EXPECT(&e, 0xC1);
    command(&e, 0xD1);
    data(&e, 0xC3);
    command(&e, 0xA4);
    EXPECT(&e, 0xF1);
    command(&e, 0xA5); /* a password: bytes up to a zero go to the controller */
    data(&e, 0x12);
    data(&e, 0x34);
    data(&e, 0x00);
    EXPECT_EMPTY(&e);
    data(&e, 0xEE); /* and now the keyboard again */
    EXPECT(&e, 0xEE);
    command(&e, 0xA9);
    EXPECT(&e, 0x00);
    command(&e, 0xC0);
    CHECK(next_byte(&e, NULL) >= 0);
    command(&e, 0xE0);
    EXPECT(&e, 0x00);
    command(&e, 0x01); /* unknown */
    command(&e, 0xFF); /* pulses nothing */
    EXPECT_EMPTY(&e);
    CHECK_EQ(e.c.unknown_commands, 1);
    CHECK_EQ(e.f.vm.resets, 0);
    /* 0xD2 writes the keyboard output buffer (not translated), 0xD3 the mouse one */
    write_ctr(&e, 0x47);
    command(&e, 0xD2);
    data(&e, 0x1C);
    CHECK_EQ(irq1(&e), 1);
    EXPECT(&e, 0x1C);
    teardown(&e);
}

/* 0xFE pulses the reset line: a full reset of the machine (and so of the controller). */
static void test_reset(void)
{
    struct env e;
    setup(&e);
    write_ctr(&e, 0x47);
    hk_i8042_key(&e.c, KEY_A, true);
    command(&e, 0xFE);
    CHECK_EQ(e.f.vm.resets, 1);
    struct hk_fact f;
    CHECK(facts_of(&e.f, HK_FACT_RESET, &f) == 1);
    CHECK(strstr(f.text, "0xFE") != NULL);
    CHECK_EQ(read_ctr(&e), 0x41); /* power-on command byte */
    EXPECT_EMPTY(&e);
    CHECK_EQ(irq1(&e), 0);
    /* the output port's reset bit does the same */
    command(&e, 0xD1);
    data(&e, 0xC2);
    CHECK_EQ(e.f.vm.resets, 2);
    command(&e, 0xD0);
    EXPECT(&e, 0xC3);
    teardown(&e);
}

/* The status register at power-on, as QEMU's controller shows it to SeaBIOS (found by the
 * conformance replay): unlocked, and the command/data bit set (0x18); a data write clears bit 3, a
 * command sets it. */
static void test_power_on_status(void)
{
    struct env e;
    setup(&e);
    CHECK_EQ(hk_i8042_read_status(&e.c), 0x18);
    hk_i8042_write_data(&e.c, 0xF4); /* keyboard: enable */
    CHECK_EQ(hk_i8042_read_status(&e.c) & 0x08, 0);
    while (hk_i8042_read_status(&e.c) & 1)
        hk_i8042_read_data(&e.c);
    command(&e, 0xAD);
    CHECK_EQ(hk_i8042_read_status(&e.c) & 0x08, 0x08);
    hk_i8042_reset(&e.c);
    CHECK_EQ(hk_i8042_read_status(&e.c), 0x18);
    teardown(&e);
}

/* Mouse modes and formats: remote mode, wrap mode, scaling, large motion split over packets,
 * the wheel, the status bytes, resend, and packets dropped when a command comes. */
static void test_mouse(void)
{
    struct env e;
    setup(&e);
    write_ctr(&e, 0x47);
    aux_cmd(&e, 0xFF);
    EXPECT_AUX(&e, 0xFA, 0xAA, 0x00);
    /* not reporting: motion is not sent */
    hk_i8042_mouse(&e.c, 10, 10, 0, 0);
    EXPECT_EMPTY(&e);
    /* remote mode: a packet on 0xEB */
    aux_cmd(&e, 0xF0);
    EXPECT_AUX(&e, 0xFA);
    hk_i8042_mouse(&e.c, 3, 0, 0, 0);
    hk_i8042_mouse(&e.c, 4, -2, 0, 4);
    EXPECT_EMPTY(&e);
    aux_cmd(&e, 0xEB);
    EXPECT_AUX(&e, 0xFA, 0x0C, 0x07, 0x02);
    aux_cmd(&e, 0xE9);
    EXPECT_AUX(&e, 0xFA, 0x42, 0x02, 100);
    aux_cmd(&e, 0xEA);
    aux_cmd(&e, 0xF4);
    EXPECT_AUX(&e, 0xFA, 0xFA);
    /* 600 counts to the right and 300 up: split, nothing lost */
    hk_i8042_mouse(&e.c, 600, -300, 0, 0);
    EXPECT_AUX(&e, 0x08, 0xFF, 0xFF, 0x08, 0xFF, 0x2D, 0x08, 0x5A, 0x00);
    /* 2:1 scaling */
    aux_cmd(&e, 0xE7);
    EXPECT_AUX(&e, 0xFA);
    hk_i8042_mouse(&e.c, 3, -5, 0, 0);
    EXPECT_AUX(&e, 0x08, 0x03, 0x09);
    aux_cmd(&e, 0xE6);
    EXPECT_AUX(&e, 0xFA);
    /* wheel in ID 0 is dropped; ID 3 carries it in byte 4 */
    hk_i8042_mouse(&e.c, 0, 0, 2, 0);
    EXPECT_EMPTY(&e);
    static const uint8_t knock[] = {200, 100, 80};
    for (int i = 0; i < 3; i++) {
        aux_cmd(&e, 0xF3);
        aux_cmd(&e, knock[i]);
    }
    flush(&e);
    hk_i8042_mouse(&e.c, 0, 0, -3, 0);
    EXPECT_AUX(&e, 0x08, 0x00, 0x00, 0xFD);
    /* resend repeats the last byte */
    aux_cmd(&e, 0xFE);
    EXPECT_AUX(&e, 0xFD);
    /* packets not yet read are dropped when a command arrives; the reply is intact */
    command(&e, 0xA7); /* hold the mouse data */
    hk_i8042_mouse(&e.c, 1, 1, 0, 0);
    CHECK_EQ(e.c.aux.q.count, 4);
    aux_cmd(&e, 0xF5); /* (0xD4 enables the interface again) */
    EXPECT_AUX(&e, 0xFA);
    /* wrap mode echoes */
    aux_cmd(&e, 0xEE);
    EXPECT_AUX(&e, 0xFA);
    aux_cmd(&e, 0x42);
    EXPECT_AUX(&e, 0x42);
    aux_cmd(&e, 0xEC);
    EXPECT_AUX(&e, 0xFA);
    aux_cmd(&e, 0x99); /* unknown */
    EXPECT_AUX(&e, 0xFE);
    aux_cmd(&e, 0xE8);
    aux_cmd(&e, 9); /* bad resolution */
    EXPECT_AUX(&e, 0xFA, 0xFE);
    /* a flood of motion while the guest does not read stays bounded */
    aux_cmd(&e, 0xF4);
    flush(&e);
    command(&e, 0xA7);
    for (int i = 0; i < 1000; i++)
        hk_i8042_mouse(&e.c, 100, 100, 0, (unsigned)i & 1);
    CHECK(e.c.aux.q.count <= HK_PS2_AUX_QUEUE);
    command(&e, 0xA8);
    uint8_t got[1024];
    size_t n = drain(&e, got, sizeof(got));
    CHECK(n > HK_PS2_AUX_QUEUE);
    CHECK_EQ(n % 4, 0);
    for (size_t i = 0; i < n; i += 4)
        CHECK(got[i] & 0x08);
    teardown(&e);
}

static void backdoor(struct env *e, uint32_t cmd, uint32_t arg, struct kvm_regs *r)
{
    memset(r, 0, sizeof(*r));
    r->rax = HK_VMMOUSE_MAGIC;
    r->rbx = arg;
    r->rcx = cmd;
    r->rdx = HK_VMMOUSE_PORT;
    hk_vmmouse_io(&e->vmm, r, 4, false);
}

/* vmmouse as Linux enables it, absolute records, the PS/2 wake-up packet, the facts. */
static void test_vmmouse(void)
{
    struct env e;
    setup(&e);
    struct kvm_regs r;
    /* not a backdoor call: no magic, or not 32 bits */
    memset(&r, 0, sizeof(r));
    r.rax = 0x1234;
    r.rcx = HK_VMMOUSE_CMD_GETVERSION;
    hk_vmmouse_io(&e.vmm, &r, 4, false);
    CHECK_EQ(r.rax & 0xFFFFFFFF, 0xFFFFFFFF);
    CHECK_EQ(r.rbx, 0);
    r.rax = 0xAB00;
    hk_vmmouse_io(&e.vmm, &r, 1, false);
    CHECK_EQ(r.rax, 0xABFF);

    backdoor(&e, HK_VMMOUSE_CMD_STATUS, 0, &r);
    CHECK_EQ(r.rax, HK_VMMOUSE_ERROR);
    /* PS/2 side as psmouse leaves it: reset, enabled, aux interrupt on */
    write_ctr(&e, 0x47);
    aux_cmd(&e, 0xFF);
    aux_cmd(&e, 0xF4);
    flush(&e);
    /* vmmouse_enable */
    backdoor(&e, HK_VMMOUSE_CMD_COMMAND, HK_VMMOUSE_ENABLE, &r);
    backdoor(&e, HK_VMMOUSE_CMD_STATUS, 0, &r);
    CHECK_EQ(r.rax, 1);
    backdoor(&e, HK_VMMOUSE_CMD_DATA, 1, &r);
    CHECK_EQ(r.rax, HK_VMMOUSE_VERSION_ID);
    backdoor(&e, HK_VMMOUSE_CMD_RESTRICT, 1, &r);
    CHECK(!hk_vmmouse_is_absolute(&e.vmm));
    CHECK(!hk_vmmouse_abs(&e.vmm, 1, 2, 0, 0));
    backdoor(&e, HK_VMMOUSE_CMD_COMMAND, HK_VMMOUSE_REQUEST_ABSOLUTE, &r);
    CHECK(hk_vmmouse_is_absolute(&e.vmm));
    struct hk_fact f;
    CHECK_EQ(facts_of(&e.f, HK_FACT_POINTER_MODE, &f), 1);
    CHECK_EQ(f.a, 1);

    /* a move: a PS/2 packet wakes the driver (IRQ 12), the record waits in the queue */
    CHECK(hk_vmmouse_abs(&e.vmm, 0x8000, 0x4000, 1, 1));
    CHECK_EQ(irq12(&e), 1);
    bool aux = false;
    int b0 = next_byte(&e, &aux);
    CHECK(aux);
    CHECK_EQ(b0 & 0x08, 0x08);
    next_byte(&e, NULL);
    next_byte(&e, NULL);
    EXPECT_EMPTY(&e);
    backdoor(&e, HK_VMMOUSE_CMD_STATUS, 0, &r);
    CHECK_EQ(r.rax, 4);
    backdoor(&e, HK_VMMOUSE_CMD_DATA, 4, &r);
    CHECK_EQ(r.rax, HK_VMMOUSE_LEFT);
    CHECK_EQ(r.rbx, 0x8000);
    CHECK_EQ(r.rcx, 0x4000);
    CHECK_EQ(r.rdx, 1);
    /* more words than queued: refused, nothing popped */
    backdoor(&e, HK_VMMOUSE_CMD_DATA, 4, &r);
    CHECK_EQ(r.rax, 0);
    /* relative motion goes through the queue while the driver is on */
    hk_i8042_mouse_kick(&e.c, 0); /* a wake-up packet without a record */
    EXPECT_AUX(&e, 0x08, 0x00, 0x00);
    CHECK(hk_vmmouse_rel(&e.vmm, 5, 7, 0, 2));
    flush(&e);
    backdoor(&e, HK_VMMOUSE_CMD_DATA, 4, &r);
    CHECK_EQ(r.rax, HK_VMMOUSE_RELATIVE_PACKET | HK_VMMOUSE_RIGHT);
    CHECK_EQ(r.rbx, 5);
    CHECK_EQ((uint32_t)r.rcx, (uint32_t)-7);
    /* a flood of moves while the guest does not read: bounded, the newest position kept */
    for (uint32_t i = 0; i < 5000; i++)
        hk_vmmouse_abs(&e.vmm, i & 0xFFFF, 7, 0, 0);
    backdoor(&e, HK_VMMOUSE_CMD_STATUS, 0, &r);
    CHECK(r.rax <= HK_VMMOUSE_QUEUE);
    CHECK_EQ(r.rax % 4, 0);
    uint32_t last_x = 0;
    while (1) {
        backdoor(&e, HK_VMMOUSE_CMD_STATUS, 0, &r);
        if (!r.rax)
            break;
        backdoor(&e, HK_VMMOUSE_CMD_DATA, 4, &r);
        last_x = (uint32_t)r.rbx;
    }
    CHECK_EQ(last_x, 4999);
    /* vmmouse_disable: status reads as the error */
    backdoor(&e, HK_VMMOUSE_CMD_COMMAND, HK_VMMOUSE_DISABLE, &r);
    backdoor(&e, HK_VMMOUSE_CMD_STATUS, 0, &r);
    CHECK_EQ(r.rax, HK_VMMOUSE_ERROR);
    CHECK(!hk_vmmouse_is_absolute(&e.vmm));
    CHECK_EQ(facts_of(&e.f, HK_FACT_POINTER_MODE, &f), 2);
    CHECK_EQ(f.a, 0);
    teardown(&e);
}

struct loop_thread {
    struct hk_loop *loop;
    pthread_t th;
};

static void *run_loop(void *arg)
{
    hk_loop_run(arg);
    return NULL;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Typematic repeat at the rate the guest set: 250 ms delay, 30 characters/s. */
static void test_typematic(void)
{
    struct hk_log log;
    hk_log_init(&log, NULL, HK_LOG_ERROR);
    struct hk_loop *loop = hk_loop_new();
    struct hk_vm *vm = calloc(1, sizeof(*vm));
    struct hk_i8042 *c = calloc(1, sizeof(*c));
    hk_vm_init_nokvm(vm, &log, loop);
    hk_i8042_init(c, vm);
    CHECK(c->repeat_timer != NULL);
    pthread_t th;
    pthread_create(&th, NULL, run_loop, loop);
    hk_i8042_write_command(c, 0x60);
    hk_i8042_write_data(c, 0x44);
    hk_i8042_write_data(c, 0xF3);
    hk_i8042_write_data(c, 0x00);
    while (hk_i8042_read_status(c) & 1)
        hk_i8042_read_data(c);
    hk_i8042_key(c, KEY_DOWN, true);
    unsigned makes = 0, other = 0;
    uint64_t t0 = hk_now_ns();
    while (hk_now_ns() - t0 < 600000000ull) {
        while (hk_i8042_read_status(c) & 1) {
            uint8_t b = hk_i8042_read_data(c);
            if (b == 0x50)
                makes++;
            else if (b != 0xE0)
                other++;
        }
        sleep_ms(5);
    }
    hk_i8042_key(c, KEY_DOWN, false);
    sleep_ms(100);
    unsigned after = 0;
    while (hk_i8042_read_status(c) & 1)
        after += hk_i8042_read_data(c) == 0x50;
    /* one make, then (600 - 250) ms / 33 ms ~ 10 repeats */
    CHECK(makes >= 4 && makes <= 14); /* fewer when the host is very busy */
    CHECK_EQ(other, 0);
    CHECK_EQ(after, 0);
    printf("typematic: %u makes in 600 ms\n", makes);
    hk_loop_quit(loop);
    pthread_join(th, NULL);
    hk_i8042_destroy(c);
    hk_vm_destroy(vm);
    hk_loop_free(loop);
    hk_log_destroy(&log);
    free(c);
    free(vm);
}

TEST_MAIN(TEST(test_seabios), TEST(test_ovmf), TEST(test_linux), TEST(test_irq_gating),
          TEST(test_all_keys), TEST(test_overrun), TEST(test_keyboard_commands),
          TEST(test_controller_commands), TEST(test_reset), TEST(test_power_on_status),
          TEST(test_mouse), TEST(test_vmmouse), TEST(test_typematic))
