/*
 * Fuzz target: the keyboard controller, keyboard, mouse and vmmouse against any sequence of guest
 * accesses to ports 0x60, 0x64 and 0x5658 mixed with host input and resets. After every step the
 * interrupt lines must match the output buffer and the command byte, and every queue must stay
 * within its bounds; at the end the devices must still answer (no wedge): the controller its
 * self-test, the keyboard and the mouse a reset, the vmmouse an enable.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/fakevm.h"
#include "dev/i8042.h"
#include "dev/vmmouse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct env {
    struct fakevm f;
    struct hk_i8042 c;
    struct hk_vmmouse m;
};

static void reset_hook(void *opaque)
{
    struct env *e = opaque;
    hk_i8042_reset(&e->c);
    hk_vmmouse_reset(&e->m);
}

#define REQUIRE(cond)                                                                              \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

static void check_invariants(struct env *e)
{
    struct hk_i8042 *c = &e->c;
    int kbd = c->obf && !c->obf_aux && (c->ram[0] & HK_I8042_CTR_KBDINT);
    int aux = c->obf && c->obf_aux && (c->ram[0] & HK_I8042_CTR_AUXINT);
    REQUIRE(c->level_kbd == kbd && e->f.vm.irq_level[1] == kbd);
    REQUIRE(c->level_aux == aux && e->f.vm.irq_level[12] == aux);
    REQUIRE(c->ctl.count <= HK_I8042_CTL_QUEUE && c->ctl.size == HK_I8042_CTL_QUEUE);
    REQUIRE(c->kbd.q.count <= HK_PS2_KBD_QUEUE && c->kbd.q.size == HK_PS2_KBD_QUEUE);
    REQUIRE(c->aux.q.count <= HK_PS2_AUX_QUEUE && c->aux.q.size == HK_PS2_AUX_QUEUE);
    REQUIRE(c->kbd.set >= 1 && c->kbd.set <= 3);
    REQUIRE(c->aux.id == 0 || c->aux.id == 3 || c->aux.id == 4);
    REQUIRE(e->m.count <= HK_VMMOUSE_QUEUE);
}

static int next_byte(struct env *e, bool *aux)
{
    uint8_t s = hk_i8042_read_status(&e->c);
    if (!(s & HK_I8042_STR_OBF))
        return -1;
    *aux = (s & HK_I8042_STR_AUXDATA) != 0;
    return hk_i8042_read_data(&e->c);
}

/* Reads until the wanted bytes came from the wanted side (other bytes are skipped). */
static bool find(struct env *e, const uint8_t *want, size_t n, bool want_aux)
{
    size_t got = 0;
    for (int i = 0; i < 2000 && got < n; i++) {
        bool aux = false;
        int b = next_byte(e, &aux);
        if (b < 0)
            return false;
        if (aux != want_aux)
            continue;
        got = b == want[got] ? got + 1 : (b == want[0] ? 1 : 0);
    }
    return got == n;
}

static void backdoor(struct env *e, uint32_t cmd, uint32_t arg, struct kvm_regs *r)
{
    memset(r, 0, sizeof(*r));
    r->rax = HK_VMMOUSE_MAGIC;
    r->rbx = arg;
    r->rcx = cmd;
    hk_vmmouse_io(&e->m, r, 4, false);
}

static void still_alive(struct env *e)
{
    struct hk_i8042 *c = &e->c;
    /* the controller: flush what is there, then the self-test answers at once */
    bool aux;
    for (int i = 0; i < 1000 && next_byte(e, &aux) >= 0; i++)
        ;
    hk_i8042_write_command(c, 0xAA);
    REQUIRE(next_byte(e, &aux) == 0x55 && !aux);
    /* the keyboard: a reset with translation off */
    hk_i8042_write_command(c, 0x60);
    hk_i8042_write_data(c, 0x00);
    hk_i8042_write_data(c, 0xFF);
    static const uint8_t kbd_reset[] = {0xFA, 0xAA};
    REQUIRE(find(e, kbd_reset, 2, false));
    /* the mouse: a byte that completes a command waiting for its argument, then a reset
     * (which also ends wrap mode) */
    hk_i8042_write_command(c, 0xD4);
    hk_i8042_write_data(c, 0xF5);
    hk_i8042_write_command(c, 0xD4);
    hk_i8042_write_data(c, 0xFF);
    static const uint8_t aux_reset[] = {0xFA, 0xAA, 0x00};
    REQUIRE(find(e, aux_reset, 3, true));
    /* the vmmouse */
    struct kvm_regs r;
    backdoor(e, HK_VMMOUSE_CMD_COMMAND, HK_VMMOUSE_ENABLE, &r);
    backdoor(e, HK_VMMOUSE_CMD_STATUS, 0, &r);
    REQUIRE(r.rax == 1);
    backdoor(e, HK_VMMOUSE_CMD_DATA, 1, &r);
    REQUIRE(r.rax == HK_VMMOUSE_VERSION_ID);
}

