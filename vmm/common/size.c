#include "hako/size.h"

#include <stdbool.h>

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static char upper(char c)
{
    return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

/* Digits in base 10 or 16 at s: the count of characters taken (0: none, or an overflow). */
static size_t scan_digits(const char *s, unsigned base, uint64_t *out)
{
    uint64_t v = 0;
    size_t n = 0;
    for (;; n++) {
        int d = base == 16 ? hex_value(s[n]) : is_digit(s[n]) ? s[n] - '0' : -1;
        if (d < 0)
            break;
        if (v > (UINT64_MAX - (uint64_t)d) / base)
            return 0;
        v = v * base + (uint64_t)d;
    }
    if (n)
        *out = v;
    return n;
}

int hk_parse_size_unit(const char *s, uint64_t bare_unit, uint64_t *out)
{
    uint64_t v;
    if (!s)
        return -1;
    size_t n = scan_digits(s, 10, &v);
    if (!n)
        return -1;
    const char *end = s + n;
    uint64_t mul = bare_unit;
    if (*end) {
        switch (upper(*end)) {
        case 'K': mul = HK_KIB; break;
        case 'M': mul = HK_MIB; break;
        case 'G': mul = HK_GIB; break;
        case 'T': mul = HK_TIB; break;
        case 'B': mul = 1; break;
        default: return -1;
        }
        bool bytes = upper(*end) == 'B';
        end++;
        if (!bytes && upper(*end) == 'I')
            end++;
        if (!bytes && upper(*end) == 'B')
            end++;
        if (*end)
            return -1;
    }
    if (mul && v > UINT64_MAX / mul)
        return -1;
    *out = v * mul;
    return 0;
}

int hk_parse_size(const char *s, uint64_t *out)
{
    return hk_parse_size_unit(s, 1, out);
}

int hk_parse_memory(const char *s, uint64_t *bytes)
{
    return hk_parse_size_unit(s, HK_MIB, bytes);
}

int hk_parse_memory_mib(const char *s, uint64_t *mib)
{
    uint64_t b;
    if (hk_parse_memory(s, &b) < 0 || b < HK_MIB)
        return -1;
    *mib = b / HK_MIB;
    return 0;
}

int hk_parse_uint(const char *s, int base, uint64_t min, uint64_t max, uint64_t *out)
{
    uint64_t v;
    if (!s || (base != 0 && base != 10))
        return -1;
    unsigned b = 10;
    if (base == 0 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        s += 2;
        b = 16;
    }
    size_t n = scan_digits(s, b, &v);
    if (!n || s[n] || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

size_t hk_scan_seconds(const char *s, uint64_t min_ns, uint64_t max_ns, uint64_t *ns)
{
    uint64_t whole = 0, frac = 0;
    if (!s)
        return 0;
    size_t n = scan_digits(s, 10, &whole);
    size_t pos = n;
    unsigned fdigits = 0;
    if (s[pos] == '.') {
        pos++;
        while (is_digit(s[pos])) {
            if (fdigits == 9)
                return 0; /* finer than a nanosecond */
            frac = frac * 10 + (uint64_t)(s[pos] - '0');
            fdigits++;
            pos++;
        }
    }
    if (!n && !fdigits)
        return 0; /* no digit at all ("", ".", "x") */
    for (; fdigits < 9; fdigits++)
        frac *= 10;
    if (whole > (UINT64_MAX - frac) / 1000000000ull)
        return 0;
    uint64_t v = whole * 1000000000ull + frac;
    if (v < min_ns || v > max_ns)
        return 0;
    *ns = v;
    return pos;
}

int hk_parse_seconds(const char *s, uint64_t min_ns, uint64_t max_ns, uint64_t *ns)
{
    uint64_t v;
    size_t n = hk_scan_seconds(s, min_ns, max_ns, &v);
    if (!n || s[n])
        return -1;
    *ns = v;
    return 0;
}

int hk_parse_resolution(const char *s, unsigned min, unsigned max, unsigned *w, unsigned *h)
{
    uint64_t a, b;
    if (!s)
        return -1;
    size_t n = scan_digits(s, 10, &a);
    if (!n || (s[n] != 'x' && s[n] != 'X'))
        return -1;
    const char *t = s + n + 1;
    size_t m = scan_digits(t, 10, &b);
    if (!m || t[m] || a < min || a > max || b < min || b > max)
        return -1;
    *w = (unsigned)a;
    *h = (unsigned)b;
    return 0;
}
