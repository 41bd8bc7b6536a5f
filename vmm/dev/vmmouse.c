#include "vmmouse.h"

#include <string.h>

#include "../core/vm.h"
#include "i8042.h"

static void q_clear(struct hk_vmmouse *m)
{
    m->head = m->count = 0;
}

static void q_push(struct hk_vmmouse *m, uint32_t w)
{
    m->queue[(m->head + m->count) % HK_VMMOUSE_QUEUE] = w;
    m->count++;
}

static uint32_t q_pop(struct hk_vmmouse *m)
{
    uint32_t w = m->queue[m->head];
    m->head = (m->head + 1) % HK_VMMOUSE_QUEUE;
    m->count--;
    return w;
}

/* Records the pointer mode in the facts when it changed (lock held). */
static void note_mode(struct hk_vmmouse *m)
{
    bool abs = m->enabled && m->absolute;
    if (abs == m->reported)
        return;
    m->reported = abs;
    hk_fact(&m->vm->facts, HK_FACT_POINTER_MODE, abs ? 1 : 0, 0, 0, "%s",
            abs ? "vmmouse absolute pointer on" : "vmmouse absolute pointer off");
    hk_info(m->vm->log, "guest switched the absolute pointer %s", abs ? "on" : "off");
}

void hk_vmmouse_init(struct hk_vmmouse *m, struct hk_vm *vm, struct hk_i8042 *kbc)
{
    memset(m, 0, sizeof(*m));
    m->vm = vm;
    m->kbc = kbc;
    pthread_mutex_init(&m->lock, NULL);
}

void hk_vmmouse_destroy(struct hk_vmmouse *m)
{
    pthread_mutex_destroy(&m->lock);
}

void hk_vmmouse_reset(struct hk_vmmouse *m)
{
    pthread_mutex_lock(&m->lock);
    m->enabled = m->absolute = false;
    q_clear(m);
    note_mode(m);
    pthread_mutex_unlock(&m->lock);
}

static void command(struct hk_vmmouse *m, uint32_t sub)
{
    switch (sub) {
    case HK_VMMOUSE_ENABLE:
        m->enabled = true;
        q_clear(m);
        q_push(m, HK_VMMOUSE_VERSION_ID);
        break;
    case HK_VMMOUSE_DISABLE:
        m->enabled = false;
        m->absolute = false;
        q_clear(m);
        break;
    case HK_VMMOUSE_REQUEST_RELATIVE: m->absolute = false; break;
    case HK_VMMOUSE_REQUEST_ABSOLUTE: m->absolute = true; break;
    default: hk_debug(m->vm->log, "vmmouse: unknown pointer command 0x%x", sub); break;
    }
    note_mode(m);
}

void hk_vmmouse_io(void *opaque, struct kvm_regs *regs, unsigned size, bool is_write)
{
    struct hk_vmmouse *m = opaque;
    /* only a 32-bit IN with the magic number is a backdoor call; anything else sees a port
     * nobody answers */
    if (is_write)
        return;
    if (size != 4 || (uint32_t)regs->rax != HK_VMMOUSE_MAGIC) {
        regs->rax |= size >= 4 ? 0xFFFFFFFFull : ((1ull << (8 * size)) - 1);
        return;
    }
    uint32_t cmd = (uint16_t)regs->rcx;
    uint32_t arg = (uint32_t)regs->rbx;
    pthread_mutex_lock(&m->lock);
    switch (cmd) {
    case HK_VMMOUSE_CMD_GETVERSION:
        regs->rax = 6; /* protocol version */
        regs->rbx = HK_VMMOUSE_MAGIC;
        break;
    case HK_VMMOUSE_CMD_STATUS: regs->rax = m->enabled ? m->count : HK_VMMOUSE_ERROR; break;
    case HK_VMMOUSE_CMD_DATA: {
        /* arg words (1-4) into EAX, EBX, ECX, EDX */
        if (!m->enabled || arg < 1 || arg > 4 || arg > m->count) {
            hk_debug(m->vm->log, "vmmouse: %u words asked, %u queued", arg, m->count);
            regs->rax = 0;
            break;
        }
        __u64 *out[4] = {&regs->rax, &regs->rbx, &regs->rcx, &regs->rdx};
        for (uint32_t i = 0; i < arg; i++)
            *out[i] = q_pop(m);
        break;
    }
    case HK_VMMOUSE_CMD_COMMAND: command(m, arg); break;
    case HK_VMMOUSE_CMD_RESTRICT: break; /* who may use the port: anyone may */
    default:
        hk_debug(m->vm->log, "vmmouse: unknown backdoor command %u", cmd);
        regs->rax = 0xFFFFFFFFu;
        break;
    }
    pthread_mutex_unlock(&m->lock);
}

