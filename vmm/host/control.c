/*
 * The control socket server (see control.h and hako/protocol.h). Everything here runs on the event
 * thread except the two producers called from vCPU threads, the serial sink and the facts
 * listener, which only append to bounded buffers under c->lock and wake the loop.
 */
#include "control.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hako/protocol.h"
#include "screenshot.h"

#define REFRESH_NS 16666667ull /* ~60 Hz display polling while connected */
#define SERIAL_BUF 65536       /* COM1 bytes waiting for the socket */
#define FACT_QUEUE 512         /* facts waiting for the socket */
#define OUTQ_MAX   128         /* packets waiting for room in the socket */

struct outq_entry {
    struct hk_msg msg;
    int fd; /* descriptor to pass (borrowed: the VRAM memfd lives as long as the board) */
};

struct hk_control {
    struct hk_pc *pc;
    struct hk_loop *loop;
    int fd;
    struct hk_watch *watch;
    struct hk_timer *refresh;
    FILE *tee;
    bool hello_ok; /* the app answered HELLO */
    bool started;  /* START received */
    bool closed;   /* the socket is gone */
    bool want_out; /* watching EPOLLOUT */

    /* producers (vCPU threads) -> event thread */
    pthread_mutex_t lock;
    uint8_t *serial;
    size_t serial_head, serial_len;
    uint64_t serial_dropped;
    struct hk_fact *facts;
    unsigned nfacts;
    uint64_t facts_dropped;
    bool wake_pending;

    /* event thread only */
    int64_t last_fact_seq;
    struct outq_entry *outq;
    unsigned outq_head, outq_len;
    bool scanout_sent;
    uint64_t scanout_gen;
    struct hk_msg_scanout scanout;
    struct hk_damage damage;
    bool damage_inflight;
    uint32_t damage_seq;
    int pointer_abs; /* -1 not sent yet */
    int sent_state;  /* -1 not sent yet */
    struct hk_msg_net net_sent;
    bool net_sent_once;
    uint64_t net_sent_ns;
};

/* ---- sending ---- */

static void set_out_watch(struct hk_control *c, bool on)
{
    if (c->closed || c->want_out == on)
        return;
    c->want_out = on;
    hk_watch_modify(c->watch, EPOLLIN | (on ? EPOLLOUT : 0));
}

static void connection_lost(struct hk_control *c, const char *why)
{
    if (c->closed)
        return;
    c->closed = true;
    if (c->watch)
        hk_watch_remove(c->watch);
    c->watch = NULL;
    hk_timer_arm(c->refresh, 0, 0);
    hk_logf(c->pc->vm.log, HK_LOG_INFO, "control: %s; stopping the VM", why);
    hk_vm_request_stop(&c->pc->vm, 0, "the app closed its control connection");
}

/* Sends the queued packets; returns true when the queue is empty. */
static bool flush_outq(struct hk_control *c)
{
    while (c->outq_len && !c->closed) {
        struct outq_entry *e = &c->outq[c->outq_head];
        int r = hk_proto_send(c->fd, &e->msg, e->fd);
        if (r == HK_PROTO_AGAIN) {
            set_out_watch(c, true);
            return false;
        }
        if (r == HK_PROTO_ESOCKET) {
            connection_lost(c, "the control socket failed");
            return false;
        }
        if (r != HK_PROTO_OK)
            hk_logf(c->pc->vm.log, HK_LOG_WARN, "control: cannot encode %s: %s",
                    hk_proto_type_name(e->msg.type), hk_proto_error_name(r));
        c->outq_head = (c->outq_head + 1) % OUTQ_MAX;
        c->outq_len--;
    }
    set_out_watch(c, false);
    return c->outq_len == 0;
}

/* Sends now, or queues when the socket is full. Returns false when the queue is full too (the
 * caller keeps its data for later) or the connection is gone. */
