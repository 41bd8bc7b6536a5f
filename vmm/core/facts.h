/*
 * The facts timeline: what the engine observed that tells why a screen is (still) dark. Devices and
 * the vCPU loop record facts as they happen; the host part prints them (--diagnose) and sends them
 * to the app, whose HakoDiagnosis turns them into words. Thread-safe; bounded memory: "first" facts
 * are recorded once, repeated ones are counted, and the list keeps the first HK_FACTS_MAX entries
 * plus the most recent ones in a ring.
 */
#ifndef HK_CORE_FACTS_H
#define HK_CORE_FACTS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "hako/facts.h"

#define HK_FACTS_MAX    256
#define HK_FACTS_RECENT 64

typedef void (*hk_fact_listener)(void *opaque, const struct hk_fact *fact);

struct hk_facts {
    pthread_mutex_t lock;
    uint64_t t0;
    struct hk_fact first[HK_FACTS_MAX];
    unsigned nfirst;
    struct hk_fact recent[HK_FACTS_RECENT];
    unsigned nrecent_total; /* facts recorded after first[] filled */
    uint64_t count[HK_FACT__COUNT];
    uint8_t once_seen[HK_FACT__COUNT];
    hk_fact_listener listener;
    void *listener_opaque;
    unsigned listener_calls;      /* listener calls running (outside the lock) */
    pthread_cond_t listener_idle; /* signalled when listener_calls drops to 0 */
};

void hk_facts_init(struct hk_facts *f);
void hk_facts_destroy(struct hk_facts *f);
/* Sets (or, with fn NULL, removes) the function called with every stored fact, on the thread that
 * recorded it, outside the facts lock. Returns only when no call of the previous listener is still
 * running: after hk_facts_set_listener(f, NULL, NULL) its opaque may be freed. Must not be called
 * from inside a listener. */
void hk_facts_set_listener(struct hk_facts *f, hk_fact_listener fn, void *opaque);
/* Records a fact. Returns true if it was stored (false when it was a repeat of a once-only kind).
 */
bool hk_fact(struct hk_facts *f, enum hk_fact_kind kind, int64_t a, int64_t b, int64_t c,
             const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* Records a fact with its typed fields (hako/facts.h says what each kind carries): flags and two
 * paths (NULL or "" for none; a path of HK_FACT_PATH_MAX bytes or more is left out, never cut). */
bool hk_fact_typed(struct hk_facts *f, enum hk_fact_kind kind, int64_t a, int64_t b, int64_t c,
                   uint32_t flags, const char *path0, const char *path1, const char *fmt, ...)
    __attribute__((format(printf, 9, 10)));
/* Records a fact that carries the bytes of an instruction (hako/facts.h: insn, insn_len; at most
 * HK_FACT_INSN_MAX of them are kept; n 0: they could not be read). */
bool hk_fact_insn(struct hk_facts *f, enum hk_fact_kind kind, int64_t a, int64_t b, int64_t c,
                  const uint8_t *insn, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 8, 9)));
/* Counts an occurrence without storing it (storms: flash writes, VGA text writes). */
uint64_t hk_fact_count(struct hk_facts *f, enum hk_fact_kind kind);
uint64_t hk_facts_get_count(struct hk_facts *f, enum hk_fact_kind kind);
/* Calls fn for every stored fact in time order. */
void hk_facts_foreach(struct hk_facts *f, void (*fn)(void *opaque, const struct hk_fact *),
                      void *opaque);
void hk_facts_print(struct hk_facts *f, FILE *out);
void hk_facts_print_json(struct hk_facts *f, FILE *out);

#endif
