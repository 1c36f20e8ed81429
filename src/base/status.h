/* status.h: how msprune reports failure.
 *
 * Two kinds of errors:
 *  - broken invariants: MSP_ASSERT, always on, names file and line, aborts;
 *  - bad input and failed work: functions return an msp_status and fill an
 *    msp_err with a message; only main() prints it and turns it into an exit code.
 * Library code never calls exit(); the one exception is running out of
 * memory in msp_malloc and its kin, which ends the process with exit 1.
 */
#ifndef MSP_STATUS_H
#define MSP_STATUS_H

#include <stdarg.h>
#include <stddef.h>

/* The values are the process exit codes of the command-line contract. */
typedef enum msp_status {
    MSP_OK = 0,
    MSP_FAIL = 1,      /* the work failed: I/O error, training diverged */
    MSP_BAD_INPUT = 2, /* bad usage or bad input file */
    MSP_INTERRUPTED = 130 /* SIGINT handled cleanly */
} msp_status;

/* The message is complete and printable as is: "FILE:LINE: what is wrong". */
typedef struct msp_err {
    char msg[1024];
} msp_err;

/* Fill err (may be NULL) with "file:line: fmt..." (line <= 0 omits the line,
 * file == NULL omits both) and return status, so callers can write
 * `return msp_err_set(err, MSP_BAD_INPUT, path, line, "...")`. */
msp_status msp_err_set(msp_err *err, msp_status status, const char *file, int line,
                       const char *fmt, ...) __attribute__((format(printf, 5, 6)));
msp_status msp_err_vset(msp_err *err, msp_status status, const char *file, int line,
                        const char *fmt, va_list ap);

void msp_assert_fail(const char *expr, const char *file, int line) __attribute__((noreturn));
#define MSP_ASSERT(x) ((x) ? (void)0 : msp_assert_fail(#x, __FILE__, __LINE__))

/* malloc/calloc/realloc that never return NULL: every size reaching them
 * has been bounded by a validator first, so exhaustion means the memory or
 * its limit is too small; they print "msprune: out of memory: ..." and end
 * the process with exit status 1. */
void *msp_malloc(size_t n);
void *msp_calloc(size_t n, size_t size);
void *msp_realloc(void *p, size_t n);
char *msp_strdup(const char *s);
/* Free the first n strings of v, then v itself; v may be NULL. */
void msp_free_strings(char **v, int n);
/* a + b + c in a new string (paths: msp_strcat3(dir, "/", leaf)). */
char *msp_strcat3(const char *a, const char *b, const char *c);

#endif
