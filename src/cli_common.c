/* cli_common.c: error printing and strict argument parsing for commands. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int msp_cli_finish(msp_status st, const msp_err *err)
{
    if (st != MSP_OK && st != MSP_INTERRUPTED && err && err->msg[0])
        fprintf(stderr, "msprune: %s\n", err->msg);
    return (int)st;
}

int msp_cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "msprune %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'msprune %s --help'.\n", cmd);
    return MSP_BAD_INPUT;
}

int msp_cli_parse_engine(const char *s, msp_engine_kind *out)
{
    if (!strcmp(s, "fast")) *out = MSP_ENGINE_FAST;
    else if (!strcmp(s, "stock")) *out = MSP_ENGINE_STOCK;
    else return 0;
    return 1;
}

int msp_cli_parse_int(const char *s, int lo, int hi, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) return 0;
    *out = (int)v;
    return 1;
}
