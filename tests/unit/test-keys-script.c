/* hako-vmm --keys: the script grammar (times, chords, repeats, text, press/release, wait,
 * comments), its error messages, and the player on a running event loop. */
#include <linux/input-event-codes.h>
#include <pthread.h>
#include <time.h>

#include "check.h"

#include "core/loop.h"
#include "core/facts.h"
#include "host/keys.h"

#define MS 1000000ull

struct ev {
    uint64_t t;
    unsigned code;
    bool down;
};

/* Parses and compares with the expected events. */
static void expect(const char *script, const struct ev *want, size_t n, int line)
{
    struct hk_keys_script s;
    char err[200];
    int r = hk_keys_parse(script, &s, err, sizeof(err));
    if (r < 0) {
        fprintf(stderr, "line %d: '%s' failed: %s\n", line, script, err);
        CHECK(0);
        return;
    }
    /* when each event plays (no text triggers here): an item starts at its time or when the
     * previous one ended */
    uint64_t t[64] = {0}, prev_end = 0;
    bool ok = s.n == n && n <= 64;
    for (size_t k = 0; ok && k < s.nitems; k++) {
        const struct hk_keys_item *it = &s.items[k];
        CHECK(it->when != HK_KEYS_ON_TEXT);
        uint64_t start = it->when == HK_KEYS_AFTER ? prev_end + it->at_ns
                         : it->at_ns > prev_end    ? it->at_ns
                                                   : prev_end;
        for (size_t i = it->first; i < it->first + it->count; i++)
            t[i] = start + s.ev[i].t_ns;
        prev_end = start + it->length_ns;
    }
    for (size_t i = 0; ok && i < n; i++)
        ok = t[i] == want[i].t && s.ev[i].code == want[i].code && s.ev[i].down == want[i].down;
    if (!ok) {
        fprintf(stderr, "line %d: '%s' gave:\n", line, script);
        for (size_t i = 0; i < s.n && i < 64; i++)
            fprintf(stderr, "  %llu ms key %u %s\n", (unsigned long long)(t[i] / MS), s.ev[i].code,
                    s.ev[i].down ? "down" : "up");
        CHECK(0);
    }
    hk_keys_script_free(&s);
}

#define EXPECT(script, ...)                                                                        \
    do {                                                                                           \
        static const struct ev w_[] = {__VA_ARGS__};                                               \
        expect((script), w_, sizeof(w_) / sizeof(w_[0]), __LINE__);                                \
    } while (0)

static void test_grammar(void)
{
    EXPECT("3.0:esc 5.5:down,enter", {3000 * MS, KEY_ESC, true}, {3020 * MS, KEY_ESC, false},
           {5500 * MS, KEY_DOWN, true}, {5520 * MS, KEY_DOWN, false}, {5540 * MS, KEY_ENTER, true},
           {5560 * MS, KEY_ENTER, false});
    EXPECT("1:ctrl+alt+delete", {1000 * MS, KEY_LEFTCTRL, true}, {1020 * MS, KEY_LEFTALT, true},
           {1040 * MS, KEY_DELETE, true}, {1060 * MS, KEY_DELETE, false},
           {1080 * MS, KEY_LEFTALT, false}, {1100 * MS, KEY_LEFTCTRL, false});
    /* relative time, repeat count, case-insensitive names */
    EXPECT("2:a +0.5:B*2", {2000 * MS, KEY_A, true}, {2020 * MS, KEY_A, false},
           {2540 * MS, KEY_B, true}, {2560 * MS, KEY_B, false}, {2580 * MS, KEY_B, true},
           {2600 * MS, KEY_B, false});
    /* an item that would start before the previous one ends waits for it */
    EXPECT("0:a 0:b", {0, KEY_A, true}, {20 * MS, KEY_A, false}, {40 * MS, KEY_B, true},
           {60 * MS, KEY_B, false});
    /* text on a US layout */
    EXPECT("0:\"Hi!\"", {0, KEY_LEFTSHIFT, true}, {20 * MS, KEY_H, true}, {40 * MS, KEY_H, false},
           {60 * MS, KEY_LEFTSHIFT, false}, {80 * MS, KEY_I, true}, {100 * MS, KEY_I, false},
           {120 * MS, KEY_LEFTSHIFT, true}, {140 * MS, KEY_1, true}, {160 * MS, KEY_1, false},
           {180 * MS, KEY_LEFTSHIFT, false});
    EXPECT("0:\"a b\\n\"", {0, KEY_A, true}, {20 * MS, KEY_A, false}, {40 * MS, KEY_SPACE, true},
           {60 * MS, KEY_SPACE, false}, {80 * MS, KEY_B, true}, {100 * MS, KEY_B, false},
           {120 * MS, KEY_ENTER, true}, {140 * MS, KEY_ENTER, false});
    /* hold and let go; a pause inside an item */
    EXPECT("0:press(shift),wait(1),a 2:release(shift)", {0, KEY_LEFTSHIFT, true},
           {1020 * MS, KEY_A, true}, {1040 * MS, KEY_A, false}, {2000 * MS, KEY_LEFTSHIFT, false});
    /* comments and line breaks, as in a file */
    EXPECT("# boot menu\n1.5:f12   # open it\n\n  +1:kp5\n", {1500 * MS, KEY_F12, true},
           {1520 * MS, KEY_F12, false}, {2540 * MS, KEY_KP5, true}, {2560 * MS, KEY_KP5, false});
    /* Japanese keys by name */
    EXPECT("0:henkan,yen", {0, KEY_HENKAN, true}, {20 * MS, KEY_HENKAN, false},
           {40 * MS, KEY_YEN, true}, {60 * MS, KEY_YEN, false});
    /* a text trigger */
    struct hk_keys_script s;
    CHECK_EQ(hk_keys_parse("@\"Press ESC\":esc @\"a \\\"b\\\"\"+1.5:enter", &s, NULL, 0), 0);
    CHECK_EQ(s.nitems, 2);
    if (s.nitems == 2) {
        CHECK_EQ(s.items[0].when, HK_KEYS_ON_TEXT);
        CHECK_STR(s.items[0].text, "Press ESC");
        CHECK_EQ(s.items[0].at_ns, 0);
        CHECK_EQ(s.items[0].count, 2);
        CHECK_EQ(s.items[0].length_ns, 40 * MS);
        CHECK_STR(s.items[1].text, "a \"b\"");
        CHECK_EQ(s.items[1].at_ns, 1500 * MS);
    }
    hk_keys_script_free(&s);
    /* empty scripts are fine */
    CHECK_EQ(hk_keys_parse("", &s, NULL, 0), 0);
    CHECK_EQ(s.n, 0);
    CHECK_EQ(hk_keys_parse("  # nothing\n", &s, NULL, 0), 0);
    CHECK_EQ(s.n, 0);
}

