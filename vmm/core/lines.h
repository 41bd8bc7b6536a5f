/* Splits a byte stream (serial port, debug console) into text lines and keeps the last few, so the
 * engine can recognise firmware messages ("Booting from DVD/CD...", "Boot failed") as facts. */
#ifndef HK_CORE_LINES_H
#define HK_CORE_LINES_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define HK_LINE_MAX   160
#define HK_LINES_KEEP 16

struct hk_lines {
    pthread_mutex_t lock;
    char cur[HK_LINE_MAX];
    size_t curlen;
    char last[HK_LINES_KEEP][HK_LINE_MAX];
    unsigned nlines; /* total complete lines seen */
    void (*on_line)(void *opaque, const char *line);
    void *opaque;
};

void hk_lines_init(struct hk_lines *l, void (*on_line)(void *opaque, const char *line),
                   void *opaque);
void hk_lines_destroy(struct hk_lines *l);
void hk_lines_feed(struct hk_lines *l, const uint8_t *data, size_t len);
/* Copies the last n lines (oldest first) into buf, newline-separated. */
size_t hk_lines_tail(struct hk_lines *l, unsigned n, char *buf, size_t buflen);
/* The firmware messages a line of output (debug console or serial port) holds, as
 * HK_FACT_LINE_* flags (hako/facts.h). */
uint32_t hk_firmware_line_flags(const char *line);

#endif
