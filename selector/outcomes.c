/* outcomes.c: per-input outcomes of a network family: allocation, checks,
 * and the outcomes CSV (format in outcomes.h). The loader checks every
 * header line and cell and names the file and line of the first problem;
 * counts are bounded before allocation and rows grow geometrically up to
 * MSP_OUTCOMES_MAX_INPUTS / MSP_OUTCOMES_MAX_CELLS. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "selector/csv.h"
#include "selector/outcomes.h"

static const char *const FIELD[4] = {"pred", "prob", "top1", "top5"};

void msp_outcomes_free(msp_outcomes *o)
{
    if (!o) return;
    msp_free_strings(o->names, o->m);
    free(o->latency_ms);
    free(o->flops);
    free(o->id);
    free(o->truth);
    free(o->pred);
    free(o->prob);
    free(o->top1);
    free(o->top5);
    memset(o, 0, sizeof *o);
}

static msp_status check_sizes(int n, int m, int n_classes, msp_err *err)
{
    if (m < 1 || m > MSP_OUTCOMES_MAX_NETS)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0, "outcomes: %d networks, need 1 to %d",
                           m, MSP_OUTCOMES_MAX_NETS);
    if (n < 1 || n > MSP_OUTCOMES_MAX_INPUTS || (long long)n * m > MSP_OUTCOMES_MAX_CELLS)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                           "outcomes: %d inputs x %d networks, need 1 to %d inputs and at most "
                           "%lld cells",
                           n, m, MSP_OUTCOMES_MAX_INPUTS, (long long)MSP_OUTCOMES_MAX_CELLS);
    if (n_classes < 1 || n_classes > MSP_OUTCOMES_MAX_CLASSES)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0, "outcomes: %d classes, need 1 to %d",
                           n_classes, MSP_OUTCOMES_MAX_CLASSES);
    return MSP_OK;
}

/* Allocate the per-input arrays for `cap` rows (cap >= n). */
static void alloc_rows(msp_outcomes *o, size_t cap)
{
    size_t cells = cap * (size_t)o->m;
    o->id = msp_realloc(o->id, cap * sizeof *o->id);
    o->truth = msp_realloc(o->truth, cap * sizeof *o->truth);
    o->pred = msp_realloc(o->pred, cells * sizeof *o->pred);
    o->prob = msp_realloc(o->prob, cells * sizeof *o->prob);
    o->top1 = msp_realloc(o->top1, cells);
    o->top5 = msp_realloc(o->top5, cells);
}

msp_status msp_outcomes_init(msp_outcomes *o, int n, int m, int n_classes, msp_err *err)
{
    memset(o, 0, sizeof *o);
    msp_status st = check_sizes(n, m, n_classes, err);
    if (st != MSP_OK) return st;
    o->n = n;
    o->m = m;
    o->n_classes = n_classes;
    o->names = msp_calloc((size_t)m, sizeof *o->names);
    o->latency_ms = msp_calloc((size_t)m, sizeof *o->latency_ms);
    o->flops = msp_calloc((size_t)m, sizeof *o->flops);
    size_t cells = (size_t)n * (size_t)m;
    o->id = msp_calloc((size_t)n, sizeof *o->id);
    o->truth = msp_calloc((size_t)n, sizeof *o->truth);
    o->pred = msp_calloc(cells, sizeof *o->pred);
    o->prob = msp_calloc(cells, sizeof *o->prob);
    o->top1 = msp_calloc(cells, 1);
    o->top5 = msp_calloc(cells, 1);
    for (int i = 0; i < n; i++) o->id[i] = i;
    return MSP_OK;
}

int msp_outcomes_find(const msp_outcomes *o, const char *name)
{
    for (int j = 0; j < o->m; j++)
        if (o->names[j] && !strcmp(o->names[j], name)) return j;
    return -1;
}

/* NULL if name is a valid network name, else what is wrong with it. */
static const char *bad_name(const char *name)
{
    size_t len = strlen(name);
    if (len == 0) return "is empty";
    if (len > MSP_OUTCOMES_MAX_NAME) return "is too long";
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '-'))
            return "has a character outside [A-Za-z0-9_-]";
    return NULL;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The first id that repeats, or -1. */
