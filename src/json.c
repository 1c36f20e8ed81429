/* json.c: JSON string escaping and number formatting. */
#include <math.h>

#include "json.h"

void msp_json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') fprintf(f, "\\%c", *p);
        else if (*p == '\n') fputs("\\n", f);
        else if (*p < 0x20) fprintf(f, "\\u%04x", *p);
        else fputc(*p, f);
    }
    fputc('"', f);
}

void msp_json_number(FILE *f, double x)
{
    if (isfinite(x)) fprintf(f, "%.10g", x);
    else fputs("null", f);
}
