#include "facts.h"

#include <stdarg.h>
#include <string.h>

#include "loop.h"

void hk_facts_init(struct hk_facts *f)
{
    memset(f, 0, sizeof(*f));
    pthread_mutex_init(&f->lock, NULL);
    pthread_cond_init(&f->listener_idle, NULL);
    f->t0 = hk_now_ns();
}

void hk_facts_destroy(struct hk_facts *f)
{
    pthread_cond_destroy(&f->listener_idle);
    pthread_mutex_destroy(&f->lock);
}

void hk_facts_set_listener(struct hk_facts *f, hk_fact_listener fn, void *opaque)
{
    pthread_mutex_lock(&f->lock);
    f->listener = fn;
    f->listener_opaque = opaque;
    /* listener calls run outside the lock: wait until none of the old listener's is still
     * running, so that the caller may free what it used as soon as this returns */
    while (f->listener_calls)
        pthread_cond_wait(&f->listener_idle, &f->lock);
    pthread_mutex_unlock(&f->lock);
}

/* Kinds recorded only the first time they happen; later occurrences are only counted. */
static bool once_only(enum hk_fact_kind kind)
{
    switch (kind) {
    case HK_FACT_FWCFG_FIRST:
    case HK_FACT_DISPLAY_ENUMERATED:
    case HK_FACT_DISPLAY_ROM_READ:
    case HK_FACT_FIRST_DAMAGE:
    case HK_FACT_CPU_SPIN: return true;
    default: return false;
    }
}

/* A path field: the whole path, or nothing (a cut path would name another file). */
static void set_path(char *dst, const char *src)
{
    size_t n = src ? strlen(src) : 0;
    if (n >= HK_FACT_PATH_MAX)
        n = 0;
    memcpy(dst, src ? src : "", n);
    dst[n] = 0;
}

static bool record(struct hk_facts *f, struct hk_fact *fact);

/* The typed fields a fact may carry beyond its numbers. */
struct fields {
    uint32_t flags;
    const char *path0, *path1;
    const uint8_t *insn;
    size_t insn_len;
};

static bool vfact(struct hk_facts *f, enum hk_fact_kind kind, int64_t a, int64_t b, int64_t c,
                  const struct fields *x, const char *fmt, va_list ap)
    __attribute__((format(printf, 7, 0)));

static bool vfact(struct hk_facts *f, enum hk_fact_kind kind, int64_t a, int64_t b, int64_t c,
                  const struct fields *x, const char *fmt, va_list ap)
{
    if ((unsigned)kind >= HK_FACT__COUNT)
        return false;
    struct hk_fact fact;
    memset(&fact, 0, sizeof(fact));
    fact.kind = kind;
    fact.a = a;
    fact.b = b;
    fact.c = c;
    fact.flags = x->flags;
    set_path(fact.path[0], x->path0);
    set_path(fact.path[1], x->path1);
    if (x->insn && x->insn_len) {
        fact.insn_len = x->insn_len < HK_FACT_INSN_MAX ? (uint32_t)x->insn_len : HK_FACT_INSN_MAX;
        memcpy(fact.insn, x->insn, fact.insn_len);
    }
    if (fmt)
        vsnprintf(fact.text, sizeof(fact.text), fmt, ap);
    return record(f, &fact);
}

bool hk_fact(struct hk_facts *f, enum hk_fact_kind kind, int64_t a, int64_t b, int64_t c,
             const char *fmt, ...)
{
    struct fields x = {0};
    va_list ap;
    va_start(ap, fmt);
    bool r = vfact(f, kind, a, b, c, &x, fmt, ap);
    va_end(ap);
    return r;
}

bool hk_fact_typed(struct hk_facts *f, enum hk_fact_kind kind, int64_t a, int64_t b, int64_t c,
                   uint32_t flags, const char *path0, const char *path1, const char *fmt, ...)
{
    struct fields x = {.flags = flags, .path0 = path0, .path1 = path1};
    va_list ap;
    va_start(ap, fmt);
    bool r = vfact(f, kind, a, b, c, &x, fmt, ap);
    va_end(ap);
    return r;
}