static int64_t repeated_id(const int64_t *id, int n)
{
    int64_t *s = msp_malloc((size_t)n * sizeof *s);
    memcpy(s, id, (size_t)n * sizeof *s);
    qsort(s, (size_t)n, sizeof *s, cmp_i64);
    int64_t r = -1;
    for (int i = 1; i < n && r < 0; i++)
        if (s[i] == s[i - 1]) r = s[i];
    free(s);
    return r;
}

/* One cell's consistency; NULL if fine. */
static const char *bad_cell(const msp_outcomes *o, int truth, size_t c)
{
    if (o->pred[c] < -1 || o->pred[c] >= o->n_classes) return "pred outside [-1, classes)";
    if (!(o->prob[c] >= 0.0f && o->prob[c] <= 1.0f)) return "prob outside [0, 1]";
    if (o->top1[c] > 1 || o->top5[c] > 1) return "top1/top5 not 0 or 1";
    if (o->top1[c] != (o->pred[c] == truth))
        return "top1 disagrees with pred == truth";
    if (o->top1[c] && !o->top5[c]) return "a top-1 hit that is not a top-5 hit";
    return NULL;
}

msp_status msp_outcomes_check(const msp_outcomes *o, msp_err *err)
{
    if (!o || !o->names || !o->latency_ms || !o->flops || !o->id || !o->truth || !o->pred ||
        !o->prob || !o->top1 || !o->top5)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0, "outcomes: not initialised");
    msp_status st = check_sizes(o->n, o->m, o->n_classes, err);
    if (st != MSP_OK) return st;
    int m = o->m;
    for (int j = 0; j < m; j++) {
        if (!o->names[j])
            return msp_err_set(err, MSP_BAD_INPUT, NULL, 0, "outcomes: network %d has no name", j);
        const char *why = bad_name(o->names[j]);
        if (why)
            return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                               "outcomes: network name '%.80s' %s (1 to %d of [A-Za-z0-9_-])",
                               o->names[j], why, MSP_OUTCOMES_MAX_NAME);
        for (int k = 0; k < j; k++)
            if (!strcmp(o->names[k], o->names[j]))
                return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                                   "outcomes: networks %d and %d are both called '%s'", k, j,
                                   o->names[j]);
        if (!isfinite(o->latency_ms[j]) || o->latency_ms[j] < 0 || !isfinite(o->flops[j]) ||
            o->flops[j] < 0)
            return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                               "outcomes: network '%s' has latency %g ms and %g FLOPs, both "
                               "must be finite and >= 0",
                               o->names[j], o->latency_ms[j], o->flops[j]);
    }
    for (int i = 0; i < o->n; i++) {
        if (o->id[i] < 0)
            return msp_err_set(err, MSP_BAD_INPUT, NULL, 0, "outcomes: input %d has id %" PRId64
                               ", need >= 0", i, o->id[i]);
        if (o->truth[i] < 0 || o->truth[i] >= o->n_classes)
            return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                               "outcomes: input %d has true class %d, outside [0, %d)", i,
                               o->truth[i], o->n_classes);
        for (int j = 0; j < m; j++) {
            const char *why = bad_cell(o, o->truth[i], (size_t)i * m + j);
            if (why)
                return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                                   "outcomes: input %d, network '%s': %s", i, o->names[j], why);
        }
    }
    int64_t r = repeated_id(o->id, o->n);
    if (r >= 0)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0, "outcomes: id %" PRId64 " repeats", r);
    return MSP_OK;
}

