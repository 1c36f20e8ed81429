/* utf8.h: UTF-8 validation, shared by the JSON reader and writer and by the
 * readers of class names (experiment config, names files). */
#ifndef MSP_UTF8_H
#define MSP_UTF8_H

#include <stddef.h>

/* Length of the valid UTF-8 sequence that starts at p and ends before end:
 * 1 for an ASCII byte, 2 to 4 for a multi-byte sequence, 0 when the bytes
 * there are not valid UTF-8 (a stray continuation byte, an overlong form, a
 * surrogate, a code point above U+10FFFF, a sequence cut short by end). */
size_t msp_utf8_len(const unsigned char *p, const unsigned char *end);
/* Offset of the first byte of the NUL-terminated s that is not valid UTF-8,
 * or -1 when all of s is. */
long msp_utf8_invalid(const char *s);
/* Offset of the first byte of the NUL-terminated s that does not print as
 * text: invalid UTF-8, or a control character (C0, DEL, or C1, whose U+009B
 * some terminals take as the start of an escape sequence); -1 when all of s
 * prints. For names read from files and shown on a terminal. */
long msp_utf8_unprintable(const char *s);

#endif