bool hk_vmmouse_is_absolute(struct hk_vmmouse *m)
{
    pthread_mutex_lock(&m->lock);
    bool abs = m->enabled && m->absolute;
    pthread_mutex_unlock(&m->lock);
    return abs;
}

static uint32_t button_bits(unsigned buttons)
{
    return ((buttons & 1) ? HK_VMMOUSE_LEFT : 0) | ((buttons & 2) ? HK_VMMOUSE_RIGHT : 0) |
           ((buttons & 4) ? HK_VMMOUSE_MIDDLE : 0);
}

static uint32_t wheel(int dz)
{
    if (dz > 127)
        dz = 127;
    if (dz < -128)
        dz = -128;
    return (uint8_t)(int8_t)dz;
}

/* Queues a record; when the queue is full an absolute move replaces the previous one with the
 * same buttons (only the newest position matters), anything else is dropped. Lock held. */
static void queue_record(struct hk_vmmouse *m, const uint32_t rec[4])
{
    if (m->count + 4 <= HK_VMMOUSE_QUEUE) {
        for (int i = 0; i < 4; i++)
            q_push(m, rec[i]);
        return;
    }
    unsigned last = (m->head + m->count - 4) % HK_VMMOUSE_QUEUE;
    uint32_t *prev = &m->queue[last];
    if (m->count >= 4 && last + 4 <= HK_VMMOUSE_QUEUE && prev[0] == rec[0] &&
        !(rec[0] & HK_VMMOUSE_RELATIVE_PACKET) && prev[3] == 0 && rec[3] == 0) {
        prev[1] = rec[1];
        prev[2] = rec[2];
        m->merged++;
        return;
    }
    m->dropped++;
}

bool hk_vmmouse_abs(struct hk_vmmouse *m, uint32_t x, uint32_t y, int dz, unsigned buttons)
{
    pthread_mutex_lock(&m->lock);
    bool on = m->enabled && m->absolute;
    if (on) {
        uint32_t rec[4] = {button_bits(buttons), x > 0xFFFF ? 0xFFFF : x, y > 0xFFFF ? 0xFFFF : y,
                           wheel(dz)};
        queue_record(m, rec);
    }
    pthread_mutex_unlock(&m->lock);
    if (on && m->kbc)
        hk_i8042_mouse_kick(m->kbc, buttons);
    return on;
}

bool hk_vmmouse_rel(struct hk_vmmouse *m, int dx, int dy, int dz, unsigned buttons)
{
    pthread_mutex_lock(&m->lock);
    bool on = m->enabled;
    if (on) {
        /* relative records count Y upwards, like PS/2 */
        dx = dx < -0xFFFF ? -0xFFFF : dx > 0xFFFF ? 0xFFFF : dx;
        dy = dy < -0xFFFF ? -0xFFFF : dy > 0xFFFF ? 0xFFFF : dy;
        uint32_t rec[4] = {button_bits(buttons) | HK_VMMOUSE_RELATIVE_PACKET, (uint32_t)dx,
                           (uint32_t)-dy, wheel(dz)};
        queue_record(m, rec);
    }
    pthread_mutex_unlock(&m->lock);
    if (on && m->kbc)
        hk_i8042_mouse_kick(m->kbc, buttons);
    return on;
}

int hk_vmmouse_attach(struct hk_vmmouse *m)
{
    return hk_vm_add_regs_port(m->vm, HK_VMMOUSE_PORT, hk_vmmouse_io, m);
}