static bool send_msg(struct hk_control *c, const struct hk_msg *m, int fd)
{
    if (c->closed)
        return false;
    if (c->outq_len == 0) {
        int r = hk_proto_send(c->fd, m, fd);
        if (r == HK_PROTO_OK)
            return true;
        if (r == HK_PROTO_ESOCKET) {
            connection_lost(c, "the control socket failed");
            return false;
        }
        if (r != HK_PROTO_AGAIN) {
            hk_logf(c->pc->vm.log, HK_LOG_WARN, "control: cannot encode %s: %s",
                    hk_proto_type_name(m->type), hk_proto_error_name(r));
            return true; /* dropping it is all we can do */
        }
    }
    if (c->outq_len == OUTQ_MAX)
        return false;
    struct outq_entry *e = &c->outq[(c->outq_head + c->outq_len) % OUTQ_MAX];
    e->msg = *m;
    e->fd = fd;
    c->outq_len++;
    set_out_watch(c, true);
    return true;
}

static void send_result(struct hk_control *c, uint32_t command, uint32_t id, int status,
                        const char *message)
{
    struct hk_msg m = {.type = HK_EV_RESULT};
    m.u.result.command = command;
    m.u.result.id = id;
    m.u.result.status = status > 0 ? -status : status;
    snprintf(m.u.result.message, sizeof(m.u.result.message), "%s", message ? message : "");
    send_msg(c, &m, -1);
}

static void send_state(struct hk_control *c, uint32_t state, int exit_code, const char *reason)
{
    struct hk_msg m = {.type = HK_EV_STATE};
    m.u.state.state = state;
    m.u.state.exit_code = exit_code;
    snprintf(m.u.state.reason, sizeof(m.u.state.reason), "%s", reason ? reason : "");
    if (send_msg(c, &m, -1))
        c->sent_state = (int)state;
}

static uint32_t current_state(struct hk_control *c)
{
    struct hk_vm *vm = &c->pc->vm;
    pthread_mutex_lock(&vm->run_lock);
    enum hk_vm_state st = vm->state;
    pthread_mutex_unlock(&vm->run_lock);
    switch (st) {
    case HK_VM_RUNNING: return HK_STATE_RUNNING;
    case HK_VM_PAUSED: return HK_STATE_PAUSED;
    case HK_VM_STOPPED: return HK_STATE_STOPPED;
    default: return HK_STATE_CREATED;
    }
}

/* ---- producers (any thread) ---- */

static void wake_cb(void *opaque);

static void wake_locked(struct hk_control *c)
{
    if (!c->wake_pending && hk_loop_call(c->loop, wake_cb, c) == 0)
        c->wake_pending = true;
}

static void serial_sink(void *opaque, const uint8_t *data, size_t len)
{
    struct hk_control *c = opaque;
    if (c->tee) {
        fwrite(data, 1, len, c->tee);
        fflush(c->tee);
    }
    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < len; i++) {
        if (c->serial_len == SERIAL_BUF) {
            /* the app is not reading: keep the newest output */
            c->serial_head = (c->serial_head + 1) % SERIAL_BUF;
            c->serial_len--;
            c->serial_dropped++;
        }
        c->serial[(c->serial_head + c->serial_len) % SERIAL_BUF] = data[i];
        c->serial_len++;
    }
    /* the display tick (60 Hz once the app said HELLO) carries it; wake the loop only when a
     * packet's worth is waiting, so a chatty guest costs one packet per tick, not per byte */
    if (c->serial_len >= HK_PROTO_MAX_SERIAL)
        wake_locked(c);
    pthread_mutex_unlock(&c->lock);
}