msp_status msp_outcomes_save(const char *path, const msp_outcomes *o, msp_err *err)
{
    msp_status st = msp_outcomes_check(o, err);
    if (st != MSP_OK) return st;
    msp_atomic a;
    st = msp_atomic_open(&a, path, err);
    if (st != MSP_OK) return st;
    FILE *f = a.f;
    int m = o->m;
    fprintf(f, "# msprune outcomes %d\n# classes %d\n", MSP_OUTCOMES_VERSION, o->n_classes);
    for (int j = 0; j < m; j++)
        fprintf(f, "# network %s latency_ms=%.17g flops=%.17g\n", o->names[j], o->latency_ms[j],
                o->flops[j]);
    fprintf(f, "id,truth");
    for (int j = 0; j < m; j++)
        for (int k = 0; k < 4; k++) fprintf(f, ",%s.%s", o->names[j], FIELD[k]);
    fputc('\n', f);
    for (int i = 0; i < o->n; i++) {
        fprintf(f, "%" PRId64 ",%d", o->id[i], o->truth[i]);
        for (int j = 0; j < m; j++) {
            size_t c = (size_t)i * m + j;
            fprintf(f, ",%d,%.9g,%d,%d", o->pred[c], (double)o->prob[c], o->top1[c], o->top5[c]);
        }
        fputc('\n', f);
    }
    return msp_atomic_commit(&a, err);
}

/* ---- loading ---- */

#define BAD(...) msp_err_set(err, MSP_BAD_INPUT, r->path, r->line, __VA_ARGS__)

/* "# network NAME latency_ms=X flops=Y" into network j. */
static msp_status parse_network(msp_csv *r, msp_outcomes *o, int j, msp_err *err)
{
    char *s = r->buf + strlen("# network ");
    char *sp = strchr(s, ' ');
    if (!sp) return BAD("want '# network NAME latency_ms=X flops=Y'");
    *sp = '\0';
    const char *why = bad_name(s);
    if (why)
        return BAD("network name '%.80s' %s (1 to %d of [A-Za-z0-9_-])", s, why,
                   MSP_OUTCOMES_MAX_NAME);
    for (int k = 0; k < j; k++)
        if (!strcmp(o->names[k], s)) return BAD("network '%s' is listed twice", s);
    char *rest = sp + 1;
    static const char *const key[2] = {"latency_ms=", "flops="};
    double *dst[2] = {&o->latency_ms[j], &o->flops[j]};
    for (int k = 0; k < 2; k++) {
        size_t kl = strlen(key[k]);
        if (strncmp(rest, key[k], kl) != 0)
            return BAD("want '# network NAME latency_ms=X flops=Y'");
        char *val = rest + kl;
        char *end = strchr(val, ' ');
        if ((k == 0) != (end != NULL)) return BAD("want '# network NAME latency_ms=X flops=Y'");
        if (end) *end = '\0';
        msp_csv_num e = msp_csv_double(val, dst[k]);
        if (e == MSP_CSV_NUM_NONFINITE || (e == MSP_CSV_NUM_OK && *dst[k] < 0))
            return BAD("network '%s': %.*s '%.40s' must be a finite number >= 0", s,
                       (int)kl - 1, key[k], val);
        if (e != MSP_CSV_NUM_OK)
            return BAD("network '%s': %.*s '%.40s' is not a number", s, (int)kl - 1, key[k],
                       val);
        rest = end ? end + 1 : val + strlen(val);
    }
    o->names[j] = msp_strdup(s);
    return MSP_OK;
}

