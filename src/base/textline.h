/* textline.h: one bounded line of a text file, the first step of every
 * line-based reader (image lists, class names, the selector's CSV files):
 * a NUL byte means the file is not text, and a line is never longer than
 * its reader allows, so binary junk fails at its first line. */
#ifndef MSP_TEXTLINE_H
#define MSP_TEXTLINE_H

#include <stddef.h>
#include <stdio.h>

#include "status.h"

/* Read the next line of f, without its '\n', into *buf (grown as needed;
 * *cap bytes, owned by the caller; NUL-terminated) and its length into *len.
 * *got = 0 when f was at its end. A NUL byte or more than max bytes is
 * MSP_BAD_INPUT and a read error MSP_FAIL, each at path:line_no (the number
 * the line would have). */
msp_status msp_read_line(FILE *f, const char *path, int line_no, size_t max, char **buf,
                         size_t *cap, size_t *len, int *got, msp_err *err);

#endif
