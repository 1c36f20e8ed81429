/* table.c: the generic per-input table of `msprune premodel --table`
 * (format in outcomes.h): features plus per-model score and time, for
 * domains msprune does not run itself. Columns are classified once from the
 * header; every cell is checked with "file:line: message" errors. Rows grow
 * geometrically, bounded by MSP_OUTCOMES_MAX_INPUTS and
 * MSP_OUTCOMES_MAX_CELLS (rows x max(features, models)). */
#include <float.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "selector/csv.h"
#include "selector/outcomes.h"

#define MAX_COLUMNS (1 + MSP_TABLE_MAX_FEATURES + 2 * MSP_OUTCOMES_MAX_NETS)

enum { COL_ID, COL_FEATURE, COL_SCORE, COL_TIME };

#define BAD(...) msp_err_set(err, MSP_BAD_INPUT, r->path, r->line, __VA_ARGS__)

void msp_table_free(msp_table *t)
{
    if (!t) return;
    msp_free_strings(t->feature_names, t->d);
    msp_free_strings(t->model_names, t->m);
    free(t->id);
    free(t->features);
    free(t->score);
    free(t->time_ms);
    memset(t, 0, sizeof *t);
}

static int find(char **names, int n, const char *s)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(names[i], s)) return i;
    return -1;
}

/* Classify the header's columns: kind[c] and idx[c] (feature or model). */
static msp_status parse_header(msp_csv *r, msp_table *t, int nc, char **f, int *kind, int *idx,
                               int *has_id, msp_err *err)
{
    msp_status st = msp_csv_split(r, r->buf, f, nc, err);
    if (st != MSP_OK) return st;
    t->feature_names = msp_calloc(MSP_TABLE_MAX_FEATURES, sizeof *t->feature_names);
    t->model_names = msp_calloc(MSP_OUTCOMES_MAX_NETS, sizeof *t->model_names);
    char **time_names = msp_calloc(MSP_OUTCOMES_MAX_NETS, sizeof *time_names);
    int n_time = 0;
    *has_id = 0;
    for (int c = 0; c < nc && st == MSP_OK; c++) {
        for (int p = 0; p < c; p++)
            if (!strcmp(f[p], f[c])) {
                st = BAD("column %d repeats column %d ('%.80s')", c + 1, p + 1, f[c]);
                break;
            }
        if (st != MSP_OK) break;
        const char *name = NULL;
        if (!strcmp(f[c], "id")) {
            kind[c] = COL_ID;
            *has_id = 1;
            continue;
        } else if (!strncmp(f[c], "f.", 2)) {
            kind[c] = COL_FEATURE;
            name = f[c] + 2;
        } else if (!strncmp(f[c], "score.", 6)) {
            kind[c] = COL_SCORE;
            name = f[c] + 6;
        } else if (!strncmp(f[c], "time.", 5)) {
            kind[c] = COL_TIME;
            name = f[c] + 5;
        } else {
            st = BAD("column %d '%.80s' is not id, f.NAME, score.MODEL or time.MODEL", c + 1,
                     f[c]);
            break;
        }
        if (!*name || strlen(name) > MSP_TABLE_MAX_NAME) {
            st = BAD("column %d '%.80s' needs a name of 1 to %d characters after the '.'", c + 1,
                     f[c], MSP_TABLE_MAX_NAME);
            break;
        }
        if (kind[c] == COL_FEATURE) {
            if (t->d == MSP_TABLE_MAX_FEATURES) {
                st = BAD("more than %d feature columns", MSP_TABLE_MAX_FEATURES);
                break;
            }
            idx[c] = t->d;
            t->feature_names[t->d++] = msp_strdup(name);
        } else if (kind[c] == COL_SCORE) {
            if (t->m == MSP_OUTCOMES_MAX_NETS) {
                st = BAD("more than %d models", MSP_OUTCOMES_MAX_NETS);
                break;
            }
            idx[c] = t->m;
            t->model_names[t->m++] = msp_strdup(name);
        } else {
            if (n_time == MSP_OUTCOMES_MAX_NETS) {
                st = BAD("more than %d models", MSP_OUTCOMES_MAX_NETS);
                break;
            }
            time_names[n_time++] = f[c] + 5;
        }
    }
    /* Match time columns to models now that every score column is known. */
    for (int c = 0; c < nc && st == MSP_OK; c++)
        if (kind[c] == COL_TIME) {
            idx[c] = find(t->model_names, t->m, f[c] + 5);
            if (idx[c] < 0)
                st = BAD("column %d '%.80s' has no score.%.80s column (every model needs both)",
                         c + 1, f[c], f[c] + 5);
        }
    for (int j = 0; j < t->m && st == MSP_OK; j++)
        if (find(time_names, n_time, t->model_names[j]) < 0)
            st = BAD("model '%.80s' has a score column but no time.%.80s column",
                     t->model_names[j], t->model_names[j]);
    if (st == MSP_OK && t->d == 0)
        st = BAD("no feature columns (name them f.NAME)");
    if (st == MSP_OK && t->m == 0)
        st = BAD("no model columns (score.MODEL and time.MODEL per model)");
    free(time_names);
    return st;
}

