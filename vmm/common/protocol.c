/*
 * The control protocol codec (hako/protocol.h): fixed little-endian layouts, strict validation,
 * SCM_RIGHTS helpers and damage merging. Plain C11 + POSIX, no GLib: linked by hako-vmm and by the
 * app. Nothing here keeps state between calls.
 */
#include "hako/protocol.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* the largest packet: a fact with its text, both paths and its instruction bytes */
_Static_assert(HK_PROTO_HEADER_SIZE + 8 + 4 + 4 + 3 * 8 + 4 + 2 * (2 + HK_FACT_PATHS) +
                       HK_FACT_TEXT_MAX - 1 + HK_FACT_PATHS * (HK_FACT_PATH_MAX - 1) +
                       HK_FACT_INSN_MAX <=
                   HK_PROTO_MAX_MSG,
               "a fact fits one packet");

/* ---- little-endian field access ---- */

struct wbuf {
    uint8_t *p;
    size_t cap, len;
    bool overflow;
};

static void put_bytes(struct wbuf *w, const void *data, size_t n)
{
    if (w->overflow || n > w->cap - w->len) {
        w->overflow = true;
        return;
    }
    if (n)
        memcpy(w->p + w->len, data, n);
    w->len += n;
}

static void put_u16(struct wbuf *w, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    put_bytes(w, b, 2);
}

static void put_u32(struct wbuf *w, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    put_bytes(w, b, 4);
}

static void put_u64(struct wbuf *w, uint64_t v)
{
    put_u32(w, (uint32_t)v);
    put_u32(w, (uint32_t)(v >> 32));
}

struct rbuf {
    const uint8_t *p;
    size_t len, pos;
    bool short_read;
};

static bool get_bytes(struct rbuf *r, void *out, size_t n)
{
    if (r->short_read || n > r->len - r->pos) {
        r->short_read = true;
        memset(out, 0, n);
        return false;
    }
    memcpy(out, r->p + r->pos, n);
    r->pos += n;
    return true;
}

static uint16_t get_u16(struct rbuf *r)
{
    uint8_t b[2];
    get_bytes(r, b, 2);
    return (uint16_t)(b[0] | b[1] << 8);
}

