/* utf8.c: UTF-8 validation (RFC 3629). */
#include <string.h>

#include "utf8.h"

size_t msp_utf8_len(const unsigned char *p, const unsigned char *end)
{
    if (p >= end) return 0;
    unsigned char c = p[0];
    size_t n;
    unsigned min, cp;
    if (c < 0x80) return 1;
    if (c >= 0xc2 && c <= 0xdf) n = 2, cp = c & 0x1f, min = 0x80;
    else if (c >= 0xe0 && c <= 0xef) n = 3, cp = c & 0x0f, min = 0x800;
    else if (c >= 0xf0 && c <= 0xf4) n = 4, cp = c & 0x07, min = 0x10000;
    else return 0;
    if ((size_t)(end - p) < n) return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80) return 0;
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    return n;
}

long msp_utf8_invalid(const char *s)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + strlen(s);
    while (p < end) {
        size_t k = msp_utf8_len(p, end);
        if (!k) return (long)(p - (const unsigned char *)s);
        p += k;
    }
    return -1;
}

long msp_utf8_unprintable(const char *s)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + strlen(s);
    while (p < end) {
        size_t k = msp_utf8_len(p, end);
        /* C1 controls U+0080..U+009F are encoded as C2 80..C2 9F. */
        int control = k == 1 ? (p[0] < 0x20 || p[0] == 0x7f) : k == 2 && p[0] == 0xc2 && p[1] < 0xa0;
        if (!k || control) return (long)(p - (const unsigned char *)s);
        p += k;
    }
    return -1;
}