/* The header section and the column header. */
static msp_status parse_header(msp_csv *r, msp_outcomes *o, char ***cols, msp_err *err)
{
    int have;
    msp_status st = msp_csv_next(r, &have, err);
    if (st != MSP_OK) return st;
    int version = 0;
    char tail;
    if (!have || sscanf(r->buf, "# msprune outcomes %d%c", &version, &tail) != 1)
        return msp_err_set(err, MSP_BAD_INPUT, r->path, have ? r->line : 1,
                           "not an outcomes file (line 1 must be '# msprune outcomes %d')",
                           MSP_OUTCOMES_VERSION);
    if (version != MSP_OUTCOMES_VERSION)
        return BAD("outcomes file version %d, this msprune reads version %d (relabel to "
                   "rewrite it)", version, MSP_OUTCOMES_VERSION);
    if ((st = msp_csv_next(r, &have, err)) != MSP_OK) return st;
    long long classes;
    if (!have || strncmp(r->buf, "# classes ", 10) != 0)
        return msp_err_set(err, MSP_BAD_INPUT, r->path, r->line + !have,
                           "want '# classes N' on line 2");
    if (msp_csv_ll(r->buf + 10, &classes) != MSP_CSV_NUM_OK || classes < 1 ||
        classes > MSP_OUTCOMES_MAX_CLASSES)
        return BAD("classes must be an integer from 1 to %d, not '%.40s'",
                   MSP_OUTCOMES_MAX_CLASSES, r->buf + 10);
    o->n_classes = (int)classes;
    o->names = msp_calloc(MSP_OUTCOMES_MAX_NETS, sizeof *o->names);
    o->latency_ms = msp_calloc(MSP_OUTCOMES_MAX_NETS, sizeof *o->latency_ms);
    o->flops = msp_calloc(MSP_OUTCOMES_MAX_NETS, sizeof *o->flops);
    for (;;) {
        if ((st = msp_csv_next(r, &have, err)) != MSP_OK) return st;
        if (!have)
            return msp_err_set(err, MSP_BAD_INPUT, r->path, r->line + 1,
                               "the file ends before its column header");
        if (strncmp(r->buf, "# network ", 10) == 0) {
            if (o->m == MSP_OUTCOMES_MAX_NETS)
                return BAD("more than %d networks", MSP_OUTCOMES_MAX_NETS);
            if ((st = parse_network(r, o, o->m, err)) != MSP_OK) return st;
            o->m++;
            continue;
        }
        if (r->buf[0] == '#')
            return BAD("unknown header line (want '# network NAME latency_ms=X flops=Y' or the "
                       "column header)");
        break;
    }
    if (o->m == 0) return BAD("no '# network' lines before the column header");
    int want = 2 + 4 * o->m;
    int got = msp_csv_count(r->buf);
    if (got != want)
        return BAD("the column header has %d columns, want %d (id, truth and 4 per network)",
                   got, want);
    char **f = msp_malloc((size_t)want * sizeof *f);
    *cols = f;
    if ((st = msp_csv_split(r, r->buf, f, want, err)) != MSP_OK) return st;
    for (int c = 0; c < want; c++) {
        char expect[MSP_OUTCOMES_MAX_NAME + 8];
        if (c < 2) snprintf(expect, sizeof expect, "%s", c ? "truth" : "id");
        else snprintf(expect, sizeof expect, "%s.%s", o->names[(c - 2) / 4], FIELD[(c - 2) % 4]);
        if (strcmp(f[c], expect) != 0)
            return BAD("column %d is '%.80s', want '%s' (columns follow the '# network' lines)",
                       c + 1, f[c], expect);
    }
    return MSP_OK;
}

static void column_name(const msp_outcomes *o, int c, char *buf, size_t size)
{
    if (c < 2) snprintf(buf, size, "%s", c ? "truth" : "id");
    else snprintf(buf, size, "%s.%s", o->names[(c - 2) / 4], FIELD[(c - 2) % 4]);
}