static uint32_t get_u32(struct rbuf *r)
{
    uint8_t b[4];
    get_bytes(r, b, 4);
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static uint64_t get_u64(struct rbuf *r)
{
    uint64_t lo = get_u32(r);
    return lo | (uint64_t)get_u32(r) << 32;
}

static size_t rest(const struct rbuf *r)
{
    return r->short_read ? 0 : r->len - r->pos;
}

/* ---- names ---- */

const char *hk_proto_type_name(uint32_t type)
{
    switch (type) {
    case HK_MSG_HELLO: return "hello";
    case HK_CMD_START: return "start";
    case HK_CMD_PAUSE: return "pause";
    case HK_CMD_RESUME: return "resume";
    case HK_CMD_RESET: return "reset";
    case HK_CMD_POWER_BUTTON: return "power-button";
    case HK_CMD_POWER_OFF: return "power-off";
    case HK_CMD_KEY: return "key";
    case HK_CMD_POINTER_ABS: return "pointer-abs";
    case HK_CMD_POINTER_REL: return "pointer-rel";
    case HK_CMD_CD_CHANGE: return "cd-change";
    case HK_CMD_CD_EJECT: return "cd-eject";
    case HK_CMD_SCREENSHOT: return "screenshot";
    case HK_CMD_SERIAL_INPUT: return "serial-input";
    case HK_CMD_DISPLAY_ACK: return "display-ack";
    case HK_CMD_NET_LINK: return "net-link";
    case HK_EV_STATE: return "state";
    case HK_EV_SCANOUT: return "scanout";
    case HK_EV_DAMAGE: return "damage";
    case HK_EV_POINTER_MODE: return "pointer-mode";
    case HK_EV_SERIAL: return "serial";
    case HK_EV_FACT: return "fact";
    case HK_EV_RESULT: return "result";
    case HK_EV_NET: return "net";
    default: return "unknown";
    }
}

const char *hk_proto_error_name(int err)
{
    switch (err) {
    case HK_PROTO_OK: return "ok";
    case HK_PROTO_ETRUNC: return "truncated";
    case HK_PROTO_ELENGTH: return "bad length";
    case HK_PROTO_ETYPE: return "unknown type";
    case HK_PROTO_EVALUE: return "value out of range";
    case HK_PROTO_ESTRING: return "bad string";
    case HK_PROTO_ENOSPC: return "no space";
    case HK_PROTO_EFLAGS: return "bad flags";
    case HK_PROTO_ESOCKET: return "socket error";
    default: return "error";
    }
}

bool hk_proto_is_command(uint32_t type)
{
    return type == HK_MSG_HELLO || (type >= HK_CMD_START && type <= HK_CMD_NET_LINK);
}

bool hk_proto_is_event(uint32_t type)
{
    return type == HK_MSG_HELLO || (type >= HK_EV_STATE && type <= HK_EV_NET);
}

unsigned hk_proto_format_bpp(uint32_t format)
{
    switch (format) {
    case HK_FORMAT_XRGB8888:
    case HK_FORMAT_BGRX8888: return 4;
    case HK_FORMAT_RGB565:
    case HK_FORMAT_RGB565_BE: return 2;
    default: return 0;
    }
}

/* ---- strings ---- */

static void put_string(struct wbuf *w, const char *s, size_t max)
{
    size_t n = strnlen(s, max + 1);
    if (n > max)
        n = max;
    put_bytes(w, s, n);
}

/* A string of n bytes (at most max, no NUL) into out, terminated. */
static int get_counted(struct rbuf *r, char *out, size_t n, size_t max)
{
    out[0] = 0;
    if (n > max || n > rest(r))
        return HK_PROTO_ESTRING;
    if (n && memchr(r->p + r->pos, 0, n))
        return HK_PROTO_ESTRING;
    get_bytes(r, out, n);
    out[n] = 0;
    return HK_PROTO_OK;
}

/* A trailing string: the rest of the payload, 0..max bytes (min_len 1 for paths), no NUL. */
static int get_string(struct rbuf *r, char *out, size_t max, size_t min_len)
{
    size_t n = rest(r);
    if (n < min_len) {
        out[0] = 0;
        return HK_PROTO_ESTRING;
    }
    return get_counted(r, out, n, max);
}

/* ---- encoding ---- */

int hk_proto_encode(const struct hk_msg *m, uint8_t *buf, size_t cap)
{
    struct wbuf w = {.p = buf, .cap = cap < HK_PROTO_MAX_MSG ? cap : HK_PROTO_MAX_MSG};
    put_u16(&w, m->type);
    put_u16(&w, m->type == HK_EV_SCANOUT ? (m->flags & HK_MSG_FLAG_FD) : 0);
    put_u32(&w, 0); /* length, patched below */

    switch (m->type) {
    case HK_MSG_HELLO:
        put_u32(&w, m->u.hello.magic);
        put_u32(&w, m->u.hello.version);
        put_u32(&w, m->u.hello.pid);
        break;
    case HK_CMD_START:
    case HK_CMD_PAUSE:
    case HK_CMD_RESUME:
    case HK_CMD_RESET:
    case HK_CMD_POWER_BUTTON:
    case HK_CMD_POWER_OFF:
    case HK_CMD_CD_EJECT: break;
    case HK_CMD_KEY:
        if (m->u.key.code == 0 || m->u.key.code > 0x2FF)
            return HK_PROTO_EVALUE;
        put_u32(&w, m->u.key.code);
        put_u32(&w, m->u.key.down ? 1 : 0);
        break;
    case HK_CMD_POINTER_ABS:
    case HK_CMD_POINTER_REL:
        put_u32(&w, (uint32_t)m->u.pointer.x);
        put_u32(&w, (uint32_t)m->u.pointer.y);
        put_u32(&w, (uint32_t)m->u.pointer.dz);
        put_u32(&w, m->u.pointer.buttons & 0x1F);
        break;
    case HK_CMD_CD_CHANGE:
    case HK_CMD_SCREENSHOT: {
        size_t n = strnlen(m->u.path.path, HK_PROTO_MAX_PATH + 1);
        if (n == 0 || n > HK_PROTO_MAX_PATH)
            return HK_PROTO_ESTRING;
        put_u32(&w, m->u.path.id);
        put_string(&w, m->u.path.path, HK_PROTO_MAX_PATH);
        break;
    }
    case HK_CMD_SERIAL_INPUT:
    case HK_EV_SERIAL:
        if (m->u.bytes.len == 0 || m->u.bytes.len > HK_PROTO_MAX_SERIAL)
            return HK_PROTO_EVALUE;
        put_bytes(&w, m->u.bytes.data, m->u.bytes.len);
        break;
    case HK_CMD_DISPLAY_ACK: put_u32(&w, m->u.ack_seq); break;
    case HK_EV_STATE:
        if (m->u.state.state > HK_STATE_STOPPED)
            return HK_PROTO_EVALUE;
        put_u32(&w, m->u.state.state);
        put_u32(&w, (uint32_t)m->u.state.exit_code);
        put_string(&w, m->u.state.reason, HK_PROTO_MAX_TEXT);
        break;
    case HK_EV_SCANOUT:
        put_u32(&w, m->u.scanout.format);
        put_u32(&w, m->u.scanout.width);
        put_u32(&w, m->u.scanout.height);
        put_u32(&w, m->u.scanout.stride);
        put_u64(&w, m->u.scanout.offset);
        put_u64(&w, m->u.scanout.vram_size);
        break;
    case HK_EV_DAMAGE: {
        const struct hk_msg_damage *d = &m->u.damage;
        if (d->count == 0 || d->count > HK_PROTO_MAX_DAMAGE)
            return HK_PROTO_EVALUE;
        put_u32(&w, d->seq);
        put_u32(&w, d->count);
        for (unsigned i = 0; i < d->count; i++) {
            if (d->r[i].y0 >= d->r[i].y1 || d->r[i].y1 > HK_PROTO_MAX_DIM)
                return HK_PROTO_EVALUE;
            put_u32(&w, d->r[i].y0);
            put_u32(&w, d->r[i].y1);
        }
        break;
    }
    case HK_EV_POINTER_MODE: put_u32(&w, m->u.absolute ? 1 : 0); break;
    case HK_EV_FACT: {
        const struct hk_fact *f = &m->u.fact;
        put_u64(&w, f->t_ns);
        put_u32(&w, f->kind);
        put_u32(&w, f->seq);
        put_u64(&w, (uint64_t)f->a);
        put_u64(&w, (uint64_t)f->b);
        put_u64(&w, (uint64_t)f->c);
        put_u32(&w, f->flags);
        /* the text, the paths and the instruction bytes, their lengths in front */
        size_t tn = strnlen(f->text, HK_FACT_TEXT_MAX);
        if (tn >= HK_FACT_TEXT_MAX)
            return HK_PROTO_ESTRING;
        size_t pn[HK_FACT_PATHS];
        for (unsigned i = 0; i < HK_FACT_PATHS; i++) {
            pn[i] = strnlen(f->path[i], HK_FACT_PATH_MAX);
            if (pn[i] >= HK_FACT_PATH_MAX)
                return HK_PROTO_ESTRING;
        }
        if (f->insn_len > HK_FACT_INSN_MAX)
            return HK_PROTO_EVALUE;
        put_u16(&w, (uint16_t)tn);
        for (unsigned i = 0; i < HK_FACT_PATHS; i++)
            put_u16(&w, (uint16_t)pn[i]);
        put_u16(&w, (uint16_t)f->insn_len);
        put_bytes(&w, f->text, tn);
        for (unsigned i = 0; i < HK_FACT_PATHS; i++)
            put_bytes(&w, f->path[i], pn[i]);
        put_bytes(&w, f->insn, f->insn_len);
        break;
    }
    case HK_CMD_NET_LINK: put_u32(&w, m->u.link_up ? 1 : 0); break;
    case HK_EV_NET: {
        const struct hk_msg_net *n = &m->u.net;
        if (n->flags & ~0xFu)
            return HK_PROTO_EVALUE;
        put_u32(&w, n->flags);
        put_u64(&w, n->rx_frames);
        put_u64(&w, n->rx_bytes);
        put_u64(&w, n->tx_frames);
        put_u64(&w, n->tx_bytes);
        put_u64(&w, n->rx_dropped);
        put_u64(&w, n->tx_dropped);
        break;
    }
    case HK_EV_RESULT:
        put_u32(&w, m->u.result.command);
        put_u32(&w, m->u.result.id);
        put_u32(&w, (uint32_t)m->u.result.status);
        put_string(&w, m->u.result.message, HK_PROTO_MAX_TEXT);
        break;
    default: return HK_PROTO_ETYPE;
    }
    if (w.overflow)
        return HK_PROTO_ENOSPC;
    uint32_t plen = (uint32_t)(w.len - HK_PROTO_HEADER_SIZE);
    buf[4] = (uint8_t)plen;
    buf[5] = (uint8_t)(plen >> 8);
    buf[6] = (uint8_t)(plen >> 16);
    buf[7] = (uint8_t)(plen >> 24);
    return (int)w.len;
}

/* ---- decoding ---- */

static int decode_payload(struct rbuf *r, struct hk_msg *m)
{
    switch (m->type) {
    case HK_MSG_HELLO:
        m->u.hello.magic = get_u32(r);
        m->u.hello.version = get_u32(r);
        m->u.hello.pid = get_u32(r);
        break;
    case HK_CMD_START:
    case HK_CMD_PAUSE:
    case HK_CMD_RESUME:
    case HK_CMD_RESET:
    case HK_CMD_POWER_BUTTON:
    case HK_CMD_POWER_OFF:
    case HK_CMD_CD_EJECT: break;
    case HK_CMD_KEY: {
        m->u.key.code = get_u32(r);
        uint32_t down = get_u32(r);
        if (r->short_read)
            return HK_PROTO_ETRUNC;
        if (m->u.key.code == 0 || m->u.key.code > 0x2FF || down > 1)
            return HK_PROTO_EVALUE;
        m->u.key.down = down;
        break;
    }
    case HK_CMD_POINTER_ABS:
    case HK_CMD_POINTER_REL: {
        struct hk_msg_pointer *p = &m->u.pointer;
        p->x = (int32_t)get_u32(r);
        p->y = (int32_t)get_u32(r);
        p->dz = (int32_t)get_u32(r);
        p->buttons = get_u32(r);
        if (r->short_read)
            return HK_PROTO_ETRUNC;
        if (p->buttons & ~0x1Fu || p->dz < -255 || p->dz > 255)
            return HK_PROTO_EVALUE;
        if (m->type == HK_CMD_POINTER_ABS) {
            if (p->x < 0 || p->x > 0xFFFF || p->y < 0 || p->y > 0xFFFF)
                return HK_PROTO_EVALUE;
        } else if (p->x < -0xFFFF || p->x > 0xFFFF || p->y < -0xFFFF || p->y > 0xFFFF) {
            return HK_PROTO_EVALUE;
        }
        break;
    }
    case HK_CMD_CD_CHANGE:
    case HK_CMD_SCREENSHOT:
        m->u.path.id = get_u32(r);
        if (r->short_read)
            return HK_PROTO_ETRUNC;
        return get_string(r, m->u.path.path, HK_PROTO_MAX_PATH, 1);
    case HK_CMD_SERIAL_INPUT:
    case HK_EV_SERIAL: {
        size_t n = rest(r);
        if (n == 0 || n > HK_PROTO_MAX_SERIAL)
            return HK_PROTO_EVALUE;
        m->u.bytes.len = (uint32_t)n;
        get_bytes(r, m->u.bytes.data, n);
        break;
    }
    case HK_CMD_DISPLAY_ACK: m->u.ack_seq = get_u32(r); break;
    case HK_EV_STATE:
        m->u.state.state = get_u32(r);
        m->u.state.exit_code = (int32_t)get_u32(r);
        if (r->short_read)
            return HK_PROTO_ETRUNC;
        if (m->u.state.state > HK_STATE_STOPPED)
            return HK_PROTO_EVALUE;
        return get_string(r, m->u.state.reason, HK_PROTO_MAX_TEXT, 0);
    case HK_EV_SCANOUT: {
        struct hk_msg_scanout *s = &m->u.scanout;
        s->format = get_u32(r);
        s->width = get_u32(r);
        s->height = get_u32(r);
        s->stride = get_u32(r);
        s->offset = get_u64(r);
        s->vram_size = get_u64(r);
        if (r->short_read)
            return HK_PROTO_ETRUNC;
        if (s->format == HK_FORMAT_NONE) {
            if (s->width || s->height || s->stride || s->offset)
                return HK_PROTO_EVALUE;
        } else if (!hk_proto_scanout_valid(s, s->vram_size)) {
            return HK_PROTO_EVALUE;
        }
        break;
    }
    case HK_EV_DAMAGE: {
        struct hk_msg_damage *d = &m->u.damage;
        d->seq = get_u32(r);
        d->count = get_u32(r);
        if (r->short_read)
            return HK_PROTO_ETRUNC;
        if (d->count == 0 || d->count > HK_PROTO_MAX_DAMAGE)
            return HK_PROTO_EVALUE;
        for (unsigned i = 0; i < d->count; i++) {
            d->r[i].y0 = get_u32(r);
            d->r[i].y1 = get_u32(r);
            if (r->short_read)
                return HK_PROTO_ETRUNC;
            if (d->r[i].y0 >= d->r[i].y1 || d->r[i].y1 > HK_PROTO_MAX_DIM)
                return HK_PROTO_EVALUE;
        }
        break;
    }
    case HK_EV_POINTER_MODE: {
        uint32_t v = get_u32(r);
        if (r->short_read)
            return HK_PROTO_ETRUNC;
        if (v > 1)
            return HK_PROTO_EVALUE;
        m->u.absolute = v;
        break;
    }
    case HK_EV_FACT: {
        struct hk_fact *f = &m->u.fact;
        f->t_ns = get_u64(r);
        f->kind = get_u32(r);
        f->seq = get_u32(r);
        f->a = (int64_t)get_u64(r);
        f->b = (int64_t)get_u64(r);
        f->c = (int64_t)get_u64(r);
        f->flags = get_u32(r);
        size_t tn = get_u16(r), pn[HK_FACT_PATHS];
        for (unsigned i = 0; i < HK_FACT_PATHS; i++)
            pn[i] = get_u16(r);
        size_t ilen = get_u16(r);
        if (r->short_read)
            return HK_PROTO_ETRUNC;
        size_t total = tn + ilen;
        for (unsigned i = 0; i < HK_FACT_PATHS; i++)
            total += pn[i];
        if (total != rest(r))
            return HK_PROTO_ELENGTH;
        if (ilen > HK_FACT_INSN_MAX)
            return HK_PROTO_EVALUE;
        int err = get_counted(r, f->text, tn, HK_FACT_TEXT_MAX - 1);
        for (unsigned i = 0; i < HK_FACT_PATHS && err == HK_PROTO_OK; i++)
            err = get_counted(r, f->path[i], pn[i], HK_FACT_PATH_MAX - 1);
        if (err == HK_PROTO_OK) {
            f->insn_len = (uint32_t)ilen;
            get_bytes(r, f->insn, ilen);
        }
        return err;
    }
    case HK_CMD_NET_LINK: {
        uint32_t v = get_u32(r);
        if (r->short_read)
            return HK_PROTO_ETRUNC;
        if (v > 1)
            return HK_PROTO_EVALUE;
        m->u.link_up = v;
        break;
    }
    case HK_EV_NET: {
        struct hk_msg_net *n = &m->u.net;
        n->flags = get_u32(r);
        n->rx_frames = get_u64(r);
        n->rx_bytes = get_u64(r);
        n->tx_frames = get_u64(r);
        n->tx_bytes = get_u64(r);
        n->rx_dropped = get_u64(r);
        n->tx_dropped = get_u64(r);
        if (r->short_read)
            return HK_PROTO_ETRUNC;
        if (n->flags & ~0xFu)
            return HK_PROTO_EVALUE;
        break;
    }
    case HK_EV_RESULT:
        m->u.result.command = get_u32(r);
        m->u.result.id = get_u32(r);
        m->u.result.status = (int32_t)get_u32(r);
        if (r->short_read)
            return HK_PROTO_ETRUNC;
        if (!hk_proto_is_command(m->u.result.command) || m->u.result.status > 0)
            return HK_PROTO_EVALUE;
        return get_string(r, m->u.result.message, HK_PROTO_MAX_TEXT, 0);
    default: return HK_PROTO_ETYPE;
    }
    if (r->short_read)
        return HK_PROTO_ETRUNC;
    return HK_PROTO_OK;
}

int hk_proto_decode(const uint8_t *buf, size_t len, struct hk_msg *m)
{
    memset(m, 0, sizeof(*m));
    if (len < HK_PROTO_HEADER_SIZE)
        return HK_PROTO_ETRUNC;
    if (len > HK_PROTO_MAX_MSG)
        return HK_PROTO_ELENGTH;
    struct rbuf r = {.p = buf, .len = len};
    uint16_t type = get_u16(&r);
    uint16_t flags = get_u16(&r);
    uint32_t plen = get_u32(&r);
    if (plen != len - HK_PROTO_HEADER_SIZE)
        return HK_PROTO_ELENGTH;
    if (!hk_proto_is_command(type) && !hk_proto_is_event(type))
        return HK_PROTO_ETYPE;
    if (flags & ~HK_MSG_FLAG_FD || ((flags & HK_MSG_FLAG_FD) && type != HK_EV_SCANOUT))
        return HK_PROTO_EFLAGS;
    m->type = type;
    m->flags = flags;
    int err = decode_payload(&r, m);
    if (err == HK_PROTO_OK && rest(&r) != 0)
        err = HK_PROTO_ELENGTH; /* trailing bytes after the fixed fields */
    if (err != HK_PROTO_OK)
        memset(m, 0, sizeof(*m));
    return err;
}

bool hk_proto_scanout_valid(const struct hk_msg_scanout *s, uint64_t vram_size)
{
    unsigned bpp = hk_proto_format_bpp(s->format);
    if (!bpp || s->width == 0 || s->height == 0 || s->width > HK_PROTO_MAX_DIM ||
        s->height > HK_PROTO_MAX_DIM)
        return false;
    uint64_t row = (uint64_t)s->width * bpp;
    if (s->stride < row || s->stride % bpp)
        return false;
    uint64_t span = (uint64_t)s->stride * (s->height - 1) + row;
    return s->offset <= vram_size && span <= vram_size - s->offset;
}

/* ---- sockets ---- */

int hk_proto_send(int sock, const struct hk_msg *m, int pass_fd)
{
    uint8_t buf[HK_PROTO_MAX_MSG];
    struct hk_msg copy = *m;
    if (pass_fd >= 0)
        copy.flags |= HK_MSG_FLAG_FD;
    else
        copy.flags &= (uint16_t)~HK_MSG_FLAG_FD;
    int len = hk_proto_encode(&copy, buf, sizeof(buf));
    if (len < 0)
        return len;
    struct iovec iov = {.iov_base = buf, .iov_len = (size_t)len};
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int))];
    } ctl;
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
    if (pass_fd >= 0) {
        memset(&ctl, 0, sizeof(ctl));
        mh.msg_control = ctl.buf;
        mh.msg_controllen = sizeof(ctl.buf);
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
    }
    for (;;) {
        ssize_t n = sendmsg(sock, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n == len)
            return HK_PROTO_OK;
        if (n >= 0) {
            errno = EIO; /* cannot happen on SOCK_SEQPACKET */
            return HK_PROTO_ESOCKET;
        }
        if (errno == EINTR)
            continue;
        return errno == EAGAIN || errno == EWOULDBLOCK ? HK_PROTO_AGAIN : HK_PROTO_ESOCKET;
    }
}

