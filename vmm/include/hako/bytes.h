/*
 * Little-endian integers in byte buffers (device registers, firmware tables, guest structures),
 * big-endian ones (network byte order: frames, passt's length prefix) and hexadecimal digits: the
 * one copy every part of the engine (and the common library) uses.
 */
#ifndef HAKO_BYTES_H
#define HAKO_BYTES_H

#include <stdint.h>

static inline void hk_put_le(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint64_t hk_get_le(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static inline uint16_t hk_le16(const uint8_t *p)
{
    return (uint16_t)hk_get_le(p, 2);
}

static inline uint32_t hk_le32(const uint8_t *p)
{
    return (uint32_t)hk_get_le(p, 4);
}

static inline uint64_t hk_le64(const uint8_t *p)
{
    return hk_get_le(p, 8);
}

static inline void hk_put_le16(uint8_t *p, uint16_t v)
{
    hk_put_le(p, v, 2);
}

static inline void hk_put_le32(uint8_t *p, uint32_t v)
{
    hk_put_le(p, v, 4);
}

static inline void hk_put_le64(uint8_t *p, uint64_t v)
{
    hk_put_le(p, v, 8);
}

static inline uint16_t hk_be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t hk_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void hk_put_be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void hk_put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* 0-15 for a hexadecimal digit (either case), else -1 */
static inline int hk_hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

#endif