static const uint32_t subcommands[] = {HK_VMMOUSE_ENABLE, HK_VMMOUSE_DISABLE,
                                       HK_VMMOUSE_REQUEST_RELATIVE, HK_VMMOUSE_REQUEST_ABSOLUTE};
static const uint32_t commands[] = {HK_VMMOUSE_CMD_GETVERSION, HK_VMMOUSE_CMD_DATA,
                                    HK_VMMOUSE_CMD_STATUS, HK_VMMOUSE_CMD_COMMAND,
                                    HK_VMMOUSE_CMD_RESTRICT};

struct input {
    const uint8_t *data;
    size_t size, pos;
};

static uint8_t next(struct input *in)
{
    uint8_t v = in->pos < in->size ? in->data[in->pos] : 0;
    in->pos++;
    return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct env *e = calloc(1, sizeof(*e));
    if (!e)
        return 0;
    fakevm_init(&e->f, 0);
    hk_i8042_init(&e->c, &e->f.vm);
    hk_vmmouse_init(&e->m, &e->f.vm, &e->c);
    hk_i8042_attach(&e->c);
    hk_vm_on_reset(&e->f.vm, reset_hook, e);

    struct input in = {data, size, 0};
    while (in.pos < size) {
        uint8_t op = next(&in);
        uint8_t a = next(&in), b = next(&in), c = next(&in), d = next(&in);
        switch (op % 13) {
        case 0: pio_write(&e->f, 0x64, 1, a); break;
        case 1:
        case 2: pio_write(&e->f, 0x60, 1, a); break;
        case 3:
            pio_read(&e->f, 0x60, 1);
            in.pos -= 4;
            break;
        case 4:
            pio_read(&e->f, 0x64, 1);
            in.pos -= 4;
            break;
        case 5: hk_i8042_key(&e->c, a, (op & 0x80) != 0); break;
        case 6:
            hk_i8042_mouse(&e->c, (int8_t)a * ((op & 0x40) ? 300 : 1), (int8_t)b, (int8_t)c % 16,
                           d);
            break;
        case 7: { /* a backdoor call, usually a well-formed one */
            struct kvm_regs r = {0};
            r.rax = (a & 0x80) ? (uint32_t)b << 24 : HK_VMMOUSE_MAGIC;
            r.rcx = (a & 0x40) ? c : commands[a % 5];
            r.rbx = (a & 0x20) ? d : (a & 0x10) ? subcommands[a % 4] : (uint32_t)(a % 6);
            static const unsigned sizes[3] = {1, 2, 4};
            hk_vmmouse_io(&e->m, &r, (a & 8) ? sizes[a % 3] : 4, (a & 4) && (a & 2));
            break;
        }
        case 8: hk_vmmouse_abs(&e->m, (uint32_t)a << 9, (uint32_t)b << 9, (int8_t)c % 4, d); break;
        case 9: hk_vmmouse_rel(&e->m, (int8_t)a, (int8_t)b, 0, c); break;
        case 10: hk_i8042_mouse_kick(&e->c, a); break;
        case 11: /* mouse commands are more interesting through 0xD4 */
            pio_write(&e->f, 0x64, 1, 0xD4);
            pio_write(&e->f, 0x60, 1, a);
            break;
        case 12:
            if (op & 0x80)
                hk_vm_do_reset(&e->f.vm);
            else
                pio_write(&e->f, 0x64, 1, 0xF0 | (a & 0x0F)); /* maybe a reset pulse */
            break;
        }
        check_invariants(e);
    }
    still_alive(e);
    check_invariants(e);

    hk_vmmouse_destroy(&e->m);
    hk_i8042_destroy(&e->c);
    fakevm_destroy(&e->f);
    free(e);
    return 0;
}
