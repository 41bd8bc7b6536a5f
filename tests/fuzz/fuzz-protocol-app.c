/* Fuzzes the app's side of the control protocol: what HakoEngine and HakoDisplay do with bytes
 * from the engine. Packets decoded as events are applied the way the app applies them: a scanout
 * is checked against the size of the VRAM it came with before any pixel is touched, damage is
 * clipped to the scanout and merged into the pending set (whose invariants are checked, and which
 * must still cover every row it was given), and the "upload" reads exactly the rows it names from
 * a VRAM buffer of the declared size (ASan catches any read outside it). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hako/protocol.h"
#include "synth-packet.h"

#define VRAM_SIZE (1u << 20)

struct app {
    uint8_t *vram;
    struct hk_msg_scanout scanout;
    int have_scanout;
    struct hk_damage pending;
    uint8_t covered[HK_PROTO_MAX_DIM];
    uint64_t sum;
};

static void check_damage(const struct app *a)
{
    const struct hk_damage *d = &a->pending;
    if (d->n > HK_PROTO_MAX_DAMAGE)
        abort();
    for (unsigned i = 0; i < d->n; i++) {
        if (d->r[i].y0 >= d->r[i].y1 || d->r[i].y1 > a->scanout.height)
            abort();
        if (i && d->r[i].y0 <= d->r[i - 1].y1)
            abort();
    }
    for (uint32_t y = 0; y < a->scanout.height; y++) {
        if (!a->covered[y])
            continue;
        int ok = 0;
        for (unsigned i = 0; i < d->n && !ok; i++)
            ok = y >= d->r[i].y0 && y < d->r[i].y1;
        if (!ok)
            abort(); /* a damaged row would never be uploaded */
    }
}

static void upload(struct app *a)
{
    const struct hk_msg_scanout *s = &a->scanout;
    unsigned bpp = hk_proto_format_bpp(s->format);
    for (unsigned i = 0; i < a->pending.n; i++) {
        for (uint32_t y = a->pending.r[i].y0; y < a->pending.r[i].y1; y++) {
            const uint8_t *row = a->vram + s->offset + (uint64_t)y * s->stride;
            a->sum += row[0] + row[(size_t)s->width * bpp - 1];
        }
    }
    hk_damage_clear(&a->pending);
    memset(a->covered, 0, sizeof(a->covered));
}

static void apply(struct app *a, const uint8_t *data, size_t size)
{
    struct hk_msg m;
    if (hk_proto_decode(data, size, &m) != HK_PROTO_OK || !hk_proto_is_event(m.type))
        return;
    switch (m.type) {
    case HK_EV_SCANOUT:
        /* the app trusts the size of the memfd it mapped, not the message */
        a->have_scanout =
            m.u.scanout.format != HK_FORMAT_NONE && hk_proto_scanout_valid(&m.u.scanout, VRAM_SIZE);
        a->scanout = a->have_scanout ? m.u.scanout : (struct hk_msg_scanout){0};
        hk_damage_clear(&a->pending);
        memset(a->covered, 0, sizeof(a->covered));
        if (a->have_scanout) {
            hk_damage_add(&a->pending, 0, a->scanout.height);
            memset(a->covered, 1, a->scanout.height);
        }
        break;
    case HK_EV_DAMAGE:
        if (!a->have_scanout)
            break;
        for (unsigned i = 0; i < m.u.damage.count; i++) {
            struct hk_row_range r = m.u.damage.r[i];
            hk_damage_add(&a->pending, r.y0, r.y1);
            for (uint32_t y = r.y0; y < r.y1 && y < a->scanout.height; y++)
                a->covered[y] = 1;
        }
        hk_damage_clip(&a->pending, a->scanout.height);
        check_damage(a);
        if (a->pending.n > 8)
            upload(a);
        break;
    case HK_EV_FACT:
    case HK_EV_STATE:
    case HK_EV_RESULT:
        /* strings must be terminated within their buffers */
        if (memchr(m.type == HK_EV_FACT    ? m.u.fact.text
                   : m.type == HK_EV_STATE ? m.u.state.reason
                                           : m.u.result.message,
                   0, m.type == HK_EV_FACT ? HK_FACT_TEXT_MAX : HK_PROTO_MAX_TEXT + 1) == NULL)
            abort();
        if (m.type == HK_EV_FACT) {
            for (unsigned i = 0; i < HK_FACT_PATHS; i++)
                if (memchr(m.u.fact.path[i], 0, HK_FACT_PATH_MAX) == NULL)
                    abort();
            if (m.u.fact.insn_len > HK_FACT_INSN_MAX)
                abort();
        }
        break;
    default: break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* one VRAM for every input (filling 1 MiB per input would be most of the work) */
    static uint8_t *vram;
    if (!vram) {
        vram = malloc(VRAM_SIZE);
        if (!vram)
            return 0;
        memset(vram, 0x11, VRAM_SIZE);
    }
    struct app *a = calloc(1, sizeof(*a));
    if (!a)
        return 0;
    a->vram = vram;
    /* start with a screen, so damage packets apply right away */
    a->scanout = (struct hk_msg_scanout){HK_FORMAT_XRGB8888, 640, 400, 2560, 4096, VRAM_SIZE};
    a->have_scanout = 1;
    /* one packet as given, one with a valid header, then a stream of [u16 length][packet] */
    static uint8_t packet[HK_PROTO_MAX_MSG];
    apply(a, data, size);
    size_t n = synth_packet(data, size, packet);
    if (n)
        apply(a, packet, n);
    size_t pos = 0;
    while (pos + 2 <= size) {
        size_t len = (size_t)(data[pos] | data[pos + 1] << 8) % (HK_PROTO_MAX_MSG + 64);
        pos += 2;
        if (len > size - pos)
            len = size - pos;
        apply(a, data + pos, len);
        pos += len;
    }
    if (a->have_scanout)
        upload(a);
    free(a);
    return 0;
}
