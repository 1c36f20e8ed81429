/* bytebuf.c: the growable little-endian byte buffer (bytebuf.h). */
#include <string.h>

#include "bytebuf.h"
#include "status.h"

void msp_bytebuf_put(msp_bytebuf *b, const void *src, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2;
        b->p = msp_realloc(b->p, b->cap);
    }
    memcpy(b->p + b->n, src, n);
    b->n += n;
}

void msp_bytebuf_put_u32(msp_bytebuf *b, uint32_t v)
{
    unsigned char c[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    msp_bytebuf_put(b, c, 4);
}

void msp_bytebuf_put_u64(msp_bytebuf *b, uint64_t v)
{
    msp_bytebuf_put_u32(b, (uint32_t)v);
    msp_bytebuf_put_u32(b, (uint32_t)(v >> 32));
}

void msp_bytebuf_put_f32(msp_bytebuf *b, float v)
{
    uint32_t u;
    memcpy(&u, &v, 4);
    msp_bytebuf_put_u32(b, u);
}

void msp_bytebuf_put_f64(msp_bytebuf *b, double v)
{
    uint64_t u;
    memcpy(&u, &v, 8);
    msp_bytebuf_put_u64(b, u);
}

uint32_t msp_le_u32(const unsigned char *c)
{
    return (uint32_t)c[0] | (uint32_t)c[1] << 8 | (uint32_t)c[2] << 16 | (uint32_t)c[3] << 24;
}

uint64_t msp_le_u64(const unsigned char *c)
{
    return (uint64_t)msp_le_u32(c) | (uint64_t)msp_le_u32(c + 4) << 32;
}
