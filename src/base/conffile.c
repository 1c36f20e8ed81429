/* conffile.c: read msprune's libconfig-syntax files (contract in conffile.h).
 *
 * The file is read into memory once (never blocking on a FIFO, bounded in
 * size), pre-scanned for what libconfig 1.5 accepts silently or handles
 * badly, then parsed with config_read_string:
 *  - NUL bytes truncate strings; integers wrap at 32 or 64 bits; an
 *    unterminated comment swallows the rest of the file; an unterminated
 *    string leaks libconfig's buffer;
 *  - @include would read any file, FIFO or directory (libconfig exits the
 *    process on a directory) past every size limit, so it is refused;
 *  - adding a setting compares its name with every earlier one in its
 *    group, so a group is limited to MAX_GROUP_SETTINGS and nesting to
 *    MAX_DEPTH, which keeps parsing linear in the file's size.
 */
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomicio.h"
#include "conffile.h"

#define MAX_DEPTH 32
#define MAX_GROUP_SETTINGS 1000

typedef struct issue {
    int line;      /* 0: none found */
    bool no_parse; /* report it without asking libconfig (which would confuse or leak) */
    char msg[512];
} issue;

static void note(issue *is, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void note(issue *is, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(is->msg, sizeof is->msg, fmt, ap);
    va_end(ap);
    is->line = line;
}

/* Numbers follow libconfig 1.5's scanner: [-+]?[0-9]+(L|LL)?, 0x[0-9a-f]+(L|LL)?,
 * and floats with '.' or an exponent. Returns the index after the token. */
static size_t scan_number(const char *b, size_t i, int line, issue *is)
{
    size_t start = i;
    bool neg = false;
    if (b[i] == '+' || b[i] == '-') neg = b[i++] == '-';
    int shown = 0;
    unsigned long long v = 0;
    bool over = false;
    if (!neg && b[start] != '+' && b[i] == '0' && (b[i + 1] == 'x' || b[i + 1] == 'X') &&
        isxdigit((unsigned char)b[i + 2])) {
        for (i += 2; isxdigit((unsigned char)b[i]); i++) {
            int d = isdigit((unsigned char)b[i]) ? b[i] - '0' : tolower((unsigned char)b[i]) - 'a' + 10;
            if (v > (ULLONG_MAX >> 4)) over = true;
            v = (v << 4) | (unsigned)d;
        }
        bool wide = b[i] == 'L';
        shown = (int)(i - start > 40 ? 40 : i - start);
        if (!wide && (over || v > INT_MAX))
            note(is, line, "hex integer %.*s does not fit in 32 bits (libconfig would wrap it); "
                 "write %.*sL for a 64-bit integer", shown, b + start, shown, b + start);
        else if (wide && (over || v > LLONG_MAX))
            note(is, line, "hex integer %.*s does not fit in 64 bits", shown, b + start);
        while (b[i] == 'L') i++;
        return i;
    }
    for (; isdigit((unsigned char)b[i]); i++) {
        unsigned d = (unsigned)(b[i] - '0');
        if (v > (ULLONG_MAX - d) / 10) over = true;
        else v = v * 10 + d;
    }
    if (b[i] == '.' || b[i] == 'e' || b[i] == 'E') {
        double f = strtod(b + start, NULL);
        if (b[i] == '.')
            for (i++; isdigit((unsigned char)b[i]); i++) {}
        if ((b[i] == 'e' || b[i] == 'E') &&
            (isdigit((unsigned char)b[i + 1]) ||
             ((b[i + 1] == '+' || b[i + 1] == '-') && isdigit((unsigned char)b[i + 2]))))
            for (i += 2; isdigit((unsigned char)b[i]); i++) {}
        shown = (int)(i - start > 40 ? 40 : i - start);
        if (isinf(f)) note(is, line, "number %.*s is too large", shown, b + start);
        return i;
    }
    bool wide = b[i] == 'L';
    shown = (int)(i - start > 40 ? 40 : i - start);
    unsigned long long max32 = neg ? 2147483648ull : 2147483647ull;
    unsigned long long max64 = neg ? 9223372036854775808ull : 9223372036854775807ull;
    if (over || v > max64)
        note(is, line, "integer %.*s%s does not fit in 64 bits", shown, b + start,
             i - start > 40 ? "..." : "");
    else if (!wide && v > max32)
        note(is, line, "integer %.*s does not fit in 32 bits (libconfig would wrap it); "
             "write %.*sL for a 64-bit integer", shown, b + start, shown, b + start);
    while (b[i] == 'L') i++;
    return i;
}

static bool name_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '-' || c == '*';
}