int hk_proto_recv(int sock, struct hk_msg *m, int *fd_out)
{
    uint8_t buf[HK_PROTO_MAX_MSG];
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(4 * sizeof(int))];
    } ctl;
    struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
    struct msghdr mh = {.msg_iov = &iov,
                        .msg_iovlen = 1,
                        .msg_control = ctl.buf,
                        .msg_controllen = sizeof(ctl.buf)};
    if (fd_out)
        *fd_out = -1;
    memset(m, 0, sizeof(*m));
    ssize_t n;
    do {
        n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK ? HK_PROTO_AGAIN : HK_PROTO_ESOCKET;
    if (n == 0)
        return HK_PROTO_EOF; /* neither side sends empty packets */

    int got_fd = -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        size_t nfds = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < nfds; i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
            if (got_fd < 0)
                got_fd = fd;
            else
                close(fd);
        }
    }
    int err = (mh.msg_flags & MSG_TRUNC) ? HK_PROTO_ELENGTH : hk_proto_decode(buf, (size_t)n, m);
    if (err == HK_PROTO_OK && (m->flags & HK_MSG_FLAG_FD) && got_fd < 0)
        err = HK_PROTO_EFLAGS; /* announced a descriptor but none arrived */
    if (err == HK_PROTO_OK && (m->flags & HK_MSG_FLAG_FD) && fd_out) {
        *fd_out = got_fd;
        got_fd = -1;
    }
    if (got_fd >= 0)
        close(got_fd);
    if (err != HK_PROTO_OK)
        memset(m, 0, sizeof(*m));
    return err;
}

