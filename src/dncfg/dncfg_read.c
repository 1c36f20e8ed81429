/* dncfg_read.c: the INI-like syntax of Darknet .cfg files, read and written.
 *
 * Reading mirrors Darknet's read_cfg (every whitespace character of a line is
 * dropped, '#' and ';' start comment lines) but refuses what Darknet would
 * silently misread: keys outside a section, lines that are neither a section
 * nor key=value, duplicate keys, control characters, NUL bytes. Sizes are
 * capped (MSP_DN_MAX_*) before anything is allocated from them. Only syntax
 * is checked here; meaning is dncfg_check.c's job.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/base.h"
#include "dncfg.h"

/* ---- building ---------------------------------------------------------- */

typedef struct builder {
    msp_dn_cfg cfg;
    int cap_sec;
    int cap_kv; /* capacity of the last section's kv array */
} builder;

static msp_dn_section *add_section(builder *b, const char *type, int line)
{
    if (b->cfg.n_sec == b->cap_sec) {
        b->cap_sec = b->cap_sec ? 2 * b->cap_sec : 16;
        b->cfg.sec = msp_realloc(b->cfg.sec, (size_t)b->cap_sec * sizeof *b->cfg.sec);
    }
    msp_dn_section *s = &b->cfg.sec[b->cfg.n_sec++];
    memset(s, 0, sizeof *s);
    s->type = msp_strdup(type);
    s->line = line;
    b->cap_kv = 0;
    return s;
}

static void add_kv(msp_dn_section *s, int *cap, const char *key, const char *value, int line)
{
    if (s->n_kv == *cap) {
        *cap = *cap ? 2 * *cap : 8;
        s->kv = msp_realloc(s->kv, (size_t)*cap * sizeof *s->kv);
    }
    msp_dn_kv *kv = &s->kv[s->n_kv++];
    kv->key = msp_strdup(key);
    kv->value = msp_strdup(value);
    kv->line = line;
    kv->used = 0;
}

void msp_dncfg_copy(const msp_dn_cfg *src, msp_dn_cfg *dst)
{
    memset(dst, 0, sizeof *dst);
    dst->path = msp_strdup(src->path ? src->path : "");
    dst->n_sec = src->n_sec;
    dst->sec = msp_calloc((size_t)(src->n_sec ? src->n_sec : 1), sizeof *dst->sec);
    for (int i = 0; i < src->n_sec; i++) {
        const msp_dn_section *a = &src->sec[i];
        msp_dn_section *b = &dst->sec[i];
        b->type = msp_strdup(a->type);
        b->line = a->line;
        b->n_kv = a->n_kv;
        b->kv = msp_calloc((size_t)(a->n_kv ? a->n_kv : 1), sizeof *b->kv);
        for (int k = 0; k < a->n_kv; k++) {
            b->kv[k] = a->kv[k];
            b->kv[k].key = msp_strdup(a->kv[k].key);
            b->kv[k].value = msp_strdup(a->kv[k].value);
        }
    }
}

void msp_dncfg_free(msp_dn_cfg *cfg)
{
    if (!cfg) return;
    for (int i = 0; i < cfg->n_sec; i++) {
        msp_dn_section *s = &cfg->sec[i];
        for (int j = 0; j < s->n_kv; j++) {
            free(s->kv[j].key);
            free(s->kv[j].value);
        }
        free(s->kv);
        free(s->type);
    }
    free(cfg->sec);
    free(cfg->path);
    memset(cfg, 0, sizeof *cfg);
}

/* ---- parsing ----------------------------------------------------------- */

static int is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static int line_of_offset(const char *buf, size_t off)
{
    int line = 1;
    for (size_t i = 0; i < off; i++)
        if (buf[i] == '\n') line++;
    return line;
}

/* Line `line` (n bytes at start) into text as Darknet's strip() leaves it:
 * every whitespace character dropped. Other control characters are refused. */
static msp_status strip_line(const char *start, size_t n, char *text, const char *name, int line,
                             msp_err *err)
{
    if (n > MSP_DN_MAX_LINE_BYTES)
        return msp_err_set(err, MSP_BAD_INPUT, name, line,
                           "line is %zu bytes long, over the %u KiB cap", n,
                           MSP_DN_MAX_LINE_BYTES >> 10);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)start[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f') continue;
        if (c < 0x20 || c == 0x7f)
            return msp_err_set(err, MSP_BAD_INPUT, name, line,
                               "control character 0x%02x: this is not a text cfg file", c);
        text[k++] = (char)c;
    }
    text[k] = '\0';
    return MSP_OK;
}