static void expect_error(const char *script, const char *fragment, int line)
{
    struct hk_keys_script s;
    char err[200];
    int r = hk_keys_parse(script, &s, err, sizeof(err));
    if (r != -1 || !strstr(err, fragment)) {
        fprintf(stderr, "line %d: '%s' gave %d, '%s' (expected an error with '%s')\n", line, script,
                r, r < 0 ? err : "", fragment);
        CHECK(0);
    }
    CHECK(s.ev == NULL && s.n == 0);
}

#define EXPECT_ERROR(script, fragment) expect_error((script), (fragment), __LINE__)

static void test_errors(void)
{
    EXPECT_ERROR("3.0esc", "':' was expected");
    EXPECT_ERROR("3:foo", "unknown key 'foo'");
    EXPECT_ERROR("x:a", "time in seconds");
    EXPECT_ERROR("1:a,", "key name was expected");
    EXPECT_ERROR("1:\"abc", "no closing quote");
    EXPECT_ERROR("1:a*0", "count");
    EXPECT_ERROR("1:press(a", "')' was expected");
    EXPECT_ERROR("1:\"\xc3\xa9\"", "cannot type");
    EXPECT_ERROR("1:a;b", "',' or a space");
    EXPECT_ERROR("1:\"\\q\"", "unknown escape");
    EXPECT_ERROR("-1:a", "time in seconds");
    EXPECT_ERROR("1000001:a", "not a time");
    /* strict numbers (vmm/common/size.c): no exponent, hex, sign or space */
    EXPECT_ERROR("1e9:a", "':' was expected");
    EXPECT_ERROR("0x10:a", "':' was expected");
    EXPECT_ERROR("1:a* 5", "count");
    EXPECT_ERROR("1:a*+5", "count");
    EXPECT_ERROR("1:wait(1e3)", "')' was expected");
    EXPECT_ERROR("1:a+b+c+d+e+f+g+h+i", "at most");
    EXPECT_ERROR("0:a*10000 0:a*10000 0:a*10000 0:a*10000 0:a*10000 0:a*10000", "more than");
    EXPECT_ERROR("@\"abc:esc", "no closing quote");
    EXPECT_ERROR("@\"\":esc", "empty");
    EXPECT_ERROR("@\"x\"+:esc", "time in seconds");
    /* the position is reported */
    struct hk_keys_script s;
    char err[200];
    CHECK_EQ(hk_keys_parse("1:a 2:zz", &s, err, sizeof(err)), -1);
    CHECK(strstr(err, "offset 6") != NULL);
}

struct seen {
    uint64_t t0;
    unsigned n;
    unsigned code[16];
    bool down[16];
    uint64_t t[16];
};

static void sink(void *opaque, unsigned code, bool down)
{
    struct seen *s = opaque;
    if (s->n < 16) {
        s->code[s->n] = code;
        s->down[s->n] = down;
        s->t[s->n] = hk_now_ns() - s->t0;
        __atomic_store_n(&s->n, s->n + 1, __ATOMIC_RELEASE);
    }
}

