/*
 * Numbers as people write them on a command line or in vm.ini: sizes ("512M", "2G", "20GiB"),
 * memory sizes (a bare number is MiB, as QEMU's -m reads it), whole numbers in a range, seconds
 * ("5", "0.25"), and display resolutions ("1280x800"). One strict parser for each, shared by the
 * engine (hako-vmm, hako-img) and the app (vm.ini, the wizard, the diagnosis): there is no second
 * copy of this logic anywhere. Plain C11, no GLib, no locale.
 *
 * Strict means: ASCII digits only, no sign, no spaces, no exponent, no hexadecimal floats, no
 * "inf" or "nan", nothing after the number but the unit, and every overflow is an error (never a
 * wrap). Every function returns 0 with the value stored, or -1 with *out untouched.
 */
#ifndef HAKO_SIZE_H
#define HAKO_SIZE_H

#include <stddef.h>
#include <stdint.h>

#define HK_KIB (1ull << 10)
#define HK_MIB (1ull << 20)
#define HK_GIB (1ull << 30)
#define HK_TIB (1ull << 40)

/* A size: digits, then an optional unit K, M, G or T (binary multiples; also written KiB, KB,
 * k, ...) or B (bytes). A bare number counts in bare_unit (1: bytes, HK_MIB: MiB). */
int hk_parse_size_unit(const char *s, uint64_t bare_unit, uint64_t *out);
/* A size where a bare number is bytes (hako-img create, disk sizes). */
int hk_parse_size(const char *s, uint64_t *out);
/* A memory size in bytes where a bare number is MiB (hako-vmm --memory, vm.ini memory=): "512"
 * and "512M" are both 512 MiB, "2G" is 2 GiB, "1048576K" is 1 GiB. */
int hk_parse_memory(const char *s, uint64_t *bytes);
/* The same, in whole MiB (rounded down); 0 is returned as an error. */
int hk_parse_memory_mib(const char *s, uint64_t *mib);

/* A whole number from min to max. base 10: decimal digits only; base 0: decimal, or hexadecimal
 * after 0x/0X. */
int hk_parse_uint(const char *s, int base, uint64_t min, uint64_t max, uint64_t *out);

/* Seconds as a decimal number "5", "0.25", ".5" (up to nanoseconds; more digits are refused),
 * stored in nanoseconds, from min_ns to max_ns. */
int hk_parse_seconds(const char *s, uint64_t min_ns, uint64_t max_ns, uint64_t *ns);
/* The same at the start of s (for scripts): returns how many characters the number took, 0 when
 * s does not start with one (or it is out of range). */
size_t hk_scan_seconds(const char *s, uint64_t min_ns, uint64_t max_ns, uint64_t *ns);

/* WIDTHxHEIGHT ("1280x800", also "1280X800"), each from min to max. */
int hk_parse_resolution(const char *s, unsigned min, unsigned max, unsigned *w, unsigned *h);

#endif