static void push_fact_locked(struct hk_control *c, const struct hk_fact *f)
{
    if ((int64_t)f->seq <= c->last_fact_seq)
        return;
    /* keep the queue sorted by sequence number without duplicates (the timeline sent on
     * connect and the listener may both deliver a fact recorded in between) */
    unsigned i = c->nfacts;
    while (i > 0 && c->facts[i - 1].seq > f->seq)
        i--;
    if (i > 0 && c->facts[i - 1].seq == f->seq)
        return;
    if (c->nfacts == FACT_QUEUE) {
        c->facts_dropped++;
        return;
    }
    memmove(&c->facts[i + 1], &c->facts[i], (c->nfacts - i) * sizeof(c->facts[0]));
    c->facts[i] = *f;
    c->nfacts++;
}

static void fact_listener(void *opaque, const struct hk_fact *f)
{
    struct hk_control *c = opaque;
    pthread_mutex_lock(&c->lock);
    push_fact_locked(c, f);
    wake_locked(c);
    pthread_mutex_unlock(&c->lock);
}

static void fact_initial(void *opaque, const struct hk_fact *f)
{
    struct hk_control *c = opaque;
    pthread_mutex_lock(&c->lock);
    push_fact_locked(c, f);
    pthread_mutex_unlock(&c->lock);
}

/* ---- the pump: everything that waits for the socket ---- */

static void pump_facts(struct hk_control *c)
{
    for (;;) {
        struct hk_msg m = {.type = HK_EV_FACT};
        pthread_mutex_lock(&c->lock);
        if (c->nfacts == 0) {
            pthread_mutex_unlock(&c->lock);
            return;
        }
        m.u.fact = c->facts[0];
        pthread_mutex_unlock(&c->lock);
        if (!send_msg(c, &m, -1))
            return;
        pthread_mutex_lock(&c->lock);
        if (c->nfacts && c->facts[0].seq == m.u.fact.seq) {
            memmove(&c->facts[0], &c->facts[1], (c->nfacts - 1) * sizeof(c->facts[0]));
            c->nfacts--;
        }
        c->last_fact_seq = m.u.fact.seq;
        pthread_mutex_unlock(&c->lock);
    }
}

static void pump_serial(struct hk_control *c)
{
    for (;;) {
        struct hk_msg m = {.type = HK_EV_SERIAL};
        pthread_mutex_lock(&c->lock);
        size_t n = c->serial_len < HK_PROTO_MAX_SERIAL ? c->serial_len : HK_PROTO_MAX_SERIAL;
        for (size_t i = 0; i < n; i++)
            m.u.bytes.data[i] = c->serial[(c->serial_head + i) % SERIAL_BUF];
        pthread_mutex_unlock(&c->lock);
        if (n == 0)
            return;
        m.u.bytes.len = (uint32_t)n;
        if (!send_msg(c, &m, -1))
            return;
        pthread_mutex_lock(&c->lock);
        /* the producer may have dropped old bytes meanwhile; never go below zero */
        size_t done = n < c->serial_len ? n : c->serial_len;
        c->serial_head = (c->serial_head + done) % SERIAL_BUF;
        c->serial_len -= done;
        pthread_mutex_unlock(&c->lock);
    }
}

static uint32_t proto_format(const struct hk_scanout *s)
{
    if (!s->enabled)
        return HK_FORMAT_NONE;
    if (s->bpp == 32)
        return s->big_endian ? HK_FORMAT_BGRX8888 : HK_FORMAT_XRGB8888;
    if (s->bpp == 16)
        return s->big_endian ? HK_FORMAT_RGB565_BE : HK_FORMAT_RGB565;
    return HK_FORMAT_NONE;
}

