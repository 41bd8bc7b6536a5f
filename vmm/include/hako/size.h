/*
 * Sizes as people write them (memory, disk images): "512M", "2G", "20GiB", "1048576" (bytes),
 * "512K". Shared by the engine (hako-vmm --memory, hako-img) and the app (vm.ini, the wizard).
 * Plain C11, no GLib.
 */
#ifndef HAKO_SIZE_H
#define HAKO_SIZE_H

#include <stdint.h>

/* Parses a size: digits, then an optional unit K, M, G or T (binary multiples, optionally written
 * KiB/KB/K...) or B. A bare number is bytes. Returns 0, or -1 for anything else (empty, a sign,
 * spaces, trailing text, overflow). */
int hk_parse_size(const char *s, uint64_t *out);

#endif
