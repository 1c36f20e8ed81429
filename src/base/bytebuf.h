/* bytebuf.h: a growable byte buffer for binary files that are built in
 * memory, checksummed and then written in one go (checkpoints, premodels).
 * Numbers are always put little-endian, whatever the host, so a file written
 * on one machine reads the same on another. */
#ifndef MSP_BYTEBUF_H
#define MSP_BYTEBUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct msp_bytebuf {
    unsigned char *p; /* owned; free() */
    size_t n, cap;
} msp_bytebuf;

/* Append n raw bytes (strings, magic numbers). */
void msp_bytebuf_put(msp_bytebuf *b, const void *src, size_t n);
void msp_bytebuf_put_u32(msp_bytebuf *b, uint32_t v);
void msp_bytebuf_put_u64(msp_bytebuf *b, uint64_t v);
/* IEEE-754 bit patterns, little-endian like the integers. */
void msp_bytebuf_put_f32(msp_bytebuf *b, float v);
void msp_bytebuf_put_f64(msp_bytebuf *b, double v);

/* Little-endian numbers read back from bytes (the readers check bounds). */
uint32_t msp_le_u32(const unsigned char *c);
uint64_t msp_le_u64(const unsigned char *c);

#endif
