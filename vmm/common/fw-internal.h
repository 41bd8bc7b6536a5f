/*
 * What the firmware parts of libhakocommon share (not installed, not for the engine or the app).
 */
#ifndef HAKO_COMMON_FW_INTERNAL_H
#define HAKO_COMMON_FW_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "hako/firmware.h"

/* The places a search looks at, defaults filled in and put under its root. */
struct fw_places {
    const char *root; /* NULL: this system */
    const char *dirs[4];
    char dirbuf[3][HK_FW_PATH_MAX];
    const char *const *pairs; /* NULL-terminated CODE, VARS, ... */
    bool pairs_rooted;        /* the default list: its names get the root in front */
};

void fw_places_init(struct fw_places *p, const struct hk_fw_search *s);
/* The i-th name of the pair list, under the root for the default list; false when it does not
 * fit (or is "": a unified image's missing store, then out is ""). */
bool fw_pair_path(const struct fw_places *p, unsigned i, char *out, size_t len);
/* root + path; false when it does not fit */
bool fw_rooted(const char *root, const char *path, char *out, size_t len);

void fw_copy(char *dst, size_t len, const char *src);
const char *fw_base_name(const char *path);
bool fw_file_exists(const char *path); /* a regular file */
off_t fw_file_size(const char *path);  /* -1 when not a regular file */
bool fw_same_file(const char *a, const char *b);

/* Fills check with a refusal (the message from fmt); returns -1. */
int fw_refuse(struct hk_fw_check *c, enum hk_fw_problem p, enum hk_fw_reason r, const char *file,
              const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* The same for a file hk_fw_read_file could not read; what names its role ("BIOS image"). */
int fw_refuse_read(struct hk_fw_check *c, enum hk_fw_reason r, int err, const char *path,
                   const char *what);

/* validate() with or without looking for files to suggest (off during searches, which would
 * recurse) */
int fw_ovmf_validate(const char *code_path, const char *vars_path, const char *template_path,
                     const struct hk_fw_search *s, struct hk_fw_check *c, bool advise);

#endif
