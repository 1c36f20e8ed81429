/* textline.c: one bounded line of a text file (textline.h). */
#include <errno.h>
#include <string.h>

#include "textline.h"

msp_status msp_read_line(FILE *f, const char *path, int line_no, size_t max, char **buf,
                         size_t *cap, size_t *len, int *got, msp_err *err)
{
    size_t n = 0;
    int ch;
    *got = 0;
    *len = 0;
    if (!*buf) {
        *cap = 256;
        *buf = msp_malloc(*cap);
    }
    while ((ch = getc(f)) != EOF) {
        *got = 1;
        if (ch == '\n') break;
        if (ch == '\0')
            return msp_err_set(err, MSP_BAD_INPUT, path, line_no,
                               "line contains a NUL byte (is this a text file?)");
        if (n == max)
            return msp_err_set(err, MSP_BAD_INPUT, path, line_no, "line is longer than %zu bytes",
                               max);
        if (n + 1 >= *cap) {
            *cap *= 2;
            *buf = msp_realloc(*buf, *cap);
        }
        (*buf)[n++] = (char)ch;
    }
    if (ferror(f))
        return msp_err_set(err, MSP_FAIL, path, line_no, "read error: %s", strerror(errno));
    (*buf)[n] = '\0';
    *len = n;
    return MSP_OK;
}