static void pump_display(struct hk_control *c)
{
    struct hk_pc *pc = c->pc;
    if (!pc->have_display)
        return;
    struct hk_bochs_display *d = &pc->display;
    struct hk_scanout s;
    uint64_t gen = hk_bochs_display_scanout(d, &s);
    if (!c->scanout_sent || gen != c->scanout_gen) {
        struct hk_msg m = {.type = HK_EV_SCANOUT};
        m.u.scanout.format = proto_format(&s);
        if (m.u.scanout.format != HK_FORMAT_NONE) {
            m.u.scanout.width = s.width;
            m.u.scanout.height = s.height;
            m.u.scanout.stride = s.stride;
            m.u.scanout.offset = s.offset;
        }
        m.u.scanout.vram_size = d->vram_size;
        int fd = m.u.scanout.format != HK_FORMAT_NONE ? d->vram_fd : -1;
        if (!send_msg(c, &m, fd))
            return;
        c->scanout_sent = true;
        c->scanout_gen = gen;
        c->scanout = m.u.scanout;
        if (m.u.scanout.format != HK_FORMAT_NONE)
            hk_logf(pc->vm.log, HK_LOG_INFO, "control: scanout %ux%u, %u bpp, stride %u", s.width,
                    s.height, s.bpp, s.stride);
        else
            hk_logf(pc->vm.log, HK_LOG_INFO, "control: no scanout");
        hk_damage_clear(&c->damage); /* the app uploads a new scanout completely */
    }
    if (c->scanout.format == HK_FORMAT_NONE)
        return;
    hk_bochs_display_damage(d, &c->damage);
    hk_damage_clip(&c->damage, c->scanout.height);
    if (c->damage_inflight || c->damage.n == 0 || c->outq_len)
        return;
    struct hk_msg m = {.type = HK_EV_DAMAGE};
    m.u.damage.seq = ++c->damage_seq;
    m.u.damage.count = c->damage.n;
    memcpy(m.u.damage.r, c->damage.r, c->damage.n * sizeof(c->damage.r[0]));
    if (send_msg(c, &m, -1)) {
        hk_damage_clear(&c->damage);
        c->damage_inflight = true;
    }
}

static void pump_pointer(struct hk_control *c)
{
    int abs = hk_pc_pointer_is_absolute(c->pc) ? 1 : 0;
    if (abs == c->pointer_abs)
        return;
    struct hk_msg m = {.type = HK_EV_POINTER_MODE};
    m.u.absolute = abs;
    if (send_msg(c, &m, -1))
        c->pointer_abs = abs;
}

#define NET_PERIOD_NS 500000000ull /* counters at most twice a second */

static void pump_net(struct hk_control *c)
{
    struct hk_net_stats st;
    struct hk_net_state ns;
    if (!hk_pc_net_stats(c->pc, &st, &ns))
        return;
    uint64_t now = hk_now_ns();
    if (c->net_sent_once && now - c->net_sent_ns < NET_PERIOD_NS)
        return;
    struct hk_msg m = {.type = HK_EV_NET};
    struct hk_msg_net *n = &m.u.net;
    n->flags = (ns.link_up ? HK_NET_EV_LINK_UP : 0) | (ns.cable ? HK_NET_EV_CABLE : 0) |
               (ns.backend ? HK_NET_EV_BACKEND : 0) | (ns.driver_ok ? HK_NET_EV_DRIVER_OK : 0);
    n->rx_frames = st.rx_frames;
    n->rx_bytes = st.rx_bytes;
    n->tx_frames = st.tx_frames;
    n->tx_bytes = st.tx_bytes;
    n->rx_dropped = st.rx_dropped;
    n->tx_dropped = st.tx_dropped;
    const struct hk_msg_net *o = &c->net_sent;
    if (c->net_sent_once && n->flags == o->flags && n->rx_frames == o->rx_frames &&
        n->rx_bytes == o->rx_bytes && n->tx_frames == o->tx_frames && n->tx_bytes == o->tx_bytes &&
        n->rx_dropped == o->rx_dropped && n->tx_dropped == o->tx_dropped)
        return;
    if (send_msg(c, &m, -1)) {
        c->net_sent = *n;
        c->net_sent_once = true;
        c->net_sent_ns = now;
    }
}