bool hk_fact_insn(struct hk_facts *f, enum hk_fact_kind kind, int64_t a, int64_t b, int64_t c,
                  const uint8_t *insn, size_t n, const char *fmt, ...)
{
    struct fields x = {.insn = insn, .insn_len = n};
    va_list ap;
    va_start(ap, fmt);
    bool r = vfact(f, kind, a, b, c, &x, fmt, ap);
    va_end(ap);
    return r;
}

static bool record(struct hk_facts *f, struct hk_fact *fact)
{
    enum hk_fact_kind kind = (enum hk_fact_kind)fact->kind;
    pthread_mutex_lock(&f->lock);
    f->count[kind]++;
    if (once_only(kind) && f->once_seen[kind]) {
        pthread_mutex_unlock(&f->lock);
        return false;
    }
    f->once_seen[kind] = 1;
    /* a reset storm (a triple-fault loop resets hundreds of times a second) would push everything
     * else out of the timeline: after the first few, resets and triple faults are only counted
     * (HK_FACT_RESET_LOOP says what is going on) */
    if ((kind == HK_FACT_RESET || kind == HK_FACT_TRIPLE_FAULT) && f->count[kind] > 16) {
        pthread_mutex_unlock(&f->lock);
        return false;
    }
    fact->t_ns = hk_now_ns() - f->t0;
    fact->seq = f->nfirst + f->nrecent_total;
    /* chatty kinds keep their first lines in the timeline, later ones only in the recent ring */
    bool chatty = (kind == HK_FACT_SERIAL_LINE || kind == HK_FACT_DEBUGCON_LINE ||
                   kind == HK_FACT_GUEST_ERROR || kind == HK_FACT_FWCFG_FILE) &&
                  f->count[kind] > 48;
    if (f->nfirst < HK_FACTS_MAX && !chatty)
        f->first[f->nfirst++] = *fact;
    else
        f->recent[f->nrecent_total++ % HK_FACTS_RECENT] = *fact;
    hk_fact_listener fn = f->listener;
    void *op = f->listener_opaque;
    if (fn)
        f->listener_calls++; /* hk_facts_set_listener waits for it */
    pthread_mutex_unlock(&f->lock);
    if (fn) {
        fn(op, fact);
        pthread_mutex_lock(&f->lock);
        if (--f->listener_calls == 0)
            pthread_cond_broadcast(&f->listener_idle);
        pthread_mutex_unlock(&f->lock);
    }
    return true;
}

uint64_t hk_fact_count(struct hk_facts *f, enum hk_fact_kind kind)
{
    if ((unsigned)kind >= HK_FACT__COUNT)
        return 0;
    pthread_mutex_lock(&f->lock);
    uint64_t n = ++f->count[kind];
    pthread_mutex_unlock(&f->lock);
    return n;
}

uint64_t hk_facts_get_count(struct hk_facts *f, enum hk_fact_kind kind)
{
    if ((unsigned)kind >= HK_FACT__COUNT)
        return 0;
    pthread_mutex_lock(&f->lock);
    uint64_t n = f->count[kind];
    pthread_mutex_unlock(&f->lock);
    return n;
}

void hk_facts_foreach(struct hk_facts *f, void (*fn)(void *opaque, const struct hk_fact *),
                      void *opaque)
{
    pthread_mutex_lock(&f->lock);
    for (unsigned i = 0; i < f->nfirst; i++)
        fn(opaque, &f->first[i]);
    unsigned total = f->nrecent_total;
    unsigned start = total > HK_FACTS_RECENT ? total - HK_FACTS_RECENT : 0;
    for (unsigned i = start; i < total; i++)
        fn(opaque, &f->recent[i % HK_FACTS_RECENT]);
    pthread_mutex_unlock(&f->lock);
}

