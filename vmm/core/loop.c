#include "loop.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

struct hk_watch {
    struct hk_loop *loop;
    int fd;
    bool dead;
    hk_watch_fn fn;
    void *opaque;
    struct hk_watch *next;
};

struct hk_timer {
    struct hk_watch *w;
    int fd;
    hk_call_fn fn;
    void *opaque;
    struct hk_timer *next;
};

struct hk_call {
    hk_call_fn fn;
    void *opaque;
    struct hk_call *next;
};

struct hk_loop {
    int epfd, wakefd;
    bool quit;
    pthread_mutex_t lock; /* guards watches list, calls queue */
    struct hk_watch *watches;
    struct hk_timer *timers;
    struct hk_call *calls, **calls_tail;
};

uint64_t hk_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void wake_cb(void *opaque, uint32_t events)
{
    struct hk_loop *loop = opaque;
    uint64_t v;
    (void)events;
    if (read(loop->wakefd, &v, sizeof(v)) < 0 && errno != EAGAIN)
        return;
    for (;;) {
        pthread_mutex_lock(&loop->lock);
        struct hk_call *c = loop->calls;
        if (c) {
            loop->calls = c->next;
            if (!loop->calls)
                loop->calls_tail = &loop->calls;
        }
        pthread_mutex_unlock(&loop->lock);
        if (!c)
            break;
        c->fn(c->opaque);
        free(c);
    }
}

struct hk_loop *hk_loop_new(void)
{
    struct hk_loop *loop = calloc(1, sizeof(*loop));
    if (!loop)
        return NULL;
    loop->epfd = epoll_create1(EPOLL_CLOEXEC);
    loop->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    pthread_mutex_init(&loop->lock, NULL);
    loop->calls_tail = &loop->calls;
    if (loop->epfd < 0 || loop->wakefd < 0 ||
        !hk_loop_watch(loop, loop->wakefd, EPOLLIN, wake_cb, loop)) {
        hk_loop_free(loop);
        return NULL;
    }
    return loop;
}

void hk_loop_free(struct hk_loop *loop)
{
    if (!loop)
        return;
    while (loop->timers) {
        struct hk_timer *t = loop->timers;
        loop->timers = t->next;
        close(t->fd);
        free(t);
    }
    while (loop->watches) {
        struct hk_watch *w = loop->watches;
        loop->watches = w->next;
        free(w);
    }
    while (loop->calls) {
        struct hk_call *c = loop->calls;
        loop->calls = c->next;
        free(c);
    }
    if (loop->epfd >= 0)
        close(loop->epfd);
    if (loop->wakefd >= 0)
        close(loop->wakefd);
    pthread_mutex_destroy(&loop->lock);
    free(loop);
}

static void wake(struct hk_loop *loop)
{
    uint64_t one = 1;
    if (write(loop->wakefd, &one, sizeof(one)) < 0) {
        /* counter saturated: the loop is awake anyway */
    }
}

void hk_loop_quit(struct hk_loop *loop)
{
    __atomic_store_n(&loop->quit, true, __ATOMIC_SEQ_CST);
    wake(loop);
}

bool hk_loop_quitting(struct hk_loop *loop)
{
    return __atomic_load_n(&loop->quit, __ATOMIC_SEQ_CST);
}

int hk_loop_run(struct hk_loop *loop)
{
    struct epoll_event ev[32];
    while (!hk_loop_quitting(loop)) {
        int n = epoll_wait(loop->epfd, ev, 32, -1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1; /* errno says why; the caller stops the VM and says so */
        }
        for (int i = 0; i < n && !hk_loop_quitting(loop); i++) {
            struct hk_watch *w = ev[i].data.ptr;
            if (!__atomic_load_n(&w->dead, __ATOMIC_ACQUIRE))
                w->fn(w->opaque, ev[i].events);
        }
    }
    return 0;
}

struct hk_watch *hk_loop_watch(struct hk_loop *loop, int fd, uint32_t events, hk_watch_fn fn,
                               void *opaque)
{
    struct hk_watch *w = calloc(1, sizeof(*w));
    if (!w)
        return NULL;
    *w = (struct hk_watch){loop, fd, false, fn, opaque, NULL};
    struct epoll_event ev = {.events = events, .data.ptr = w};
    if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        free(w);
        return NULL;
    }
    pthread_mutex_lock(&loop->lock);
    w->next = loop->watches;
    loop->watches = w;
    pthread_mutex_unlock(&loop->lock);
    return w;
}

void hk_watch_modify(struct hk_watch *w, uint32_t events)
{
    struct epoll_event ev = {.events = events, .data.ptr = w};
    epoll_ctl(w->loop->epfd, EPOLL_CTL_MOD, w->fd, &ev);
}

void hk_watch_remove(struct hk_watch *w)
{
    if (!w)
        return;
    __atomic_store_n(&w->dead, true, __ATOMIC_RELEASE);
    epoll_ctl(w->loop->epfd, EPOLL_CTL_DEL, w->fd, NULL);
}

static void timer_cb(void *opaque, uint32_t events)
{
    struct hk_timer *t = opaque;
    uint64_t expirations;
    (void)events;
    if (read(t->fd, &expirations, sizeof(expirations)) != sizeof(expirations))
        return;
    t->fn(t->opaque);
}

struct hk_timer *hk_timer_new(struct hk_loop *loop, hk_call_fn fn, void *opaque)
{
    struct hk_timer *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    t->fn = fn;
    t->opaque = opaque;
    if (t->fd < 0 || !(t->w = hk_loop_watch(loop, t->fd, EPOLLIN, timer_cb, t))) {
        if (t->fd >= 0)
            close(t->fd);
        free(t);
        return NULL;
    }
    pthread_mutex_lock(&loop->lock);
    t->next = loop->timers;
    loop->timers = t;
    pthread_mutex_unlock(&loop->lock);
    return t;
}

void hk_timer_arm(struct hk_timer *t, uint64_t first_ns, uint64_t period_ns)
{
    struct itimerspec its;
    memset(&its, 0, sizeof(its));
    its.it_value.tv_sec = (time_t)(first_ns / 1000000000ull);
    its.it_value.tv_nsec = (long)(first_ns % 1000000000ull);
    its.it_interval.tv_sec = (time_t)(period_ns / 1000000000ull);
    its.it_interval.tv_nsec = (long)(period_ns % 1000000000ull);
    timerfd_settime(t->fd, 0, &its, NULL);
}

int hk_loop_call(struct hk_loop *loop, hk_call_fn fn, void *opaque)
{
    struct hk_call *c = malloc(sizeof(*c));
    if (!c)
        return -1;
    c->fn = fn;
    c->opaque = opaque;
    c->next = NULL;
    pthread_mutex_lock(&loop->lock);
    *loop->calls_tail = c;
    loop->calls_tail = &c->next;
    pthread_mutex_unlock(&loop->lock);
    wake(loop);
    return 0;
}