static unsigned seen_n(struct seen *s)
{
    return __atomic_load_n(&s->n, __ATOMIC_ACQUIRE);
}

/* Waits (at most 3 s: hosts are busy) until the sink has seen n events. */
static bool wait_for(struct seen *s, unsigned n)
{
    uint64_t t = hk_now_ns();
    while (seen_n(s) < n && hk_now_ns() - t < 3000 * MS) {
        struct timespec ts = {0, 2000000L};
        nanosleep(&ts, NULL);
    }
    return seen_n(s) >= n;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {0, (long)ms * 1000000L};
    nanosleep(&ts, NULL);
}

static void *run_loop(void *arg)
{
    hk_loop_run(arg);
    return NULL;
}

/* The player sends each event no earlier than its time, in order. */
static void test_player(void)
{
    struct hk_keys_script s;
    CHECK_EQ(hk_keys_parse("0.05:a 0.2:shift+b", &s, NULL, 0), 0);
    struct hk_loop *loop = hk_loop_new();
    struct seen seen = {.t0 = hk_now_ns()};
    struct hk_keys_player *p = hk_keys_play(loop, &s, NULL, sink, &seen);
    CHECK(p != NULL);
    CHECK(s.ev == NULL); /* taken over */
    pthread_t th;
    pthread_create(&th, NULL, run_loop, loop);
    wait_for(&seen, 6);
    hk_loop_quit(loop);
    pthread_join(th, NULL);
    CHECK(hk_keys_done(p));
    CHECK_EQ(seen.n, 6);
    static const unsigned codes[6] = {KEY_A, KEY_A, KEY_LEFTSHIFT, KEY_B, KEY_B, KEY_LEFTSHIFT};
    static const bool downs[6] = {true, false, true, true, false, false};
    for (unsigned i = 0; i < 6 && i < seen.n; i++) {
        CHECK_EQ(seen.code[i], codes[i]);
        CHECK_EQ(seen.down[i], downs[i]);
    }
    CHECK(seen.t[0] >= 50 * MS);
    CHECK(seen.t[1] >= 70 * MS);
    CHECK(seen.t[2] >= 200 * MS);
    CHECK(seen.t[5] >= 260 * MS);
    hk_keys_player_free(p);
    hk_loop_free(loop);
}

/* Items waiting for a line: only lines printed once the previous item sends its last key count. */
static void test_player_trigger(void)
{
    struct hk_keys_script s;
    CHECK_EQ(hk_keys_parse("0.05:a @\"login:\":b @\"login:\"+0.1:c", &s, NULL, 0), 0);
    struct hk_facts *facts = calloc(1, sizeof(*facts));
    hk_facts_init(facts);
    struct hk_loop *loop = hk_loop_new();
    struct seen seen = {.t0 = hk_now_ns()};
    struct hk_keys_player *p = hk_keys_play(loop, &s, facts, sink, &seen);
    pthread_t th;
    pthread_create(&th, NULL, run_loop, loop);
    /* printed before 'a' was typed: too early for b */
    hk_fact(facts, HK_FACT_SERIAL_LINE, 0, 0, 0, "debian login: ");
    CHECK(wait_for(&seen, 2));
    sleep_ms(100);
    CHECK_EQ(seen_n(&seen), 2);
    /* other lines, and facts that are not lines, do not trigger */
    hk_fact(facts, HK_FACT_SERIAL_LINE, 0, 0, 0, "something else");
    hk_fact(facts, HK_FACT_MODE_SET, 0, 0, 0, "login: (not a line)");
    sleep_ms(100);
    CHECK_EQ(seen_n(&seen), 2);
    uint64_t line1 = hk_now_ns() - seen.t0;
    hk_fact(facts, HK_FACT_SERIAL_LINE, 0, 0, 0, "debian login: ");
    CHECK(wait_for(&seen, 4));
    sleep_ms(200);
    CHECK_EQ(seen_n(&seen), 4); /* c waits for the next prompt */
    uint64_t line2 = hk_now_ns() - seen.t0;
    hk_fact(facts, HK_FACT_DEBUGCON_LINE, 0, 0, 0, "login: again");
    CHECK(wait_for(&seen, 6));
    hk_loop_quit(loop);
    pthread_join(th, NULL);
    CHECK(hk_keys_done(p));
    CHECK_EQ(seen.n, 6);
    if (seen.n == 6) {
        CHECK_EQ(seen.code[0], KEY_A);
        CHECK_EQ(seen.code[2], KEY_B);
        CHECK(seen.t[2] >= line1);
        CHECK_EQ(seen.code[4], KEY_C);
        CHECK(seen.t[4] >= line2 + 100 * MS); /* +0.1 */
    }
    hk_keys_player_free(p);
    hk_loop_free(loop);
    hk_facts_destroy(facts);
    free(facts);
}

TEST_MAIN(TEST(test_grammar), TEST(test_errors), TEST(test_player), TEST(test_player_trigger))
