/* Engine logging: a per-VM sink (no global state). Thread-safe. */
#ifndef HK_CORE_LOG_H
#define HK_CORE_LOG_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum hk_log_level { HK_LOG_ERROR = 0, HK_LOG_WARN = 1, HK_LOG_INFO = 2, HK_LOG_DEBUG = 3 };

/* Bytes of one message with its NUL: room for a sentence naming two whole paths */
#define HK_LOG_MSG_MAX 4096

struct hk_log {
    FILE *fp;  /* may be NULL: messages dropped */
    int level; /* messages above this level are dropped */
    pthread_mutex_t lock;
    /* The last error message, kept so a caller can report it in one line. */
    char last_error[HK_LOG_MSG_MAX];
    /* hk_log_hold: messages are kept (any level) until hk_log_set_output says where they go */
    bool hold;
    char *held;
    size_t held_len, held_cap;
    /* errors are only kept in last_error, not written to stderr: the caller reports them once */
    bool defer_errors;
};

void hk_log_init(struct hk_log *log, FILE *fp, int level);
void hk_log_destroy(struct hk_log *log);
/* Keeps every message from now on (before it is known where the log goes: hako-vmm opens --log
 * only after every check of its configuration passed). */
void hk_log_hold(struct hk_log *log);
/* From now on messages up to level go to fp (may be NULL); held ones up to level are written
 * first, the rest dropped. */
void hk_log_set_output(struct hk_log *log, FILE *fp, int level);
/* While set, errors that would go to stderr are only kept in last_error. */
void hk_log_defer_errors(struct hk_log *log, bool defer);
void hk_logf(struct hk_log *log, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define hk_err(log, ...)   hk_logf((log), HK_LOG_ERROR, __VA_ARGS__)
#define hk_warn(log, ...)  hk_logf((log), HK_LOG_WARN, __VA_ARGS__)
#define hk_info(log, ...)  hk_logf((log), HK_LOG_INFO, __VA_ARGS__)
#define hk_debug(log, ...) hk_logf((log), HK_LOG_DEBUG, __VA_ARGS__)

#endif