static void pump(struct hk_control *c)
{
    if (c->closed || !flush_outq(c))
        return;
    pump_facts(c);
    if (!c->hello_ok)
        return; /* the rest only once the app speaks our version */
    uint32_t st = current_state(c);
    if ((int)st != c->sent_state && st != HK_STATE_STOPPED)
        send_state(c, st, 0, "");
    pump_serial(c);
    pump_pointer(c);
    pump_net(c);
    pump_display(c);
}

static void wake_cb(void *opaque)
{
    struct hk_control *c = opaque;
    pthread_mutex_lock(&c->lock);
    c->wake_pending = false;
    pthread_mutex_unlock(&c->lock);
    pump(c);
}

static void refresh_cb(void *opaque)
{
    pump(opaque);
}

/* ---- commands ---- */

static void handle_command(struct hk_control *c, const struct hk_msg *m)
{
    struct hk_pc *pc = c->pc;
    struct hk_vm *vm = &pc->vm;
    if (m->type == HK_MSG_HELLO) {
        if (m->u.hello.magic != HK_PROTO_MAGIC || m->u.hello.version != HK_PROTO_VERSION) {
            hk_logf(vm->log, HK_LOG_WARN, "control: the app speaks protocol %u, not %u",
                    m->u.hello.version, HK_PROTO_VERSION);
            connection_lost(c, "protocol version mismatch");
            return;
        }
        c->hello_ok = true;
        hk_logf(vm->log, HK_LOG_INFO, "control: the app (pid %u) is connected, protocol %u",
                m->u.hello.pid, m->u.hello.version);
        hk_timer_arm(c->refresh, REFRESH_NS, REFRESH_NS);
        return;
    }
    if (!c->hello_ok) {
        hk_logf(vm->log, HK_LOG_WARN, "control: %s before HELLO ignored",
                hk_proto_type_name(m->type));
        return;
    }
    switch (m->type) {
    case HK_CMD_START:
        if (c->started) {
            send_result(c, m->type, 0, -EALREADY, "the virtual machine is already running");
            break;
        }
        c->started = true;
        hk_logf(vm->log, HK_LOG_INFO, "control: starting the guest");
        if (hk_vm_start(vm) != 0)
            send_result(c, m->type, 0, -EIO, vm->log->last_error);
        break;
    case HK_CMD_PAUSE:
        if (c->started)
            hk_vm_pause(vm);
        break;
    case HK_CMD_RESUME:
        if (c->started)
            hk_vm_resume(vm);
        break;
    case HK_CMD_RESET: hk_vm_request_reset(vm, "reset by the user"); break;
    case HK_CMD_POWER_BUTTON: hk_pc_power_button(pc); break;
    case HK_CMD_POWER_OFF: hk_vm_request_stop(vm, 0, "turned off by the user"); break;
    case HK_CMD_KEY: hk_pc_key(pc, m->u.key.code, m->u.key.down); break;
    case HK_CMD_POINTER_ABS:
        hk_pc_pointer_abs(pc, (uint32_t)m->u.pointer.x, (uint32_t)m->u.pointer.y, m->u.pointer.dz,
                          m->u.pointer.buttons);
        break;
    case HK_CMD_POINTER_REL:
        hk_pc_pointer_rel(pc, m->u.pointer.x, m->u.pointer.y, m->u.pointer.dz,
                          m->u.pointer.buttons);
        break;
    case HK_CMD_CD_CHANGE:
    case HK_CMD_CD_EJECT: {
        const char *path = m->type == HK_CMD_CD_CHANGE ? m->u.path.path : NULL;
        vm->log->last_error[0] = 0;
        int r = hk_pc_cdrom_change(pc, path);
        send_result(c, m->type, m->u.path.id, r < 0 ? -EIO : 0,
                    r < 0 ? (vm->log->last_error[0] ? vm->log->last_error
                                                    : "this virtual machine has no CD/DVD drive")
                          : "");
        break;
    }
    case HK_CMD_SCREENSHOT: {
        int r = pc->have_display ? hk_screenshot_png(&pc->display, m->u.path.path) : -1;
        int err = errno;
        send_result(c, m->type, m->u.path.id, r < 0 ? -(err ? err : EIO) : 0,
                    r < 0 ? (pc->have_display ? strerror(err ? err : EIO)
                                              : "this virtual machine has no display")
                          : "");
        break;
    }
    case HK_CMD_SERIAL_INPUT: {
        size_t n = hk_serial_input(&pc->com1, m->u.bytes.data, m->u.bytes.len);
        if (n < m->u.bytes.len)
            hk_logf(vm->log, HK_LOG_INFO, "control: serial input buffer full, %zu bytes dropped",
                    (size_t)m->u.bytes.len - n);
        break;
    }
    case HK_CMD_DISPLAY_ACK:
        if (m->u.ack_seq == c->damage_seq)
            c->damage_inflight = false;
        break;
    case HK_CMD_NET_LINK: {
        int r = hk_pc_net_set_link(pc, m->u.link_up);
        send_result(c, m->type, 0, r < 0 ? -ENODEV : 0,
                    r < 0 ? "this virtual machine has no network card" : "");
        c->net_sent_once = false; /* the new state goes out at once */
        break;
    }
    default:
        hk_logf(vm->log, HK_LOG_WARN, "control: the app sent an event (%s)",
                hk_proto_type_name(m->type));
        break;
    }
}

