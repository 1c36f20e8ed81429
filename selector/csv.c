/* csv.c: bounded line reading, field splitting and strict number parsing
 * for the selector/ loaders (see csv.h for the accepted dialect). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/base.h"
#include "selector/csv.h"

msp_status msp_csv_open(msp_csv *r, const char *path, msp_err *err)
{
    memset(r, 0, sizeof *r);
    r->path = path;
    int fd;
    uint64_t size;
    msp_status st = msp_open_regular(path, &fd, &size, err);
    if (st != MSP_OK) return st;
    r->f = fdopen(fd, "r");
    if (!r->f) {
        close(fd);
        return msp_err_set(err, MSP_FAIL, path, 0, "cannot read: %s", strerror(errno));
    }
    return MSP_OK;
}

void msp_csv_close(msp_csv *r)
{
    if (r->f) fclose(r->f);
    free(r->buf);
    r->f = NULL;
    r->buf = NULL;
    r->cap = 0;
}

msp_status msp_csv_next(msp_csv *r, int *have, msp_err *err)
{
    size_t len;
    int any;
    *have = 0;
    msp_status st = msp_read_line(r->f, r->path, r->line + 1, MSP_CSV_MAX_LINE - 1, &r->buf,
                                  &r->cap, &len, &any, err);
    if (st != MSP_OK) return st;
    if (!any) return MSP_OK;
    if (r->line == 0x7fffffff)
        return msp_err_set(err, MSP_BAD_INPUT, r->path, r->line, "too many lines");
    r->line++;
    if (len > 0 && r->buf[len - 1] == '\r') len--;
    r->buf[len] = '\0';
    *have = 1;
    return MSP_OK;
}

int msp_csv_count(const char *s)
{
    int n = 1;
    for (; *s; s++) n += *s == ',';
    return n;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    size_t len = strlen(s);
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t')) len--;
    s[len] = '\0';
    return s;
}

msp_status msp_csv_split(msp_csv *r, char *s, char **fields, int n, msp_err *err)
{
    if (strchr(s, '"'))
        return msp_err_set(err, MSP_BAD_INPUT, r->path, r->line,
                           "quoted fields are not supported (names and numbers need no quotes)");
    for (int i = 0; i < n; i++) {
        char *comma = strchr(s, ',');
        if (comma) *comma = '\0';
        fields[i] = trim(s);
        s = comma ? comma + 1 : s + strlen(s);
    }
    return MSP_OK;
}

msp_csv_num msp_csv_double(const char *s, double *v)
{
    *v = 0;
    if (!*s || strchr(" \t\n\v\f\r", *s)) return MSP_CSV_NUM_BAD;
    /* strtod also reads hex floats and "infinity"; only decimals are data. */
    for (const char *p = s; *p; p++)
        if (!strchr("0123456789+-.eE", *p)) {
            if (strchr("iInN", *p)) {
                char *end;
                double x = strtod(s, &end);
                if (*end == '\0' && !isfinite(x)) return MSP_CSV_NUM_NONFINITE;
            }
            return MSP_CSV_NUM_BAD;
        }
    char *end;
    errno = 0;
    double x = strtod(s, &end);
    if (end == s || *end != '\0') return MSP_CSV_NUM_BAD;
    /* ERANGE on underflow gives a tiny, finite value: keep it. */
    if (!isfinite(x)) return MSP_CSV_NUM_NONFINITE;
    *v = x;
    return MSP_CSV_NUM_OK;
}

msp_csv_num msp_csv_ll(const char *s, long long *v)
{
    *v = 0;
    const char *p = s;
    if (*p == '+' || *p == '-') p++;
    if (!*p) return MSP_CSV_NUM_BAD;
    for (; *p; p++)
        if (*p < '0' || *p > '9') return MSP_CSV_NUM_BAD;
    char *end;
    errno = 0;
    long long x = strtoll(s, &end, 10);
    if (errno == ERANGE) return MSP_CSV_NUM_RANGE;
    *v = x;
    return MSP_CSV_NUM_OK;
}

msp_status msp_csv_num_error(const msp_csv *r, msp_csv_num what, const char *column,
                             const char *text, msp_err *err)
{
    switch (what) {
    case MSP_CSV_NUM_NONFINITE:
        return msp_err_set(err, MSP_BAD_INPUT, r->path, r->line,
                           "column '%s': '%.40s' is not a finite number", column, text);
    case MSP_CSV_NUM_RANGE:
        return msp_err_set(err, MSP_BAD_INPUT, r->path, r->line,
                           "column '%s': '%.40s' is out of range", column, text);
    default:
        if (!*text)
            return msp_err_set(err, MSP_BAD_INPUT, r->path, r->line,
                               "column '%s' is empty (every cell needs a number)", column);
        return msp_err_set(err, MSP_BAD_INPUT, r->path, r->line,
                           "column '%s': '%.40s' is not a number", column, text);
    }
}