static msp_status parse_row(msp_csv *r, msp_outcomes *o, char **f, int i, msp_err *err)
{
    int m = o->m, want = 2 + 4 * m;
    int got = msp_csv_count(r->buf);
    if (got != want) return BAD("row has %d columns, the header has %d", got, want);
    msp_status st = msp_csv_split(r, r->buf, f, want, err);
    if (st != MSP_OK) return st;
    char col[MSP_OUTCOMES_MAX_NAME + 8];
    long long v = 0;
    for (int c = 0; c < want; c++) {
        int k = c < 2 ? -1 : (c - 2) % 4;
        msp_csv_num e;
        double x = 0;
        if (k == 1) e = msp_csv_double(f[c], &x);
        else e = msp_csv_ll(f[c], &v);
        if (e != MSP_CSV_NUM_OK) {
            column_name(o, c, col, sizeof col);
            return msp_csv_num_error(r, e, col, f[c], err);
        }
        size_t cell = (size_t)i * m + (c < 2 ? 0 : (size_t)(c - 2) / 4);
        char range[96] = "";
        if (c == 0) {
            if (v < 0) snprintf(range, sizeof range, "an id must be >= 0");
            else o->id[i] = v;
        } else if (c == 1) {
            if (v < 0 || v >= o->n_classes)
                snprintf(range, sizeof range, "a class must be in [0, %d)", o->n_classes);
            else o->truth[i] = (int)v;
        } else if (k == 0) {
            if (v < -1 || v >= o->n_classes)
                snprintf(range, sizeof range, "a class must be in [-1, %d) (-1 is 'other')",
                         o->n_classes);
            else o->pred[cell] = (int)v;
        } else if (k == 1) {
            if (x < 0 || x > 1) snprintf(range, sizeof range, "a probability must be in [0, 1]");
            else o->prob[cell] = (float)x;
        } else {
            if (v != 0 && v != 1) snprintf(range, sizeof range, "must be 0 or 1");
            else if (k == 2) o->top1[cell] = (uint8_t)v;
            else o->top5[cell] = (uint8_t)v;
        }
        if (range[0]) {
            column_name(o, c, col, sizeof col);
            return BAD("column '%s' = %.40s: %s", col, f[c], range);
        }
    }
    for (int j = 0; j < m; j++) {
        const char *why = bad_cell(o, o->truth[i], (size_t)i * m + j);
        if (why) return BAD("network '%s': %s", o->names[j], why);
    }
    return MSP_OK;
}

msp_status msp_outcomes_load(const char *path, msp_outcomes *o, msp_err *err)
{
    memset(o, 0, sizeof *o);
    msp_csv rd, *r = &rd;
    msp_status st = msp_csv_open(r, path, err);
    if (st != MSP_OK) return st;
    char **fields = NULL;
    st = parse_header(r, o, &fields, err);
    size_t cap = 0;
    int header_line = r->line;
    while (st == MSP_OK) {
        int have;
        if ((st = msp_csv_next(r, &have, err)) != MSP_OK || !have) break;
        if (o->n == MSP_OUTCOMES_MAX_INPUTS ||
            (long long)(o->n + 1) * o->m > MSP_OUTCOMES_MAX_CELLS) {
            st = BAD("more than %d rows (at most %d inputs and %lld inputs x networks)", o->n,
                     MSP_OUTCOMES_MAX_INPUTS, (long long)MSP_OUTCOMES_MAX_CELLS);
            break;
        }
        if ((size_t)o->n == cap) {
            /* Never beyond the limits, so a huge file cannot double past them. */
            size_t max_rows = (size_t)(MSP_OUTCOMES_MAX_CELLS / o->m);
            if (max_rows > MSP_OUTCOMES_MAX_INPUTS) max_rows = MSP_OUTCOMES_MAX_INPUTS;
            cap = cap ? 2 * cap : 64;
            if (cap > max_rows) cap = max_rows;
            alloc_rows(o, cap);
        }
        st = parse_row(r, o, fields, o->n, err);
        if (st == MSP_OK) o->n++;
    }
    if (st == MSP_OK && o->n == 0)
        st = msp_err_set(err, MSP_BAD_INPUT, path, header_line + 1,
                         "no rows after the column header (one row per input)");
    if (st == MSP_OK) {
        int64_t rep = repeated_id(o->id, o->n);
        if (rep >= 0) {
            int a = -1, b = -1;
            for (int i = 0; i < o->n && b < 0; i++)
                if (o->id[i] == rep) {
                    if (a < 0) a = i;
                    else b = i;
                }
            st = msp_err_set(err, MSP_BAD_INPUT, path, header_line + 1 + b,
                             "id %" PRId64 " repeats line %d (ids must be unique)", rep,
                             header_line + 1 + a);
        }
    }
    free(fields);
    msp_csv_close(r);
    if (st != MSP_OK) {
        msp_outcomes_free(o);
        return st;
    }
    /* Trim the per-network arrays allocated at their maximum. */
    o->names = msp_realloc(o->names, (size_t)o->m * sizeof *o->names);
    o->latency_ms = msp_realloc(o->latency_ms, (size_t)o->m * sizeof *o->latency_ms);
    o->flops = msp_realloc(o->flops, (size_t)o->m * sizeof *o->flops);
    return MSP_OK;
}