static void socket_cb(void *opaque, uint32_t events)
{
    struct hk_control *c = opaque;
    if (events & EPOLLIN) {
        /* a bounded batch keeps timers and doorbells going under a flood of input */
        for (int i = 0; i < 256 && !c->closed; i++) {
            struct hk_msg m;
            int r = hk_proto_recv(c->fd, &m, NULL);
            if (r == HK_PROTO_AGAIN)
                break;
            if (r == HK_PROTO_EOF) {
                connection_lost(c, "the app closed the control socket");
                return;
            }
            if (r == HK_PROTO_ESOCKET) {
                connection_lost(c, "the control socket failed");
                return;
            }
            if (r != HK_PROTO_OK) {
                hk_logf(c->pc->vm.log, HK_LOG_WARN, "control: malformed message (%s) ignored",
                        hk_proto_error_name(r));
                continue;
            }
            if (!hk_proto_is_command(m.type)) {
                hk_logf(c->pc->vm.log, HK_LOG_WARN, "control: the app sent an event (%s)",
                        hk_proto_type_name(m.type));
                continue;
            }
            handle_command(c, &m);
        }
    } else if (events & (EPOLLHUP | EPOLLERR)) {
        connection_lost(c, "the app closed the control socket");
        return;
    }
    pump(c);
}

/* ---- life cycle ---- */

int hk_control_check_fd(int fd, char *why, size_t why_len)
{
    int type = 0;
    socklen_t len = sizeof(type);
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0) {
        snprintf(why, why_len, "%s", strerror(errno));
        return -1;
    }
    if (type != SOCK_SEQPACKET) {
        snprintf(why, why_len, "not a SOCK_SEQPACKET socket");
        return -1;
    }
    return 0;
}

static void send_hello(int fd)
{
    struct hk_msg m = {.type = HK_MSG_HELLO};
    m.u.hello.magic = HK_PROTO_MAGIC;
    m.u.hello.version = HK_PROTO_VERSION;
    m.u.hello.pid = (uint32_t)getpid();
    hk_proto_send(fd, &m, -1);
}