static void grow(msp_table *t, size_t cap, int has_id)
{
    if (has_id) t->id = msp_realloc(t->id, cap * sizeof *t->id);
    t->features = msp_realloc(t->features, cap * (size_t)t->d * sizeof *t->features);
    t->score = msp_realloc(t->score, cap * (size_t)t->m * sizeof *t->score);
    t->time_ms = msp_realloc(t->time_ms, cap * (size_t)t->m * sizeof *t->time_ms);
}

static msp_status parse_row(msp_csv *r, msp_table *t, int nc, char **f, const int *kind,
                            const int *idx, char **header, msp_err *err)
{
    int got = msp_csv_count(r->buf);
    if (got != nc) return BAD("row has %d columns, the header has %d", got, nc);
    msp_status st = msp_csv_split(r, r->buf, f, nc, err);
    if (st != MSP_OK) return st;
    size_t i = (size_t)t->n;
    for (int c = 0; c < nc; c++) {
        msp_csv_num e;
        if (kind[c] == COL_ID) {
            long long v;
            if ((e = msp_csv_ll(f[c], &v)) != MSP_CSV_NUM_OK)
                return msp_csv_num_error(r, e, header[c], f[c], err);
            t->id[i] = v;
            continue;
        }
        double x;
        if ((e = msp_csv_double(f[c], &x)) != MSP_CSV_NUM_OK)
            return msp_csv_num_error(r, e, header[c], f[c], err);
        if (kind[c] == COL_FEATURE) {
            if (x > FLT_MAX || x < -FLT_MAX)
                return BAD("column '%s' = %.40s: does not fit a float", header[c], f[c]);
            t->features[i * t->d + idx[c]] = (float)x;
        } else if (kind[c] == COL_SCORE) {
            t->score[i * t->m + idx[c]] = x;
        } else {
            if (x < 0) return BAD("column '%s' = %.40s: a time must be >= 0", header[c], f[c]);
            t->time_ms[i * t->m + idx[c]] = x;
        }
    }
    return MSP_OK;
}

msp_status msp_table_load(const char *path, msp_table *t, msp_err *err)
{
    memset(t, 0, sizeof *t);
    msp_csv rd, *r = &rd;
    msp_status st = msp_csv_open(r, path, err);
    if (st != MSP_OK) return st;
    int have = 0, nc = 0, has_id = 0;
    char **f = NULL, **header = NULL;
    int *kind = NULL, *idx = NULL;
    st = msp_csv_next(r, &have, err);
    if (st == MSP_OK && !have)
        st = msp_err_set(err, MSP_BAD_INPUT, path, 1,
                         "empty table (want a header: id, f.NAME, score.MODEL, time.MODEL)");
    if (st == MSP_OK) {
        nc = msp_csv_count(r->buf);
        if (nc > MAX_COLUMNS) st = BAD("%d columns, at most %d", nc, MAX_COLUMNS);
    }
    if (st == MSP_OK) {
        f = msp_calloc((size_t)nc, sizeof *f);
        header = msp_calloc((size_t)nc, sizeof *header);
        kind = msp_calloc((size_t)nc, sizeof *kind);
        idx = msp_calloc((size_t)nc, sizeof *idx);
        st = parse_header(r, t, nc, f, kind, idx, &has_id, err);
        for (int c = 0; c < nc && st == MSP_OK; c++) header[c] = msp_strdup(f[c]);
    }
    int header_line = r->line;
    size_t cap = 0;
    long long width = t->d > t->m ? t->d : t->m;
    while (st == MSP_OK) {
        if ((st = msp_csv_next(r, &have, err)) != MSP_OK || !have) break;
        if (t->n == MSP_OUTCOMES_MAX_INPUTS || (t->n + 1) * width > MSP_OUTCOMES_MAX_CELLS) {
            st = BAD("more than %d rows (at most %d rows and %lld rows x columns)", t->n,
                     MSP_OUTCOMES_MAX_INPUTS, (long long)MSP_OUTCOMES_MAX_CELLS);
            break;
        }
        if ((size_t)t->n == cap) {
            size_t max_rows = (size_t)(MSP_OUTCOMES_MAX_CELLS / width);
            if (max_rows > MSP_OUTCOMES_MAX_INPUTS) max_rows = MSP_OUTCOMES_MAX_INPUTS;
            cap = cap ? 2 * cap : 64;
            if (cap > max_rows) cap = max_rows;
            grow(t, cap, has_id);
        }
        st = parse_row(r, t, nc, f, kind, idx, header, err);
        if (st == MSP_OK) t->n++;
    }
    if (st == MSP_OK && t->n == 0)
        st = msp_err_set(err, MSP_BAD_INPUT, path, header_line + 1,
                         "no rows after the header (one row per input)");
    msp_free_strings(header, nc);
    free(f);
    free(kind);
    free(idx);
    msp_csv_close(r);
    if (st != MSP_OK) {
        msp_table_free(t);
        return st;
    }
    t->feature_names = msp_realloc(t->feature_names, (size_t)t->d * sizeof *t->feature_names);
    t->model_names = msp_realloc(t->model_names, (size_t)t->m * sizeof *t->model_names);
    return MSP_OK;
}
