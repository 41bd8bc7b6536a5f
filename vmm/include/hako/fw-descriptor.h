/*
 * QEMU firmware descriptors (QEMU docs/interop/firmware.json): the JSON files distributions install
 * next to their firmware (/usr/share/qemu/firmware/NN-name.json, overridden by /etc/qemu/firmware
 * and then by $XDG_CONFIG_HOME/qemu/firmware), which say what a firmware build is: interface
 * (uefi, bios), how it is mapped (flash: executable + nvram-template), for which machines, and
 * its features (requires-smm, secure-boot, enrolled-keys).
 *
 * A small JSON reader of its own (no GLib): objects, arrays, strings with escapes, numbers,
 * literals; bounded nesting, node count and string space. Plain C11, part of libhakocommon
 * (linked by the engine and the app).
 */
#ifndef HAKO_FW_DESCRIPTOR_H
#define HAKO_FW_DESCRIPTOR_H

#include <stdbool.h>
#include <stddef.h>

/* Bytes of a firmware path, with its terminating NUL (the control protocol's path limit). */
#define HK_FW_PATH_MAX 1024

/* A QEMU firmware descriptor, the parts Hako needs. */
struct hk_fw_descriptor {
    bool uefi;         /* "interface-types" has "uefi" */
    bool flash;        /* "mapping": {"device": "flash"} */
    bool raw;          /* the executable's "format" is "raw" (or not given) */
    bool x86_64;       /* a target with "architecture": "x86_64" */
    bool i440fx;       /* ...whose machine patterns match pc-i440fx-* */
    bool requires_smm; /* "features" has "requires-smm" */
    bool secure_boot;  /* "features" has "secure-boot" */
    bool enrolled_keys;
    char executable[HK_FW_PATH_MAX];
    char nvram_template[HK_FW_PATH_MAX];
    char description[160];
};

/* Parses a firmware descriptor. Returns 0, or -1 when it is not JSON this parser accepts (or a
 * path in it is longer than HK_FW_PATH_MAX). */
int hk_fw_descriptor_parse(const char *json, size_t len, struct hk_fw_descriptor *out);

/* Returns true to stop the walk. file: the descriptor's own path. */
typedef bool (*hk_fw_descriptor_fn)(void *opaque, const char *file,
                                    const struct hk_fw_descriptor *d);

/* Calls fn for every descriptor in dirs (NULL-terminated, lowest priority first) that describes
 * an x86-64 UEFI build mapped as raw flash, in QEMU's order: all names sorted, a name in a later
 * directory replacing the same name in an earlier one. root (NULL or "/" for this system)
 * is put in front of the file names inside the descriptors (the directories are taken as
 * given). Unreadable or malformed descriptors are skipped. */
void hk_fw_descriptor_foreach(const char *const *dirs, const char *root, hk_fw_descriptor_fn fn,
                              void *opaque);

#endif
