/* confwrite.c: libconfig string literals (contract in confwrite.h). */
#include "confwrite.h"

#include <stdlib.h>
#include <string.h>

#include "status.h"

/* The escapes libconfig's scanner understands: \\ \" \n \t \f \r and \xNN
 * with exactly two hex digits. Any other backslash sequence it keeps as two
 * characters, so nothing else may be escaped. */
static size_t escape_byte(unsigned char c, char out[4])
{
    static const char named[][2] = {{'"', '"'},  {'\\', '\\'}, {'\n', 'n'},
                                    {'\t', 't'}, {'\f', 'f'},   {'\r', 'r'}};
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
        if (c == (unsigned char)named[i][0]) {
            out[0] = '\\';
            out[1] = named[i][1];
            return 2;
        }
    if (c < 0x20 || c == 0x7f) {
        static const char hex[] = "0123456789abcdef";
        out[0] = '\\';
        out[1] = 'x';
        out[2] = hex[c >> 4];
        out[3] = hex[c & 15];
        return 4;
    }
    out[0] = (char)c;
    return 1;
}

char *msp_conf_quote(const char *s)
{
    size_t n = strlen(s);
    char *q = msp_malloc(4 * n + 3), *w = q;
    *w++ = '"';
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) w += escape_byte(*p, w);
    *w++ = '"';
    *w = '\0';
    return q;
}

void msp_conf_put_string(FILE *f, const char *s)
{
    char *q = msp_conf_quote(s);
    fputs(q, f);
    free(q);
}