/* A stripped "[type]" line: a new section. */
static msp_status parse_section(builder *b, char *text, const char *name, int line, msp_err *err)
{
    char *close = strchr(text, ']');
    if (!close)
        return msp_err_set(err, MSP_BAD_INPUT, name, line,
                           "section header '%.64s' has no closing ']'", text);
    if (close[1] != '\0')
        return msp_err_set(err, MSP_BAD_INPUT, name, line,
                           "text after ']' in section header '%.64s' (comments need "
                           "their own line)", text);
    *close = '\0';
    const char *type = text + 1;
    if (!*type) return msp_err_set(err, MSP_BAD_INPUT, name, line, "empty section name '[]'");
    for (const char *c = type; *c; c++)
        if (!is_name_char(*c))
            return msp_err_set(err, MSP_BAD_INPUT, name, line,
                               "bad section name '[%.64s]': use letters, digits and '_'", type);
    if (b->cfg.n_sec >= MSP_DN_MAX_SECTIONS)
        return msp_err_set(err, MSP_BAD_INPUT, name, line, "more than %d sections",
                           MSP_DN_MAX_SECTIONS);
    add_section(b, type, line);
    return MSP_OK;
}

/* A stripped "key=value" line: a key of the last section. */
static msp_status parse_key(builder *b, char *text, const char *name, int line, msp_err *err)
{
    char *eq = strchr(text, '=');
    if (!eq)
        return msp_err_set(err, MSP_BAD_INPUT, name, line,
                           "expected '[section]' or 'key=value', got '%.64s'", text);
    *eq = '\0';
    const char *key = text, *value = eq + 1;
    if (!*key) return msp_err_set(err, MSP_BAD_INPUT, name, line, "empty key before '='");
    if (b->cfg.n_sec == 0)
        return msp_err_set(err, MSP_BAD_INPUT, name, line,
                           "key '%.64s' before any section: the file must start with [net]", key);
    msp_dn_section *s = &b->cfg.sec[b->cfg.n_sec - 1];
    for (int j = 0; j < s->n_kv; j++)
        if (strcmp(s->kv[j].key, key) == 0)
            return msp_err_set(err, MSP_BAD_INPUT, name, line,
                               "duplicate key '%.64s' in [%s] (first set at line %d)", key,
                               s->type, s->kv[j].line);
    if (s->n_kv >= MSP_DN_MAX_KEYS)
        return msp_err_set(err, MSP_BAD_INPUT, name, line, "more than %d keys in [%s]",
                           MSP_DN_MAX_KEYS, s->type);
    add_kv(s, &b->cap_kv, key, value, line);
    return MSP_OK;
}

/* What a whole file must be before its lines are read: small, text, no BOM. */
static msp_status check_file(const char *buf, size_t len, const char *name, msp_err *err)
{
    if (len > MSP_DN_MAX_FILE_BYTES)
        return msp_err_set(err, MSP_BAD_INPUT, name, 0,
                           "file is %zu bytes, over the %u MiB cap for a Darknet cfg", len,
                           MSP_DN_MAX_FILE_BYTES >> 20);
    const char *nul = memchr(buf, '\0', len);
    if (nul)
        return msp_err_set(err, MSP_BAD_INPUT, name, line_of_offset(buf, (size_t)(nul - buf)),
                           "NUL byte: this is not a text file (a .weights file given as the "
                           ".cfg?)");
    if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
        return msp_err_set(err, MSP_BAD_INPUT, name, 1,
                           "the file starts with a UTF-8 byte-order mark, which Darknet "
                           "cannot read; save it without one");
    return MSP_OK;
}

/* The first section must be [net]. */
static msp_status check_first_section(const msp_dn_cfg *cfg, const char *name, msp_err *err)
{
    if (cfg->n_sec == 0)
        return msp_err_set(err, MSP_BAD_INPUT, name, 1,
                           "no sections: a Darknet cfg starts with [net] and lists layers");
    if (strcmp(cfg->sec[0].type, "net") != 0 && strcmp(cfg->sec[0].type, "network") != 0)
        return msp_err_set(err, MSP_BAD_INPUT, name, cfg->sec[0].line,
                           "first section is [%s]; it must be [net] (or [network])",
                           cfg->sec[0].type);
    return MSP_OK;
}

