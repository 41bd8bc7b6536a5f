/*
 * The engine's event thread: an epoll loop with file-descriptor watches, timers (timerfd) and calls
 * posted from other threads. Watches and timers may be created and armed from any thread.
 */
#ifndef HK_CORE_LOOP_H
#define HK_CORE_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct hk_loop;
struct hk_timer;
struct hk_watch;

typedef void (*hk_watch_fn)(void *opaque, uint32_t events);
typedef void (*hk_call_fn)(void *opaque);

struct hk_loop *hk_loop_new(void);
void hk_loop_free(struct hk_loop *loop);
/* Runs until hk_loop_quit(): 0. -1 with errno when waiting for events failed (the loop cannot go
 * on; never silently). */
int hk_loop_run(struct hk_loop *loop);
void hk_loop_quit(struct hk_loop *loop);
bool hk_loop_quitting(struct hk_loop *loop);

/* events: EPOLLIN/EPOLLOUT...; returns NULL on failure. */
struct hk_watch *hk_loop_watch(struct hk_loop *loop, int fd, uint32_t events, hk_watch_fn fn,
                               void *opaque);
void hk_watch_modify(struct hk_watch *w, uint32_t events);
/* Stops the watch; its memory is released with the loop. */
void hk_watch_remove(struct hk_watch *w);

struct hk_timer *hk_timer_new(struct hk_loop *loop, hk_call_fn fn, void *opaque);
/* first_ns == 0 disarms; period_ns == 0 is a one-shot. Thread-safe. */
void hk_timer_arm(struct hk_timer *t, uint64_t first_ns, uint64_t period_ns);

/* Runs fn(opaque) on the loop thread soon. Thread-safe. Returns 0 or -1 (out of memory). */
int hk_loop_call(struct hk_loop *loop, hk_call_fn fn, void *opaque);

uint64_t hk_now_ns(void); /* CLOCK_MONOTONIC */

#endif