static void print_one(void *opaque, const struct hk_fact *fact)
{
    FILE *out = opaque;
    fprintf(out, "%8.3f  %-18s", (double)fact->t_ns / 1e9, hk_fact_name(fact->kind));
    switch (fact->kind) {
    case HK_FACT_MODE_SET:
        fprintf(out, " %lldx%lld %lld bpp", (long long)fact->a, (long long)fact->b,
                (long long)fact->c);
        break;
    case HK_FACT_DISPLAY_BAR:
        fprintf(out, " BAR%lld at 0x%llx", (long long)fact->a, (unsigned long long)fact->b);
        break;
    case HK_FACT_INTERNAL_ERROR:
    case HK_FACT_TRIPLE_FAULT:
    case HK_FACT_HALT_IRQ_OFF: fprintf(out, " rip 0x%llx", (unsigned long long)fact->b); break;
    default: break;
    }
    if (fact->text[0])
        fprintf(out, " %s", fact->text);
    for (unsigned i = 0; i < HK_FACT_PATHS; i++)
        if (fact->path[i][0])
            fprintf(out, " [%s]", fact->path[i]);
    fputc('\n', out);
}

void hk_facts_print(struct hk_facts *f, FILE *out)
{
    hk_facts_foreach(f, print_one, out);
    pthread_mutex_lock(&f->lock);
    uint64_t flash = f->count[HK_FACT_FLASH_WRITE], vga = f->count[HK_FACT_VGA_TEXT_WRITE];
    pthread_mutex_unlock(&f->lock);
    if (flash)
        fprintf(out, "          flash writes: %llu\n", (unsigned long long)flash);
    if (vga)
        fprintf(out, "          legacy VGA memory writes: %llu\n", (unsigned long long)vga);
}

static void json_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(out, "\\%c", ch);
        else if (ch < 0x20)
            fprintf(out, "\\u%04x", ch);
        else
            fputc(ch, out);
    }
    fputc('"', out);
}

struct json_ctx {
    FILE *out;
    bool first;
};

static void json_one(void *opaque, const struct hk_fact *fact)
{
    struct json_ctx *ctx = opaque;
    fprintf(
        ctx->out,
        "%s\n    {\"t\": %.6f, \"kind\": \"%s\", \"a\": %lld, \"b\": %lld, \"c\": %lld, \"text\": ",
        ctx->first ? "" : ",", (double)fact->t_ns / 1e9, hk_fact_name(fact->kind),
        (long long)fact->a, (long long)fact->b, (long long)fact->c);
    json_string(ctx->out, fact->text);
    if (fact->flags)
        fprintf(ctx->out, ", \"flags\": %u", fact->flags);
    if (fact->insn_len) {
        fprintf(ctx->out, ", \"insn\": [");
        for (unsigned i = 0; i < fact->insn_len && i < HK_FACT_INSN_MAX; i++)
            fprintf(ctx->out, "%s%u", i ? ", " : "", fact->insn[i]);
        fputc(']', ctx->out);
    }
    if (fact->path[0][0] || fact->path[1][0]) {
        fprintf(ctx->out, ", \"paths\": [");
        for (unsigned i = 0; i < HK_FACT_PATHS; i++) {
            if (i)
                fputs(", ", ctx->out);
            json_string(ctx->out, fact->path[i]);
        }
        fputc(']', ctx->out);
    }
    fputc('}', ctx->out);
    ctx->first = false;
}

void hk_facts_print_json(struct hk_facts *f, FILE *out)
{
    struct json_ctx ctx = {out, true};
    fprintf(out, "{\n  \"facts\": [");
    hk_facts_foreach(f, json_one, &ctx);
    fprintf(out, "\n  ],\n  \"counts\": {");
    pthread_mutex_lock(&f->lock);
    for (unsigned k = 0; k < HK_FACT__COUNT; k++)
        fprintf(out, "%s\n    \"%s\": %llu", k ? "," : "", hk_fact_name(k),
                (unsigned long long)f->count[k]);
    pthread_mutex_unlock(&f->lock);
    fprintf(out, "\n  }\n}\n");
}