/* Parse len bytes of buf (which may hold NULs: they are reported, not
 * trusted as terminators). */
static msp_status parse_buffer(const char *buf, size_t len, const char *name, msp_dn_cfg *out,
                               msp_err *err)
{
    memset(out, 0, sizeof *out);
    msp_status st = check_file(buf, len, name, err);
    if (st != MSP_OK) return st;
    builder b = {0};
    char *text = msp_malloc(MSP_DN_MAX_LINE_BYTES + 1); /* one stripped line */
    size_t pos = 0;
    for (int line = 1; pos < len && st == MSP_OK; line++) {
        const char *start = buf + pos;
        const char *nl = memchr(start, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - start) : len - pos;
        pos += n + (nl ? 1 : 0);
        st = strip_line(start, n, text, name, line, err);
        if (st != MSP_OK || !text[0] || text[0] == '#' || text[0] == ';') continue;
        st = text[0] == '[' ? parse_section(&b, text, name, line, err)
                            : parse_key(&b, text, name, line, err);
    }
    free(text);
    if (st == MSP_OK) st = check_first_section(&b.cfg, name, err);
    if (st != MSP_OK) {
        msp_dncfg_free(&b.cfg);
        return st;
    }
    b.cfg.path = msp_strdup(name);
    *out = b.cfg;
    return MSP_OK;
}

msp_status msp_dncfg_parse_string(const char *text, const char *name, msp_dn_cfg *cfg,
                                  msp_err *err)
{
    if (!name) name = "<string>";
    /* strnlen bounds the scan so a huge string is refused, not walked. */
    size_t len = strnlen(text, (size_t)MSP_DN_MAX_FILE_BYTES + 1);
    return parse_buffer(text, len, name, cfg, err);
}

msp_status msp_dncfg_read(const char *path, msp_dn_cfg *cfg, msp_err *err)
{
    memset(cfg, 0, sizeof *cfg);
    int fd;
    uint64_t size;
    msp_status st0 = msp_open_regular(path, &fd, &size, err);
    if (st0 != MSP_OK) return st0;
    if (size > MSP_DN_MAX_FILE_BYTES) {
        close(fd);
        return msp_err_set(err, MSP_BAD_INPUT, path, 0,
                           "file is %llu bytes, over the %u MiB cap for a Darknet cfg",
                           (unsigned long long)size, MSP_DN_MAX_FILE_BYTES >> 20);
    }
    /* Read one byte past the cap so a file that grew since fstat is caught. */
    size_t cap = (size_t)MSP_DN_MAX_FILE_BYTES + 1, len = 0;
    size_t want = (size_t)size + 1;
    char *buf = msp_malloc(want);
    for (;;) {
        if (len == want) {
            if (want >= cap) break;
            want = want * 2 < cap ? want * 2 : cap;
            buf = msp_realloc(buf, want);
        }
        ssize_t r = read(fd, buf + len, want - len);
        if (r < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            free(buf);
            close(fd);
            return msp_err_set(err, MSP_FAIL, path, 0, "cannot read: %s", strerror(e));
        }
        if (r == 0) break;
        len += (size_t)r;
    }
    close(fd);
    msp_status st = parse_buffer(buf, len, path, cfg, err);
    free(buf);
    return st;
}

/* ---- access ------------------------------------------------------------ */

const char *msp_dncfg_get(const msp_dn_section *s, const char *key)
{
    for (int i = 0; i < s->n_kv; i++)
        if (strcmp(s->kv[i].key, key) == 0) return s->kv[i].value;
    return NULL;
}

void msp_dncfg_set(msp_dn_section *s, const char *key, const char *value)
{
    for (int i = 0; i < s->n_kv; i++)
        if (strcmp(s->kv[i].key, key) == 0) {
            char *v = msp_strdup(value);
            free(s->kv[i].value);
            s->kv[i].value = v;
            return;
        }
    /* Arrays are grown one at a time here: edits are rare and small. */
    s->kv = msp_realloc(s->kv, (size_t)(s->n_kv + 1) * sizeof *s->kv);
    msp_dn_kv *kv = &s->kv[s->n_kv++];
    kv->key = msp_strdup(key);
    kv->value = msp_strdup(value);
    kv->line = 0;
    kv->used = 0;
}