/* ---- damage ---- */

void hk_damage_clear(struct hk_damage *d)
{
    d->n = 0;
}

static void remove_at(struct hk_damage *d, unsigned i)
{
    memmove(&d->r[i], &d->r[i + 1], (d->n - i - 1) * sizeof(d->r[0]));
    d->n--;
}

void hk_damage_add(struct hk_damage *d, uint32_t y0, uint32_t y1)
{
    if (y0 >= y1)
        return;
    if (d->n > HK_PROTO_MAX_DAMAGE)
        d->n = HK_PROTO_MAX_DAMAGE;
    /* first range that ends at or after y0 (touching counts: [0,5) + [5,9) = [0,9)) */
    unsigned i = 0;
    while (i < d->n && d->r[i].y1 < y0)
        i++;
    if (i < d->n && d->r[i].y0 <= y1) {
        /* overlaps or touches range i: grow it and swallow the ones it now reaches */
        if (y0 < d->r[i].y0)
            d->r[i].y0 = y0;
        if (y1 > d->r[i].y1)
            d->r[i].y1 = y1;
        while (i + 1 < d->n && d->r[i + 1].y0 <= d->r[i].y1) {
            if (d->r[i + 1].y1 > d->r[i].y1)
                d->r[i].y1 = d->r[i + 1].y1;
            remove_at(d, i + 1);
        }
        return;
    }
    if (d->n == HK_PROTO_MAX_DAMAGE) {
        /* full: insert virtually, then merge the pair with the smallest gap */
        struct hk_row_range tmp[HK_PROTO_MAX_DAMAGE + 1];
        memcpy(tmp, d->r, i * sizeof(tmp[0]));
        tmp[i] = (struct hk_row_range){y0, y1};
        memcpy(&tmp[i + 1], &d->r[i], (d->n - i) * sizeof(tmp[0]));
        unsigned best = 0;
        uint32_t best_gap = UINT32_MAX;
        for (unsigned k = 0; k + 1 < HK_PROTO_MAX_DAMAGE + 1; k++) {
            uint32_t gap = tmp[k + 1].y0 - tmp[k].y1;
            if (gap < best_gap) {
                best_gap = gap;
                best = k;
            }
        }
        tmp[best].y1 = tmp[best + 1].y1;
        memcpy(d->r, tmp, (best + 1) * sizeof(tmp[0]));
        memcpy(&d->r[best + 1], &tmp[best + 2], (HK_PROTO_MAX_DAMAGE - best - 1) * sizeof(tmp[0]));
        return;
    }
    memmove(&d->r[i + 1], &d->r[i], (d->n - i) * sizeof(d->r[0]));
    d->r[i] = (struct hk_row_range){y0, y1};
    d->n++;
}

