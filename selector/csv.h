/* csv.h: internal to selector/: the small, strict CSV reading that the
 * outcomes and table loaders share. Not a general CSV parser: fields are
 * separated by ',', never quoted (a '"' is refused), surrounding blanks are
 * trimmed, a trailing '\r' is dropped (CRLF files). Lines are bounded
 * (MSP_CSV_MAX_LINE bytes) and a NUL byte is refused, so binary junk fails at
 * its first line instead of being read as a huge field. */
#ifndef MSP_SELECTOR_CSV_H
#define MSP_SELECTOR_CSV_H

#include <stdio.h>

#include "base/base.h"

#define MSP_CSV_MAX_LINE (1 << 20)

typedef struct msp_csv {
    FILE *f;
    const char *path;
    int line;  /* number of the line in buf (1-based) */
    char *buf; /* the current line, NUL-terminated, owned */
    size_t cap;
} msp_csv;

/* Open a regular file for reading; MSP_BAD_INPUT if missing or not a file. */
msp_status msp_csv_open(msp_csv *r, const char *path, msp_err *err);
void msp_csv_close(msp_csv *r);
/* Next line into r->buf (without '\n' and a trailing '\r'); *have = 0 at the
 * end of the file. */
msp_status msp_csv_next(msp_csv *r, int *have, msp_err *err);
/* Number of comma-separated fields of s. */
int msp_csv_count(const char *s);
/* Split s in place into exactly n fields (n == msp_csv_count(s)), each
 * trimmed of blanks; refuses quoted fields. */
msp_status msp_csv_split(msp_csv *r, char *s, char **fields, int n, msp_err *err);

/* Strict numbers: the whole field, no blanks, base 10. */
typedef enum msp_csv_num {
    MSP_CSV_NUM_OK = 0,
    MSP_CSV_NUM_BAD = 1,      /* not a number (or empty) */
    MSP_CSV_NUM_NONFINITE = 2, /* nan, inf, or overflows a double */
    MSP_CSV_NUM_RANGE = 3     /* an integer outside long long */
} msp_csv_num;
msp_csv_num msp_csv_double(const char *s, double *v);
msp_csv_num msp_csv_ll(const char *s, long long *v);

/* "file:line: column 'NAME': 'TEXT' is not a number" and friends, for a
 * parse result other than MSP_CSV_NUM_OK. */
msp_status msp_csv_num_error(const msp_csv *r, msp_csv_num what, const char *column,
                             const char *text, msp_err *err);

#endif
