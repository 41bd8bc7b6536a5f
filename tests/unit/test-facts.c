/* The facts timeline's listener (the control socket's) against teardown: hk_facts_set_listener
 * returns only once no call of the old listener is still running, so what the listener used may
 * be freed right after (the listener runs outside the facts lock; the control object was freed
 * while a virtio worker could still be inside it). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"

#include "core/facts.h"

struct probe {
    atomic_int entered, release, left, removed;
};

static void slow_listener(void *opaque, const struct hk_fact *f)
{
    struct probe *p = opaque;
    (void)f;
    atomic_store(&p->entered, 1);
    while (!atomic_load(&p->release)) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    atomic_store(&p->left, 1);
}

struct ctx {
    struct hk_facts *facts;
    struct probe *probe;
};

static void *recorder(void *arg)
{
    struct ctx *c = arg;
    hk_fact(c->facts, HK_FACT_GUEST_ERROR, 0, 0, 0, "from a worker");
    return NULL;
}

static void *remover(void *arg)
{
    struct ctx *c = arg;
    hk_facts_set_listener(c->facts, NULL, NULL);
    atomic_store(&c->probe->removed, 1);
    return NULL;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

static void test_listener_teardown(void)
{
    struct hk_facts facts;
    struct probe probe = {0};
    hk_facts_init(&facts);
    hk_facts_set_listener(&facts, slow_listener, &probe);
    struct ctx c = {&facts, &probe};
    pthread_t rec, rem;
    pthread_create(&rec, NULL, recorder, &c);
    while (!atomic_load(&probe.entered))
        sleep_ms(1);
    /* the listener is running: removing it must wait for it */
    pthread_create(&rem, NULL, remover, &c);
    sleep_ms(100);
    CHECK_EQ(atomic_load(&probe.removed), 0);
    atomic_store(&probe.release, 1);
    pthread_join(rem, NULL);
    CHECK_EQ(atomic_load(&probe.left), 1);
    CHECK_EQ(atomic_load(&probe.removed), 1);
    pthread_join(rec, NULL);
    /* and after removal no call reaches it */
    atomic_store(&probe.entered, 0);
    hk_fact(&facts, HK_FACT_GUEST_ERROR, 0, 0, 0, "after");
    CHECK_EQ(atomic_load(&probe.entered), 0);
    hk_facts_destroy(&facts);
}

/* Many recorders and a listener swapped under them: no call after removal (TSan and ASan builds
 * watch the accesses). */
static atomic_int live_calls_after_removal;

struct counted {
    atomic_int calls;
    atomic_int gone;
};

static void counting_listener(void *opaque, const struct hk_fact *f)
{
    struct counted *c = opaque;
    (void)f;
    if (atomic_load(&c->gone))
        atomic_fetch_add(&live_calls_after_removal, 1);
    atomic_fetch_add(&c->calls, 1);
}

static void *hammer(void *arg)
{
    struct hk_facts *facts = arg;
    for (int i = 0; i < 2000; i++)
        hk_fact(facts, HK_FACT_GUEST_ERROR, i, 0, 0, NULL);
    return NULL;
}

static void test_listener_swaps(void)
{
    struct hk_facts facts;
    hk_facts_init(&facts);
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&t[i], NULL, hammer, &facts);
    for (int round = 0; round < 50; round++) {
        struct counted *c = calloc(1, sizeof(*c));
        hk_facts_set_listener(&facts, counting_listener, c);
        sleep_ms(1);
        hk_facts_set_listener(&facts, NULL, NULL);
        atomic_store(&c->gone, 1);
        free(c); /* a call still running would use freed memory */
    }
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    CHECK_EQ(atomic_load(&live_calls_after_removal), 0);
    hk_facts_destroy(&facts);
}

/* An instruction's bytes are a typed field (hk_fact_insn): stored as bytes, at most
 * HK_FACT_INSN_MAX of them, and written as numbers in --diagnose=json ("insn"), next to the text
 * for people. */
static void test_insn(void)
{
    static struct hk_facts facts;
    hk_facts_init(&facts);
    static const uint8_t fninit[20] = {0x9b, 0xdb, 0xe3, 0xd9, 0x2d, 0x74, 0xed, 0xfc, 0xff, 0xb8,
                                       0x01, 0x00, 0x00, 0x00, 0x0f, 0xa2, 0x11, 0x22, 0x33, 0x44};
    CHECK(hk_fact_insn(&facts, HK_FACT_INTERNAL_ERROR, 1, 0xfffced45, 0, fninit, sizeof(fninit),
                       "%s", "9b db e3"));
    CHECK(hk_fact_insn(&facts, HK_FACT_TRIPLE_FAULT, 0, 0xf0155, 0, NULL, 0, "(unreadable)"));
    CHECK_EQ(facts.nfirst, 2);
    CHECK_EQ(facts.first[0].insn_len, HK_FACT_INSN_MAX);
    CHECK(memcmp(facts.first[0].insn, fninit, HK_FACT_INSN_MAX) == 0);
    CHECK_EQ(facts.first[0].b, 0xfffced45);
    CHECK_EQ(facts.first[1].insn_len, 0);
    char *json = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&json, &len);
    hk_facts_print_json(&facts, out);
    fclose(out);
    CHECK(strstr(json, "\"kind\": \"internal-error\", \"a\": 1, \"b\": 4294765893, \"c\": 0, "
                       "\"text\": \"9b db e3\", \"insn\": [155, 219, 227, 217, 45, 116, 237, 252, "
                       "255, 184, 1, 0, 0, 0, 15, 162]}") != NULL);
    /* no bytes: no member */
    const char *tf = strstr(json, "\"triple-fault\"");
    CHECK(tf && !strstr(tf, "insn"));
    free(json);
    hk_facts_destroy(&facts);
}

TEST_MAIN(TEST(test_listener_teardown), TEST(test_listener_swaps), TEST(test_insn))