void hk_damage_merge(struct hk_damage *d, const struct hk_damage *other)
{
    unsigned n = other->n < HK_PROTO_MAX_DAMAGE ? other->n : HK_PROTO_MAX_DAMAGE;
    for (unsigned i = 0; i < n; i++)
        hk_damage_add(d, other->r[i].y0, other->r[i].y1);
}

void hk_damage_clip(struct hk_damage *d, uint32_t height)
{
    unsigned out = 0;
    for (unsigned i = 0; i < d->n && i < HK_PROTO_MAX_DAMAGE; i++) {
        struct hk_row_range r = d->r[i];
        if (r.y1 > height)
            r.y1 = height;
        if (r.y0 < r.y1)
            d->r[out++] = r;
    }
    d->n = out;
}

uint64_t hk_damage_rows(const struct hk_damage *d)
{
    uint64_t rows = 0;
    for (unsigned i = 0; i < d->n && i < HK_PROTO_MAX_DAMAGE; i++)
        rows += d->r[i].y1 - d->r[i].y0;
    return rows;
}

int hk_proto_seal_vram(int fd)
{
    return fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0 ? -1 : 0;
}

bool hk_proto_vram_sealed(int fd)
{
    int seals = fcntl(fd, F_GET_SEALS);
    int want = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL;
    return seals >= 0 && (seals & want) == want;
}
