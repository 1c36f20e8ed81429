/* json.c: JSON string escaping and number formatting. */
#include <math.h>
#include <string.h>

#include "json.h"
#include "utf8.h"

void msp_json_string(FILE *f, const char *s)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + strlen(s);
    fputc('"', f);
    while (p < end) {
        unsigned char c = *p;
        size_t k = msp_utf8_len(p, end);
        if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
        else if (c == '\n') fputs("\\n", f);
        else if (c == '\t') fputs("\\t", f);
        else if (c == '\r') fputs("\\r", f);
        else if (c < 0x20 || c == 0x7f) fprintf(f, "\\u%04x", c);
        else if (k == 0) fputs("\\ufffd", f); /* not UTF-8: U+FFFD for the byte */
        else fwrite(p, 1, k, f);
        p += k ? k : 1;
    }
    fputc('"', f);
}

void msp_json_number(FILE *f, double x)
{
    if (isfinite(x)) fprintf(f, "%.10g", x);
    else fputs("null", f);
}