void msp_dncfg_set_int(msp_dn_section *s, const char *key, int value)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%d", value);
    msp_dncfg_set(s, key, buf);
}

/* ---- writing ----------------------------------------------------------- */

/* Something msp_dncfg_set let in that would not read back the same. */
static int bad_token(const char *s, int is_key)
{
    if (is_key && (!*s || *s == '[' || *s == '#' || *s == ';')) return 1;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c <= ' ' || c == 0x7f || (is_key && c == '=')) return 1;
    }
    return 0;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Appends to a growing buffer; the whole file is built in memory first so
 * the temporary file is written with few syscalls. */
typedef struct strbuf {
    char *p;
    size_t n, cap;
} strbuf;

static void sb_add(strbuf *b, const char *s)
{
    size_t k = strlen(s);
    if (b->n + k + 1 > b->cap) {
        while (b->n + k + 1 > b->cap) b->cap = b->cap ? 2 * b->cap : 4096;
        b->p = msp_realloc(b->p, b->cap);
    }
    memcpy(b->p + b->n, s, k + 1);
    b->n += k;
}

msp_status msp_dncfg_write(const msp_dn_cfg *cfg, const char *path, msp_err *err)
{
    for (int i = 0; i < cfg->n_sec; i++) {
        const msp_dn_section *s = &cfg->sec[i];
        if (bad_token(s->type, 1) || strchr(s->type, ']'))
            return msp_err_set(err, MSP_BAD_INPUT, path, 0, "cannot write section name '%s'",
                               s->type);
        for (int j = 0; j < s->n_kv; j++)
            if (bad_token(s->kv[j].key, 1) || bad_token(s->kv[j].value, 0))
                return msp_err_set(err, MSP_BAD_INPUT, path, 0,
                                   "cannot write '%s=%s' in [%s]: keys and values must be "
                                   "non-blank and hold no whitespace (and keys no '=')",
                                   s->kv[j].key, s->kv[j].value, s->type);
    }
    strbuf b = {0};
    sb_add(&b, "");
    for (int i = 0; i < cfg->n_sec; i++) {
        const msp_dn_section *s = &cfg->sec[i];
        if (i) sb_add(&b, "\n");
        sb_add(&b, "[");
        sb_add(&b, s->type);
        sb_add(&b, "]\n");
        for (int j = 0; j < s->n_kv; j++) {
            sb_add(&b, s->kv[j].key);
            sb_add(&b, "=");
            sb_add(&b, s->kv[j].value);
            sb_add(&b, "\n");
        }
    }

    size_t plen = strlen(path);
    char *tmp = msp_malloc(plen + 32);
    snprintf(tmp, plen + 32, "%s.tmp.%ld", path, (long)getpid());
    msp_status st = MSP_OK;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        st = msp_err_set(err, MSP_FAIL, tmp, 0, "cannot create: %s", strerror(errno));
        goto out;
    }
    if (write_all(fd, b.p, b.n) != 0 || fsync(fd) != 0) {
        st = msp_err_set(err, MSP_FAIL, tmp, 0, "cannot write: %s", strerror(errno));
        close(fd);
        unlink(tmp);
        goto out;
    }
    if (close(fd) != 0) {
        st = msp_err_set(err, MSP_FAIL, tmp, 0, "cannot write: %s", strerror(errno));
        unlink(tmp);
        goto out;
    }
    if (rename(tmp, path) != 0) {
        st = msp_err_set(err, MSP_FAIL, path, 0, "cannot rename %s into place: %s", tmp,
                         strerror(errno));
        unlink(tmp);
        goto out;
    }
    /* Make the rename itself durable. */
    {
        char *dir = msp_strdup(path);
        char *slash = strrchr(dir, '/');
        const char *d = ".";
        if (slash) {
            if (slash == dir) slash[1] = '\0';
            else *slash = '\0';
            d = dir;
        }
        int dfd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            fsync(dfd);
            close(dfd);
        }
        free(dir);
    }
    msp_testpoint("commit");
out:
    free(tmp);
    free(b.p);
    return st;
}