struct hk_control *hk_control_new(struct hk_pc *pc, struct hk_loop *loop, int fd, FILE *tee)
{
    struct hk_control *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->pc = pc;
    c->loop = loop;
    c->fd = fd;
    c->tee = tee;
    c->last_fact_seq = -1;
    c->pointer_abs = -1;
    c->sent_state = -1;
    pthread_mutex_init(&c->lock, NULL);
    c->serial = malloc(SERIAL_BUF);
    c->facts = calloc(FACT_QUEUE, sizeof(*c->facts));
    c->outq = calloc(OUTQ_MAX, sizeof(*c->outq));
    c->refresh = hk_timer_new(loop, refresh_cb, c);
    c->watch = hk_loop_watch(loop, fd, EPOLLIN, socket_cb, c);
    if (!c->serial || !c->facts || !c->outq || !c->refresh || !c->watch) {
        if (c->watch)
            hk_watch_remove(c->watch);
        c->watch = NULL;
        if (c->refresh)
            hk_timer_arm(c->refresh, 0, 0);
        c->refresh = NULL;
        free(c->serial);
        free(c->facts);
        free(c->outq);
        pthread_mutex_destroy(&c->lock);
        free(c);
        return NULL;
    }
    send_hello(fd);
    /* listener first, then the timeline so far: push_fact_locked drops the overlap */
    hk_facts_set_listener(&pc->vm.facts, fact_listener, c);
    hk_facts_foreach(&pc->vm.facts, fact_initial, c);
    hk_serial_set_sink(&pc->com1, serial_sink, c);
    pump(c);
    /* facts and state flow before the app's HELLO; the display only after it */
    hk_timer_arm(c->refresh, 100000000ull, 100000000ull);
    return c;
}

static void send_blocking(struct hk_control *c, const struct hk_msg *m)
{
    for (int tries = 0; tries < 20 && !c->closed; tries++) {
        if (flush_outq(c)) {
            int r = hk_proto_send(c->fd, m, -1);
            if (r != HK_PROTO_AGAIN)
                return;
        }
        struct pollfd p = {.fd = c->fd, .events = POLLOUT};
        poll(&p, 1, 50);
    }
}

void hk_control_finish(struct hk_control *c, int exit_status, const char *reason)
{
    if (c->closed)
        return;
    /* what the guest said last, then why we stop */
    pump_facts(c);
    pump_serial(c);
    struct hk_msg m = {.type = HK_EV_STATE};
    m.u.state.state = HK_STATE_STOPPED;
    m.u.state.exit_code = exit_status;
    snprintf(m.u.state.reason, sizeof(m.u.state.reason), "%s", reason ? reason : "");
    send_blocking(c, &m);
}

void hk_control_free(struct hk_control *c)
{
    if (!c)
        return;
    hk_facts_set_listener(&c->pc->vm.facts, NULL, NULL);
    hk_serial_set_sink(&c->pc->com1, NULL, NULL);
    if (c->watch)
        hk_watch_remove(c->watch);
    if (c->refresh)
        hk_timer_arm(c->refresh, 0, 0);
    close(c->fd);
    free(c->serial);
    free(c->facts);
    free(c->outq);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

struct failure_ctx {
    int fd;
};

static void failure_fact(void *opaque, const struct hk_fact *f)
{
    struct failure_ctx *x = opaque;
    struct hk_msg m = {.type = HK_EV_FACT};
    m.u.fact = *f;
    for (int tries = 0; tries < 20; tries++) {
        if (hk_proto_send(x->fd, &m, -1) != HK_PROTO_AGAIN)
            return;
        struct pollfd p = {.fd = x->fd, .events = POLLOUT};
        poll(&p, 1, 50);
    }
}

void hk_control_report_failure(int fd, struct hk_facts *facts, int exit_status, const char *reason)
{
    struct failure_ctx x = {.fd = fd};
    send_hello(fd);
    if (facts)
        hk_facts_foreach(facts, failure_fact, &x);
    struct hk_msg m = {.type = HK_EV_STATE};
    m.u.state.state = HK_STATE_STOPPED;
    m.u.state.exit_code = exit_status;
    snprintf(m.u.state.reason, sizeof(m.u.state.reason), "%s", reason ? reason : "");
    hk_proto_send(fd, &m, -1);
    close(fd);
}
