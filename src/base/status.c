/* status.c: error messages, always-on asserts and checked allocation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "status.h"

msp_status msp_err_vset(msp_err *err, msp_status status, const char *file, int line,
                        const char *fmt, va_list ap)
{
    if (!err) return status;
    int n = 0;
    if (file && line > 0) n = snprintf(err->msg, sizeof err->msg, "%s:%d: ", file, line);
    else if (file) n = snprintf(err->msg, sizeof err->msg, "%s: ", file);
    if (n < 0 || (size_t)n >= sizeof err->msg) n = 0;
    vsnprintf(err->msg + n, sizeof err->msg - (size_t)n, fmt, ap);
    return status;
}

msp_status msp_err_set(msp_err *err, msp_status status, const char *file, int line,
                       const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    msp_err_vset(err, status, file, line, fmt, ap);
    va_end(ap);
    return status;
}

void msp_assert_fail(const char *expr, const char *file, int line)
{
    fprintf(stderr, "msprune: %s:%d: internal error: assertion '%s' failed\n", file, line, expr);
    abort();
}

/* Every size reaching the allocators has been bounded by a validator, so
 * running out means the machine or its limit (ulimit -v) is too small for
 * the work: a failure (exit 1), not a broken invariant. _exit, because
 * library destructors (OpenBLAS's) can wait forever for a thread stuck in
 * its own allocation. */
static void out_of_memory(size_t n)
{
    fflush(stdout);
    fprintf(stderr, "msprune: out of memory: %zu more bytes could not be allocated; "
                    "free memory or raise the limit (ulimit -v)\n", n);
    _exit(MSP_FAIL);
}

void *msp_malloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) out_of_memory(n);
    return p;
}

void *msp_calloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) out_of_memory(n * size);
    return p;
}

void *msp_realloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) out_of_memory(n);
    return q;
}

char *msp_strcat3(const char *a, const char *b, const char *c)
{
    size_t na = strlen(a), nb = strlen(b), nc = strlen(c);
    char *p = msp_malloc(na + nb + nc + 1);
    memcpy(p, a, na);
    memcpy(p + na, b, nb);
    memcpy(p + na + nb, c, nc + 1);
    return p;
}

char *msp_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(msp_malloc(n), s, n);
}

void msp_free_strings(char **v, int n)
{
    if (!v) return;
    for (int i = 0; i < n; i++) free(v[i]);
    free(v);
}
