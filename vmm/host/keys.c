#include "keys.h"

#include <ctype.h>
#include <errno.h>
#include <linux/input-event-codes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/loop.h"
#include "../core/facts.h"
#include "../dev/keymap.h"
#include "hako/size.h"

#define STEP_NS     ((uint64_t)HK_KEYS_STEP_MS * 1000000ull)
#define MAX_SECONDS 1000000ull
#define MAX_CHORD   8

struct parser {
    const char *s; /* whole script */
    size_t pos;    /* current position */
    uint64_t t;    /* time of the next event, from the start of its item */
    struct hk_keys_script *out;
    char *err;
    size_t errlen;
};

static int fail(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct parser *p, const char *fmt, ...)
{
    if (p->err && p->errlen) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(p->err, p->errlen, fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n < p->errlen)
            snprintf(p->err + n, p->errlen - (size_t)n, " (at offset %zu)", p->pos);
    }
    return -1;
}

static int emit(struct parser *p, unsigned code, bool down)
{
    struct hk_keys_script *s = p->out;
    if (s->n >= HK_KEYS_MAX_EVENTS)
        return fail(p, "the script has more than %d key events", HK_KEYS_MAX_EVENTS);
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        struct hk_key_event *ev = realloc(s->ev, cap * sizeof(*ev));
        if (!ev)
            return fail(p, "out of memory");
        s->ev = ev;
        s->cap = cap;
    }
    s->ev[s->n++] = (struct hk_key_event){p->t, (uint16_t)code, down};
    p->t += STEP_NS;
    return 0;
}

static char peek(const struct parser *p)
{
    return p->s[p->pos];
}

static void skip_space(struct parser *p)
{
    for (;;) {
        char c = peek(p);
        if (c == '#') {
            while (peek(p) && peek(p) != '\n')
                p->pos++;
        } else if (c && isspace((unsigned char)c)) {
            p->pos++;
        } else {
            return;
        }
    }
}

/* SECONDS: a decimal number >= 0 ("5", "0.25"; no sign, exponent, hex, inf or nan), in ns. */
static int parse_seconds(struct parser *p, uint64_t *ns)
{
    const char *start = p->s + p->pos;
    if (!isdigit((unsigned char)*start) && *start != '.')
        return fail(p, "a time in seconds was expected");
    size_t n = hk_scan_seconds(start, 0, MAX_SECONDS * 1000000000ull, ns);
    if (!n) {
        size_t len = strspn(start, "0123456789.");
        return fail(p, "'%.*s' is not a time in seconds (at most %llu)", (int)(len ? len : 1),
                    start, MAX_SECONDS);
    }
    p->pos += n;
    return 0;
}