/* Finds the first thing libconfig would accept silently but wrongly. */
static void prescan(const char *b, size_t n, const char *what, issue *is)
{
    int line = 1;
    int depth = 0, named[MAX_DEPTH + 1] = { 0 };
    const char *nul = memchr(b, '\0', n);
    if (nul) {
        for (const char *p = b; p < nul; p++) line += *p == '\n';
        note(is, line, "NUL byte in the file; %s must be text", what);
        is->no_parse = true;
        return;
    }
    size_t i = 0;
    while (i < n && !is->line) {
        char c = b[i];
        if (c == '\n') {
            line++;
            i++;
        } else if (c == '"') {
            /* libconfig 1.5 leaks its string buffer on an unterminated string */
            int open_line = line;
            for (i++; i < n && b[i] != '"'; i++) {
                if (b[i] == '\\' && i + 1 < n) i++;
                if (b[i] == '\n') line++;
            }
            if (i >= n) {
                note(is, open_line, "unterminated string (no closing \")");
                is->no_parse = true;
            }
            i++;
        } else if (c == '#' || (c == '/' && b[i + 1] == '/')) {
            while (i < n && b[i] != '\n') i++;
        } else if (c == '/' && b[i + 1] == '*') {
            int open_line = line;
            const char *close = strstr(b + i + 2, "*/");
            size_t end = close ? (size_t)(close - b) + 2 : n;
            for (; i < end; i++) line += b[i] == '\n';
            if (!close) note(is, open_line, "unterminated /* comment (no closing */)");
        } else if (c == '@') {
            if (strncmp(b + i, "@include", 8) == 0) {
                note(is, line, "@include is not supported; put the settings in this file");
                is->no_parse = true; /* libconfig would open it while parsing */
            }
            i++;
        } else if (c == '{' || c == '(' || c == '[') {
            if (depth == MAX_DEPTH) {
                note(is, line, "nested deeper than %d levels", MAX_DEPTH);
                is->no_parse = true;
            } else {
                named[++depth] = 0;
            }
            i++;
        } else if (c == '}' || c == ')' || c == ']') {
            if (depth > 0) depth--;
            i++;
        } else if (isalpha((unsigned char)c) || c == '*') {
            while (name_char(b[i])) i++;
            size_t j = i;
            while (j < n && (b[j] == ' ' || b[j] == '\t')) j++;
            if ((b[j] == '=' || b[j] == ':') && ++named[depth] > MAX_GROUP_SETTINGS) {
                /* libconfig checks each new name against every earlier one */
                note(is, line, "more than %d settings in one group", MAX_GROUP_SETTINGS);
                is->no_parse = true;
            }
        } else if (isdigit((unsigned char)c) ||
                   ((c == '+' || c == '-' || c == '.') && isdigit((unsigned char)b[i + 1])) ||
                   ((c == '+' || c == '-') && b[i + 1] == '.' && isdigit((unsigned char)b[i + 2]))) {
            i = scan_number(b, i, line, is);
        } else {
            i++;
        }
    }
}

msp_status msp_conffile_parse(const char *path, const char *what, const char *text, size_t len,
                              config_t *cf, msp_err *err)
{
    issue is = { 0 };
    prescan(text, len, what, &is);
    if (is.no_parse) return msp_err_set(err, MSP_BAD_INPUT, path, is.line, "%s", is.msg);
    if (!config_read_string(cf, text)) {
        int line = config_error_line(cf);
        /* An earlier pre-scan finding (an unterminated comment) explains the syntax error. */
        if (is.line && is.line <= line) return msp_err_set(err, MSP_BAD_INPUT, path, is.line, "%s", is.msg);
        return msp_err_set(err, MSP_BAD_INPUT, path, line, "%s", config_error_text(cf));
    }
    if (is.line) return msp_err_set(err, MSP_BAD_INPUT, path, is.line, "%s", is.msg);
    return MSP_OK;
}

msp_status msp_conffile_read(const char *path, const char *what, size_t max_bytes, config_t *cf,
                             msp_err *err)
{
    char *text;
    size_t len;
    msp_status st = msp_read_small(path, max_bytes, what, &text, &len, err);
    if (st != MSP_OK) return st;
    st = msp_conffile_parse(path, what, text, len, cf, err);
    free(text);
    return st;
}

int msp_conffile_line(const config_setting_t *s)
{
    while (s && config_setting_source_line(s) == 0) s = config_setting_parent(s);
    unsigned l = s ? config_setting_source_line(s) : 0;
    return l < 1 ? 1 : l > INT_MAX ? INT_MAX : (int)l;
}

msp_status msp_conf_bad(const msp_conf_reader *r, const config_setting_t *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    msp_err_vset(r->err, MSP_BAD_INPUT, r->path, msp_conffile_line(s), fmt, ap);
    va_end(ap);
    return MSP_BAD_INPUT;
}

msp_status msp_conf_known_keys(const msp_conf_reader *r, const config_setting_t *g,
                               const char *where, const char *const *names)
{
    int n = config_setting_length(g);
    for (int i = 0; i < n; i++) {
        const config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
        const char *k = config_setting_name(s);
        int ok = 0;
        for (const char *const *p = names; *p && !ok; p++) ok = k && !strcmp(k, *p);
        if (!ok)
            return where ? msp_conf_bad(r, s, "unknown key '%s' in %s", k ? k : "?", where)
                         : msp_conf_bad(r, s, "unknown key '%s'", k ? k : "?");
    }
    return MSP_OK;
}