static bool is_name_char(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

/* KEY: a key name from the keymap. */
static int parse_key(struct parser *p, unsigned *code)
{
    size_t start = p->pos;
    while (is_name_char(peek(p)))
        p->pos++;
    size_t len = p->pos - start;
    if (!len)
        return fail(p, "a key name was expected");
    int k = hk_keymap_lookup(p->s + start, len);
    if (k < 0) {
        p->pos = start;
        return fail(p, "unknown key '%.*s'", (int)len, p->s + start);
    }
    *code = (unsigned)k;
    return 0;
}

static bool take(struct parser *p, const char *word)
{
    size_t n = strlen(word);
    if (strncmp(p->s + p->pos, word, n) != 0)
        return false;
    p->pos += n;
    return true;
}

/* How one character is typed on a US keyboard: the key and whether Shift is needed. */
static bool char_key(unsigned char ch, unsigned *code, bool *shift)
{
    static const char digits[] = "1234567890";
    static const char shifted_digits[] = "!@#$%^&*()";
    static const unsigned digit_keys[10] = {KEY_1, KEY_2, KEY_3, KEY_4, KEY_5,
                                            KEY_6, KEY_7, KEY_8, KEY_9, KEY_0};
    static const struct {
        char plain, shifted;
        unsigned code;
    } punct[] = {
        {'-', '_', KEY_MINUS},       {'=', '+', KEY_EQUAL},      {'[', '{', KEY_LEFTBRACE},
        {']', '}', KEY_RIGHTBRACE},  {'\\', '|', KEY_BACKSLASH}, {';', ':', KEY_SEMICOLON},
        {'\'', '"', KEY_APOSTROPHE}, {'`', '~', KEY_GRAVE},      {',', '<', KEY_COMMA},
        {'.', '>', KEY_DOT},         {'/', '?', KEY_SLASH},
    };
    static const unsigned letters[26] = {
        KEY_A, KEY_B, KEY_C, KEY_D, KEY_E, KEY_F, KEY_G, KEY_H, KEY_I, KEY_J, KEY_K, KEY_L, KEY_M,
        KEY_N, KEY_O, KEY_P, KEY_Q, KEY_R, KEY_S, KEY_T, KEY_U, KEY_V, KEY_W, KEY_X, KEY_Y, KEY_Z,
    };
    *shift = false;
    if (ch >= 'a' && ch <= 'z') {
        *code = letters[ch - 'a'];
        return true;
    }
    if (ch >= 'A' && ch <= 'Z') {
        *code = letters[ch - 'A'];
        *shift = true;
        return true;
    }
    for (int i = 0; i < 10; i++) {
        if (ch == (unsigned char)digits[i] || ch == (unsigned char)shifted_digits[i]) {
            *code = digit_keys[i];
            *shift = ch == (unsigned char)shifted_digits[i];
            return true;
        }
    }
    for (size_t i = 0; i < sizeof(punct) / sizeof(punct[0]); i++) {
        if (ch == (unsigned char)punct[i].plain || ch == (unsigned char)punct[i].shifted) {
            *code = punct[i].code;
            *shift = ch == (unsigned char)punct[i].shifted;
            return true;
        }
    }
    switch (ch) {
    case ' ': *code = KEY_SPACE; return true;
    case '\n': *code = KEY_ENTER; return true;
    case '\t': *code = KEY_TAB; return true;
    default: return false;
    }
}

static int type_char(struct parser *p, unsigned char ch)
{
    unsigned code;
    bool shift;
    if (!char_key(ch, &code, &shift))
        return fail(p, "cannot type the character 0x%02x (only printable ASCII, \\n and \\t)", ch);
    if ((shift && emit(p, KEY_LEFTSHIFT, true) < 0) || emit(p, code, true) < 0 ||
        emit(p, code, false) < 0 || (shift && emit(p, KEY_LEFTSHIFT, false) < 0))
        return -1;
    return 0;
}

/* '"' TEXT '"' */
static int parse_text(struct parser *p)
{
    p->pos++; /* opening quote */
    for (;;) {
        char c = peek(p);
        if (!c)
            return fail(p, "the text has no closing quote");
        p->pos++;
        if (c == '"')
            return 0;
        if (c == '\\') {
            char e = peek(p);
            if (!e)
                return fail(p, "the text has no closing quote");
            p->pos++;
            c = e == 'n' ? '\n' : e == 't' ? '\t' : e;
            if (e != 'n' && e != 't' && e != '"' && e != '\\')
                return fail(p, "unknown escape '\\%c' in the text", e);
        }
        if (type_char(p, (unsigned char)c) < 0)
            return -1;
    }
}

static int parse_action(struct parser *p)
{
    if (peek(p) == '"')
        return parse_text(p);
    bool press = take(p, "press("), release = !press && take(p, "release(");
    if (press || release) {
        unsigned code;
        if (parse_key(p, &code) < 0)
            return -1;
        if (!take(p, ")"))
            return fail(p, "')' was expected");
        return emit(p, code, press);
    }
    if (take(p, "wait(")) {
        uint64_t ns;
        if (parse_seconds(p, &ns) < 0)
            return -1;
        if (!take(p, ")"))
            return fail(p, "')' was expected");
        p->t += ns;
        return 0;
    }
    unsigned chord[MAX_CHORD];
    unsigned n = 0;
    for (;;) {
        if (n == MAX_CHORD)
            return fail(p, "a chord has at most %d keys", MAX_CHORD);
        if (parse_key(p, &chord[n++]) < 0)
            return -1;
        if (peek(p) != '+')
            break;
        p->pos++;
    }
    long count = 1;
    if (peek(p) == '*') {
        p->pos++;
        const char *start = p->s + p->pos;
        size_t len = strspn(start, "0123456789");
        char num[8];
        uint64_t v;
        if (len == 0 || len >= sizeof(num))
            return fail(p, "'*' must be followed by a count from 1 to 10000");
        memcpy(num, start, len);
        num[len] = 0;
        if (hk_parse_uint(num, 10, 1, 10000, &v) < 0)
            return fail(p, "'*' must be followed by a count from 1 to 10000");
        count = (long)v;
        p->pos += len;
    }
    for (long r = 0; r < count; r++) {
        for (unsigned i = 0; i < n; i++)
            if (emit(p, chord[i], true) < 0)
                return -1;
        for (unsigned i = n; i-- > 0;)
            if (emit(p, chord[i], false) < 0)
                return -1;
    }
    return 0;
}

/* '@"' TEXT '"': the text a trigger waits for (\" and \\ escapes). */
static int parse_trigger(struct parser *p, char *text, size_t max)
{
    p->pos += 2; /* @" */
    size_t n = 0;
    for (;;) {
        char c = peek(p);
        if (!c)
            return fail(p, "the text to wait for has no closing quote");
        p->pos++;
        if (c == '"')
            break;
        if (c == '\\' && (peek(p) == '"' || peek(p) == '\\'))
            c = p->s[p->pos++];
        if (n + 1 >= max)
            return fail(p, "the text to wait for is longer than %zu bytes", max - 1);
        text[n++] = c;
    }
    text[n] = 0;
    if (!n)
        return fail(p, "the text to wait for is empty");
    return 0;
}

static int parse_item(struct parser *p)
{
    struct hk_keys_script *s = p->out;
    if (s->nitems == s->items_cap) {
        size_t cap = s->items_cap ? s->items_cap * 2 : 16;
        struct hk_keys_item *items = realloc(s->items, cap * sizeof(*items));
        if (!items)
            return fail(p, "out of memory");
        s->items = items;
        s->items_cap = cap;
    }
    struct hk_keys_item it;
    memset(&it, 0, sizeof(it));
    uint64_t secs = 0; /* ns */
    if (peek(p) == '@' && p->s[p->pos + 1] == '"') {
        it.when = HK_KEYS_ON_TEXT;
        if (parse_trigger(p, it.text, sizeof(it.text)) < 0)
            return -1;
        if (peek(p) == '+') {
            p->pos++;
            if (parse_seconds(p, &secs) < 0)
                return -1;
        }
    } else {
        it.when = HK_KEYS_AT;
        if (peek(p) == '+') {
            it.when = HK_KEYS_AFTER;
            p->pos++;
        }
        if (parse_seconds(p, &secs) < 0)
            return -1;
    }
    if (peek(p) != ':')
        return fail(p, "':' was expected after the time");
    p->pos++;
    it.at_ns = secs;
    it.first = s->n;
    p->t = 0;
    for (;;) {
        if (parse_action(p) < 0)
            return -1;
        if (peek(p) != ',')
            break;
        p->pos++;
    }
    char c = peek(p);
    if (c && !isspace((unsigned char)c) && c != '#')
        return fail(p, "',' or a space was expected");
    it.count = s->n - it.first;
    it.length_ns = p->t;
    s->items[s->nitems++] = it;
    return 0;
}

int hk_keys_parse(const char *text, struct hk_keys_script *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    struct parser p = {.s = text ? text : "", .out = out, .err = err, .errlen = errlen};
    if (err && errlen)
        err[0] = 0;
    for (;;) {
        skip_space(&p);
        if (!peek(&p))
            break;
        if (parse_item(&p) < 0) {
            hk_keys_script_free(out);
            return -1;
        }
    }
    return 0;
}

void hk_keys_script_free(struct hk_keys_script *s)
{
    free(s->ev);
    free(s->items);
    memset(s, 0, sizeof(*s));
}

struct hk_keys_player {
    struct hk_keys_script script;
    struct hk_facts *facts;
    struct hk_timer *timer;
    uint64_t t0;
    size_t item;       /* the item playing or waiting */
    size_t next;       /* its next event (index into script.ev) */
    bool started;      /* the item's start time is known */
    uint64_t start;    /* when it started */
    uint64_t prev_end; /* when the previous item finished */
    uint32_t seen_seq; /* lines before this fact sequence number do not trigger */
    size_t sent;       /* events sent so far */
    hk_keys_sink sink;
    void *opaque;
};

#define POLL_NS (20 * 1000000ull)

struct text_search {
    const char *text;
    uint32_t from;
    bool found;
    uint32_t last;
};

static void search_cb(void *opaque, const struct hk_fact *f)
{
    struct text_search *ts = opaque;
    if (f->seq + 1 > ts->last)
        ts->last = f->seq + 1;
    if (f->seq < ts->from)
        return;
    switch (f->kind) {
    case HK_FACT_SERIAL_LINE:
    case HK_FACT_DEBUGCON_LINE:
    case HK_FACT_BOOTING:
    case HK_FACT_BOOT_FAILED:
        if (strstr(f->text, ts->text))
            ts->found = true;
        break;
    default: break;
    }
}

/* The sequence number the next fact will get (lines from there on are new). */
static uint32_t facts_mark(struct hk_facts *facts)
{
    struct text_search ts = {"", UINT32_MAX, false, 0};
    if (facts)
        hk_facts_foreach(facts, search_cb, &ts);
    return ts.last;
}

static void player_cb(void *opaque)
{
    struct hk_keys_player *p = opaque;
    uint64_t now = hk_now_ns();
    while (p->item < p->script.nitems) {
        const struct hk_keys_item *it = &p->script.items[p->item];
        if (!p->started) {
            if (it->when == HK_KEYS_AT) {
                p->start = p->t0 + it->at_ns;
                if (p->start < p->prev_end)
                    p->start = p->prev_end;
            } else if (it->when == HK_KEYS_AFTER) {
                p->start = p->prev_end + it->at_ns;
            } else {
                struct text_search ts = {it->text, p->seen_seq, false, 0};
                if (p->facts)
                    hk_facts_foreach(p->facts, search_cb, &ts);
                if (!ts.found) {
                    hk_timer_arm(p->timer, POLL_NS, 0);
                    return;
                }
                p->start = now + it->at_ns;
            }
            p->started = true;
            p->next = it->first;
            if (!it->count)
                p->seen_seq = facts_mark(p->facts);
        }
        while (p->next < it->first + it->count && p->start + p->script.ev[p->next].t_ns <= now) {
            /* what the guest prints in answer to the last key may trigger the next item: lines
             * count from just before it is sent */
            if (p->next + 1 == it->first + it->count)
                p->seen_seq = facts_mark(p->facts);
            const struct hk_key_event *e = &p->script.ev[p->next++];
            p->sink(p->opaque, e->code, e->down);
            __atomic_store_n(&p->sent, p->sent + 1, __ATOMIC_RELEASE);
        }
        if (p->next < it->first + it->count) {
            uint64_t due = p->start + p->script.ev[p->next].t_ns;
            hk_timer_arm(p->timer, due > now ? due - now : 1, 0);
            return;
        }
        /* the item is over when its last step (or a trailing wait) has passed */
        uint64_t end = p->start + it->length_ns;
        if (end > now) {
            hk_timer_arm(p->timer, end - now, 0);
            return;
        }
        p->prev_end = end;
        p->item++;
        p->started = false;
    }
}

struct hk_keys_player *hk_keys_play(struct hk_loop *loop, struct hk_keys_script *script,
                                    struct hk_facts *facts, hk_keys_sink sink, void *opaque)
{
    struct hk_keys_player *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->timer = hk_timer_new(loop, player_cb, p);
    if (!p->timer) {
        free(p);
        return NULL;
    }
    p->script = *script;
    memset(script, 0, sizeof(*script));
    p->facts = facts;
    p->sink = sink;
    p->opaque = opaque;
    p->t0 = p->prev_end = hk_now_ns();
    hk_timer_arm(p->timer, 1, 0);
    return p;
}

bool hk_keys_done(struct hk_keys_player *p)
{
    return __atomic_load_n(&p->sent, __ATOMIC_ACQUIRE) >= p->script.n;
}

void hk_keys_player_free(struct hk_keys_player *p)
{
    if (!p)
        return;
    hk_timer_arm(p->timer, 0, 0);
    hk_keys_script_free(&p->script);
    free(p);
}
