/* report_load.c: read an experiment's result files for the report, checking
 * each against the agreed schema (see report.h) and bounding every count
 * before allocating. Missing files are not errors; malformed ones are, with
 * FILE:LINE. */
#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/base.h"
#include "data/data.h"
#include "report.h"

#define BAD(line, ...) msp_err_set(err, MSP_BAD_INPUT, path, (line), __VA_ARGS__)

/* Is an input there to read? Nothing under its name leaves its sections out
 * (*there = 0); a folder, FIFO or device under its name is bad input, said
 * before anything opens it (a FIFO would wait for a writer). The loader's
 * msp_open_regular checks again what it opens. */
static msp_status input_at(const char *path, int *there, msp_err *err)
{
    struct stat sb;
    *there = 0;
    if (stat(path, &sb) != 0) {
        if (errno == ENOENT || errno == ENOTDIR) return MSP_OK;
        return BAD(0, "cannot read: %s", strerror(errno));
    }
    if (!S_ISREG(sb.st_mode)) return BAD(0, "not a regular file");
    *there = 1;
    return MSP_OK;
}

/* An array of m non-negative integers into out. */
static msp_status int_array(const msp_jval *a, int m, const char *what, const char *path,
                            int64_t *out, msp_err *err)
{
    if (a->type != MSP_JARRAY) return BAD(a->line, "'%s' must be an array", what);
    if (a->n != (size_t)m)
        return BAD(a->line, "'%s' has %zu entries, want %d (one per network/class)", what, a->n, m);
    for (int i = 0; i < m; i++) {
        const msp_jval *v = &a->kid[i];
        if (v->type != MSP_JNUMBER || v->num < 0 || v->num > 1e15 || v->num != floor(v->num))
            return BAD(v->line, "'%s' entry %d must be a non-negative integer", what, i);
        out[i] = (int64_t)v->num;
    }
    return MSP_OK;
}

/* An m x m matrix of non-negative integers. */
static msp_status int_matrix(const msp_jval *a, int m, const char *what, const char *path,
                             int64_t *out, msp_err *err)
{
    if (a->type != MSP_JARRAY) return BAD(a->line, "'%s' must be an array of rows", what);
    if (a->n != (size_t)m) return BAD(a->line, "'%s' has %zu rows, want %d", what, a->n, m);
    for (int i = 0; i < m; i++) {
        msp_status st = int_array(&a->kid[i], m, what, path, out + (size_t)i * (size_t)m, err);
        if (st != MSP_OK) return st;
    }
    return MSP_OK;
}

static msp_status load_net(const msp_jval *o, const char *path, msp_report_net *n, msp_err *err)
{
    const char *s;
    double c;
    msp_status st;
    if (o->type != MSP_JOBJECT) return BAD(o->line, "a network must be an object");
    if ((st = msp_jsonread_str(o, "name", path, &s, err))) return st;
    n->name = msp_strdup(s);
    if ((st = msp_jsonread_str(o, "cfg", path, &s, err))) return st;
    n->cfg = msp_strdup(s);
    if ((st = msp_jsonread_num(o, "top1", 0, 1, 0, path, &n->top1, err)) ||
        (st = msp_jsonread_num(o, "top5", 0, 1, 0, path, &n->top5, err)) ||
        (st = msp_jsonread_num(o, "latency_ms", 0, 1e9, 0, path, &n->latency_ms, err)) ||
        (st = msp_jsonread_int(o, "flops", 0, 1e18, path, &n->flops, err)) ||
        (st = msp_jsonread_int(o, "params", 0, 1e15, path, &n->params, err)) ||
        (st = msp_jsonread_int(o, "cluster", -1, MSP_REPORT_MAX_NETS, path, &c, err)) ||
        (st = msp_jsonread_num(o, "in_cluster_top1", 0, 1, 1, path, &n->in_cluster_top1, err)) ||
        (st = msp_jsonread_num(o, "base_in_cluster_top1", 0, 1, 1, path, &n->base_in_cluster_top1,
                               err)) ||
        (st = msp_jsonread_num(o, "measured_mean_ms", 0, 1e9, 1, path, &n->measured_ms, err)))
        return st;
    n->cluster = (int)c;
    return MSP_OK;
}

/* An optional count: missing or null is -1 (unknown: an older file). */
static msp_status opt_count(const msp_jval *o, const char *key, const char *path, int64_t *out,
                            msp_err *err)
{
    const msp_jval *v = msp_jsonread_get(o, key);
    double d;
    *out = -1;
    if (!v || v->type == MSP_JNULL) return MSP_OK;
    msp_status st = msp_jsonread_int(o, key, 0, 1e15, path, &d, err);
    if (st == MSP_OK) *out = (int64_t)d;
    return st;
}

static int64_t sum(const int64_t *v, int n, int stride)
{
    int64_t s = 0;
    for (int i = 0; i < n; i++) s += v[(size_t)i * (size_t)stride];
    return s;
}

/* A strategy chose one network per test input, and fell back on some of
 * them at most. */
static msp_status choices_add_up(const msp_jval *o, const char *path, int m, int64_t n,
                                 const msp_report_strategy *p, msp_err *err)
{
    int64_t total = sum(p->chosen, m, 1);
    if (total != n)
        return BAD(msp_jsonread_get(o, "chosen")->line,
                   "'chosen' adds up to %lld inputs, but 'test_inputs' is %lld", (long long)total,
                   (long long)n);
    if (p->fallbacks > n)
        return BAD(msp_jsonread_get(o, "fallbacks")->line,
                   "'fallbacks' is %lld, more than the %lld test inputs", (long long)p->fallbacks,
                   (long long)n);
    return MSP_OK;
}

/* A premodel's confusion matrix counts (oracle label, choice) pairs: its
 * columns add up to the premodel's choices, its rows to the oracle's
 * (oracle NULL: not known yet). */
static msp_status confusion_adds_up(const msp_jval *o, const char *path, int m,
                                    const msp_report_strategy *p,
                                    const msp_report_strategy *oracle, msp_err *err)
{
    int line = msp_jsonread_get(o, "confusion")->line;
    for (int j = 0; j < m; j++) {
        int64_t col = sum(p->confusion + j, m, m);
        if (col != p->chosen[j])
            return BAD(line, "'confusion' column %d adds up to %lld, but 'chosen' says %lld", j,
                       (long long)col, (long long)p->chosen[j]);
    }
    for (int l = 0; oracle && l < m; l++) {
        int64_t row = sum(p->confusion + (size_t)l * (size_t)m, m, 1);
        if (row != oracle->chosen[l])
            return BAD(line, "'confusion' row %d adds up to %lld, but the oracle's 'chosen' says %lld",
                       l, (long long)row, (long long)oracle->chosen[l]);
    }
    return MSP_OK;
}

/* An optional "chain": 1 to MSP_SAFETY_MAX_CHAIN network names, joined by " > ". */
static msp_status load_chain(const msp_jval *o, const char *path, msp_report_strategy *p,
                             msp_err *err)
{
    const msp_jval *a = msp_jsonread_get(o, "chain");
    if (!a) return MSP_OK;
    if (a->type != MSP_JARRAY || a->n < 1 || a->n > 8)
        return BAD(a->line, "'chain' must be a list of 1 to 8 network names");
    size_t len = 1;
    for (size_t k = 0; k < a->n; k++) {
        if (a->kid[k].type != MSP_JSTRING || !*a->kid[k].str)
            return BAD(a->line, "'chain' entry %zu is not a network name", k + 1);
        len += strlen(a->kid[k].str) + 3;
    }
    p->chain = msp_malloc(len);
    p->chain[0] = 0;
    for (size_t k = 0; k < a->n; k++) {
        if (k) strcat(p->chain, " > ");
        strcat(p->chain, a->kid[k].str);
    }
    return MSP_OK;
}

/* summary.json's optional "ablation": at most three parts. */
static msp_status load_ablation(const msp_jval *root, const char *path, msp_report *r,
                                msp_err *err)
{
    const msp_jval *a = msp_jsonread_get(root, "ablation");
    if (!a) return MSP_OK;
    if (a->type != MSP_JARRAY || a->n > 5)
        return BAD(a->line, "'ablation' must be a list of at most 5 parts of the family");
    r->ablation = msp_calloc(a->n + 1, sizeof *r->ablation);
    for (size_t i = 0; i < a->n; i++) {
        const msp_jval *o = &a->kid[i];
        msp_report_strategy *p = &r->ablation[r->n_ablation++];
        const char *name;
        msp_status st;
        p->premodel_accuracy = p->premodel_ms = p->cv_accuracy = p->measured_ms = NAN;
        p->fallbacks = p->fell_other = p->fell_prob = p->fell_unsure = -1;
        if (o->type != MSP_JOBJECT) return BAD(o->line, "an ablation entry must be an object");
        if ((st = msp_jsonread_str(o, "networks", path, &name, err)) ||
            (st = msp_jsonread_num(o, "top1", 0, 1, 0, path, &p->top1, err)) ||
            (st = msp_jsonread_num(o, "top5", 0, 1, 0, path, &p->top5, err)) ||
            (st = msp_jsonread_num(o, "mean_latency_ms", 0, 1e9, 0, path, &p->mean_latency_ms, err)) ||
            (st = load_chain(o, path, p, err)))
            return st;
        p->name = msp_strdup(name);
    }
    return MSP_OK;
}

static msp_status load_strategy(const msp_jval *o, const char *path, int m, int64_t n_inputs,
                                int is_oracle, msp_report_strategy *p, msp_err *err)
{
    const char *s = "oracle";
    const msp_jval *a;
    msp_status st;
    if (o->type != MSP_JOBJECT) return BAD(o->line, "a premodel entry must be an object");
    if (!is_oracle && (st = msp_jsonread_str(o, "premodel", path, &s, err))) return st;
    p->name = msp_strdup(s);
    p->premodel_accuracy = p->premodel_ms = p->cv_accuracy = NAN;
    p->fallbacks = p->fell_other = p->fell_prob = p->fell_unsure = -1;
    if ((st = msp_jsonread_num(o, "top1", 0, 1, 0, path, &p->top1, err)) ||
        (st = msp_jsonread_num(o, "top5", 0, 1, 0, path, &p->top5, err)) ||
        (st = msp_jsonread_num(o, "mean_latency_ms", 0, 1e9, 0, path, &p->mean_latency_ms, err)) ||
        (st = msp_jsonread_num(o, "measured_mean_ms", 0, 1e9, 1, path, &p->measured_ms, err)))
        return st;
    if (!is_oracle &&
        ((st = opt_count(o, "fallbacks", path, &p->fallbacks, err)) ||
         (st = opt_count(o, "fallback_other", path, &p->fell_other, err)) ||
         (st = opt_count(o, "fallback_prob", path, &p->fell_prob, err)) ||
         (st = opt_count(o, "fallback_unsure", path, &p->fell_unsure, err))))
        return st;
    if (p->fallbacks >= 0 && p->fell_other >= 0 && p->fell_prob >= 0 && p->fell_unsure >= 0 &&
        p->fell_other + p->fell_prob + p->fell_unsure != p->fallbacks)
        return BAD(msp_jsonread_get(o, "fallbacks")->line,
                   "'fallbacks' is %lld, but fallback_other + fallback_prob + fallback_unsure "
                   "is %lld",
                   (long long)p->fallbacks, (long long)(p->fell_other + p->fell_prob + p->fell_unsure));
    if (!is_oracle &&
        ((st = msp_jsonread_num(o, "premodel_accuracy", 0, 1, 0, path, &p->premodel_accuracy, err)) ||
         (st = msp_jsonread_num(o, "premodel_ms", 0, 1e9, 0, path, &p->premodel_ms, err)) ||
         (st = msp_jsonread_num(o, "cv_accuracy", 0, 1, 1, path, &p->cv_accuracy, err))))
        return st;
    if ((st = load_chain(o, path, p, err))) return st;
    if ((st = msp_jsonread_typed(o, "chosen", MSP_JARRAY, (size_t)m, path, &a, err))) return st;
    p->chosen = msp_calloc((size_t)m, sizeof *p->chosen);
    if ((st = int_array(a, m, "chosen", path, p->chosen, err)) ||
        (st = choices_add_up(o, path, m, n_inputs, p, err)))
        return st;
    if (is_oracle) return MSP_OK;
    if ((st = msp_jsonread_typed(o, "confusion", MSP_JARRAY, (size_t)m, path, &a, err))) return st;
    p->confusion = msp_calloc((size_t)m * (size_t)m, sizeof *p->confusion);
    if ((st = int_matrix(a, m, "confusion", path, p->confusion, err))) return st;
    return confusion_adds_up(o, path, m, p, NULL, err);
}

static msp_status load_summary(const char *path, msp_report *r, msp_err *err)
{
    msp_jval *root;
    msp_status st = msp_jsonread_file(path, &root, err);
    if (st != MSP_OK) return st;
    const msp_jval *a, *sel, *o;
    const char *s;
    double v;
    if (root->type != MSP_JOBJECT) {
        st = BAD(root->line, "must be a JSON object");
        goto out;
    }
    if ((st = msp_jsonread_str(root, "reference", path, &s, err))) goto out;
    r->reference = msp_strdup(s);
    if ((st = msp_jsonread_int(root, "test_inputs", 0, 1e12, path, &v, err))) goto out;
    r->test_inputs = (int64_t)v;
    const msp_jval *how = msp_jsonread_get(root, "per_input_ms");
    if (how && (how->type != MSP_JSTRING || strcmp(how->str, "measured"))) {
        st = BAD(how->line, "'per_input_ms' must be \"measured\" (or absent: the per-input times "
                            "are mean latencies added up)");
        goto out;
    }
    r->measured = how != NULL;
    if ((st = msp_jsonread_typed(root, "networks", MSP_JARRAY, MSP_REPORT_MAX_NETS, path, &a, err)))
        goto out;
    if (a->n == 0) {
        st = BAD(a->line, "'networks' is empty; the family needs at least the base network");
        goto out;
    }
    r->n_nets = (int)a->n;
    r->nets = msp_calloc(a->n, sizeof *r->nets);
    for (size_t i = 0; i < a->n; i++) {
        if ((st = load_net(&a->kid[i], path, &r->nets[i], err))) goto out;
        for (size_t j = 0; j < i; j++)
            if (!strcmp(r->nets[j].name, r->nets[i].name)) {
                st = BAD(a->kid[i].line, "network '%s' is listed twice", r->nets[i].name);
                goto out;
            }
    }
    if ((st = msp_jsonread_typed(root, "premodels", MSP_JARRAY, MSP_REPORT_MAX_PREMODELS, path,
                                 &a, err)))
        goto out;
    r->n_premodels = (int)a->n;
    r->premodels = msp_calloc(a->n ? a->n : 1, sizeof *r->premodels);
    for (size_t i = 0; i < a->n; i++)
        if ((st = load_strategy(&a->kid[i], path, r->n_nets, r->test_inputs, 0, &r->premodels[i], err)))
            goto out;
    if ((st = msp_jsonread_typed(root, "oracle", MSP_JOBJECT, 64, path, &o, err)) ||
        (st = load_strategy(o, path, r->n_nets, r->test_inputs, 1, &r->oracle, err)))
        goto out;
    for (int i = 0; i < r->n_premodels; i++)
        if ((st = confusion_adds_up(&a->kid[i], path, r->n_nets, &r->premodels[i], &r->oracle, err)))
            goto out;
    if ((st = load_ablation(root, path, r, err))) goto out;
    if ((st = msp_jsonread_typed(root, "selector", MSP_JOBJECT, 64, path, &sel, err)) ||
        (st = msp_jsonread_str(sel, "premodel", path, &s, err)) ||
        (st = msp_jsonread_num(sel, "speedup_vs_base", 0, 1e9, 0, path, &r->speedup_vs_base, err)) ||
        (st = msp_jsonread_num(sel, "speedup_vs_best", 0, 1e9, 0, path, &r->speedup_vs_best, err)))
        goto out;
    r->best = -1;
    for (int i = 0; i < r->n_premodels; i++)
        if (!strcmp(r->premodels[i].name, s)) r->best = i;
    if (r->best < 0) {
        st = BAD(msp_jsonread_get(sel, "premodel")->line,
                 "selector premodel '%s' is not among 'premodels'", s);
        goto out;
    }
    r->have_summary = 1;
out:
    msp_jsonread_free(root);
    return st;
}

static msp_status load_eval(const char *path, msp_report *r, msp_err *err)
{
    msp_jval *root;
    msp_status st = msp_jsonread_file(path, &root, err);
    if (st != MSP_OK) return st;
    const msp_jval *a, *c;
    if (root->type != MSP_JOBJECT) {
        st = BAD(root->line, "must be a JSON object");
        goto out;
    }
    r->base_latency_ms = NAN;
    if ((st = msp_jsonread_num(root, "top1", 0, 1, 0, path, &r->base_top1, err)) ||
        (st = msp_jsonread_num(root, "top5", 0, 1, 0, path, &r->base_top5, err)) ||
        (st = msp_jsonread_typed(root, "classes", MSP_JARRAY, MSP_REPORT_MAX_CLASSES, path, &a, err)) ||
        (st = msp_jsonread_typed(root, "confusion", MSP_JARRAY, MSP_REPORT_MAX_CLASSES, path, &c, err)))
        goto out;
    const msp_jval *lat = msp_jsonread_get(root, "latency_ms");
    if (lat && (st = msp_jsonread_num(lat, "median", 0, 1e9, 0, path, &r->base_latency_ms, err)))
        goto out;
    if (a->n == 0) {
        st = BAD(a->line, "'classes' is empty");
        goto out;
    }
    size_t n = a->n;
    r->n_classes = (int)n;
    r->class_names = msp_calloc(n, sizeof *r->class_names);
    r->precision = msp_calloc(n, sizeof *r->precision);
    r->recall = msp_calloc(n, sizeof *r->recall);
    r->f1 = msp_calloc(n, sizeof *r->f1);
    r->support = msp_calloc(n, sizeof *r->support);
    for (size_t i = 0; i < n; i++) {
        const msp_jval *k = &a->kid[i];
        const char *s;
        double sup;
        if (k->type != MSP_JOBJECT) {
            st = BAD(k->line, "a class entry must be an object");
            goto out;
        }
        if ((st = msp_jsonread_str(k, "name", path, &s, err)) ||
            (st = msp_jsonread_num(k, "precision", 0, 1, 0, path, &r->precision[i], err)) ||
            (st = msp_jsonread_num(k, "recall", 0, 1, 0, path, &r->recall[i], err)) ||
            (st = msp_jsonread_num(k, "f1", 0, 1, 0, path, &r->f1[i], err)) ||
            (st = msp_jsonread_int(k, "support", 0, 1e15, path, &sup, err)))
            goto out;
        r->class_names[i] = msp_strdup(s);
        r->support[i] = (int64_t)sup;
    }
    r->class_confusion = msp_calloc(n * n, sizeof *r->class_confusion);
    if ((st = int_matrix(c, (int)n, "confusion", path, r->class_confusion, err))) goto out;
    for (size_t i = 0; i < n; i++) {
        int64_t row = sum(r->class_confusion + i * n, (int)n, 1);
        if (row != r->support[i]) {
            st = BAD(a->kid[i].line, "class %zu has 'support' %lld, but row %zu of 'confusion' adds up to %lld",
                     i, (long long)r->support[i], i, (long long)row);
            goto out;
        }
    }
    r->have_eval = 1;
out:
    msp_jsonread_free(root);
    return st;
}

/* Every specialist of summary.json belongs to one of the k clusters. */
static msp_status clusters_fit_summary(const msp_jval *kv, const char *path, int k,
                                       const msp_report *r, msp_err *err)
{
    for (int i = 0; r->have_summary && i < r->n_nets; i++)
        if (r->nets[i].cluster >= k)
            return BAD(kv->line, "'k' is %d, but summary.json's network '%s' is of cluster %d", k,
                       r->nets[i].name, r->nets[i].cluster);
    return MSP_OK;
}

static msp_status load_clusters(const char *path, msp_report *r, msp_err *err)
{
    msp_jval *root;
    msp_status st = msp_jsonread_file(path, &root, err);
    if (st != MSP_OK) return st;
    const msp_jval *a;
    const char *s;
    double k;
    if (root->type != MSP_JOBJECT) {
        st = BAD(root->line, "must be a JSON object");
        goto out;
    }
    if ((st = msp_jsonread_str(root, "method", path, &s, err))) goto out;
    r->cluster_method = msp_strdup(s);
    if ((st = msp_jsonread_int(root, "k", 1, MSP_REPORT_MAX_NETS, path, &k, err)) ||
        (st = msp_jsonread_typed(root, "clusters", MSP_JARRAY, MSP_REPORT_MAX_NETS, path, &a, err)))
        goto out;
    if (a->n != (size_t)k) {
        st = BAD(a->line, "'clusters' has %zu entries but k is %d", a->n, (int)k);
        goto out;
    }
    if ((st = clusters_fit_summary(msp_jsonread_get(root, "k"), path, (int)k, r, err))) goto out;
    r->k = (int)k;
    /* Width: the class_counts length, or the largest member class + 1. */
    int width = 0, counts = -1;
    for (size_t i = 0; i < a->n; i++) {
        const msp_jval *c = &a->kid[i], *m;
        double id;
        if (c->type != MSP_JOBJECT) {
            st = BAD(c->line, "a cluster must be an object");
            goto out;
        }
        if ((st = msp_jsonread_int(c, "id", i, i, path, &id, err))) goto out;
        int has_counts = msp_jsonread_get(c, "class_counts") != NULL;
        if (counts >= 0 && has_counts != counts) {
            st = BAD(c->line, "clusters mix 'classes' and 'class_counts'");
            goto out;
        }
        counts = has_counts;
        if ((st = msp_jsonread_typed(c, has_counts ? "class_counts" : "classes", MSP_JARRAY,
                                     MSP_REPORT_MAX_CLASSES, path, &m, err)))
            goto out;
        if (has_counts) {
            if (i > 0 && m->n != (size_t)width) {
                st = BAD(m->line, "'class_counts' has %zu entries, the first cluster had %d", m->n, width);
                goto out;
            }
            if (r->have_eval && m->n != (size_t)r->n_classes) {
                st = BAD(m->line, "'class_counts' has %zu entries, but eval-base.json has %d classes",
                         m->n, r->n_classes);
                goto out;
            }
            width = (int)m->n;
        } else {
            for (size_t j = 0; j < m->n; j++) {
                const msp_jval *v = &m->kid[j];
                if (v->type != MSP_JNUMBER || v->num < 0 || v->num >= MSP_REPORT_MAX_CLASSES ||
                    v->num != floor(v->num)) {
                    st = BAD(v->line, "a class id must be an integer in [0, %d)", MSP_REPORT_MAX_CLASSES);
                    goto out;
                }
                if (r->have_eval && v->num >= r->n_classes) {
                    st = BAD(v->line, "class %d is out of range: eval-base.json has %d classes",
                             (int)v->num, r->n_classes);
                    goto out;
                }
                if ((int)v->num + 1 > width) width = (int)v->num + 1;
            }
        }
    }
    r->cluster_width = width;
    r->cluster_counts = counts > 0;
    r->cluster_sizes = msp_calloc((size_t)r->k, sizeof *r->cluster_sizes);
    r->cluster_class = msp_calloc((size_t)r->k * (size_t)(width ? width : 1), sizeof *r->cluster_class);
    for (int i = 0; i < r->k; i++) {
        const msp_jval *c = &a->kid[i];
        double size;
        if ((st = msp_jsonread_int(c, "size", 0, 1e15, path, &size, err))) goto out;
        r->cluster_sizes[i] = (int64_t)size;
        const msp_jval *m = msp_jsonread_get(c, counts > 0 ? "class_counts" : "classes");
        int64_t *row = r->cluster_class + (size_t)i * (size_t)width;
        if (counts > 0) {
            if ((st = int_array(m, width, "class_counts", path, row, err))) goto out;
        } else {
            for (size_t j = 0; j < m->n; j++) row[(int)m->kid[j].num] = 1;
        }
    }
    r->have_clusters = 1;
out:
    msp_jsonread_free(root);
    return st;
}

/* ---- train.json ---------------------------------------------------------- */

/* One training curve: "epochs": [{"epoch": 1, "loss": x, "val_top1": y}, ...]
 * (loss and val_top1 may be null). */
static msp_status load_curve(const char *path, const char *name, msp_report *r, msp_err *err)
{
    msp_jval *root;
    msp_status st = msp_jsonread_file(path, &root, err);
    if (st != MSP_OK) return st;
    const msp_jval *a;
    if (root->type != MSP_JOBJECT) {
        st = BAD(root->line, "must be a JSON object");
        goto out;
    }
    if ((st = msp_jsonread_typed(root, "epochs", MSP_JARRAY, MSP_REPORT_MAX_EPOCHS, path, &a, err)))
        goto out;
    msp_report_curve *c = &r->curves[r->n_curves];
    memset(c, 0, sizeof *c);
    c->loss = msp_malloc((a->n ? a->n : 1) * sizeof *c->loss);
    c->val_top1 = msp_malloc((a->n ? a->n : 1) * sizeof *c->val_top1);
    c->name = msp_strdup(name);
    r->n_curves++; /* owned by r from here on, freed with it on any error */
    for (size_t i = 0; i < a->n; i++) {
        const msp_jval *e = &a->kid[i];
        double ep;
        if (e->type != MSP_JOBJECT) {
            st = BAD(e->line, "an epoch must be an object");
            goto out;
        }
        if ((st = msp_jsonread_int(e, "epoch", (double)i + 1, (double)i + 1, path, &ep, err)) ||
            (st = msp_jsonread_num(e, "loss", 0, 1e30, 1, path, &c->loss[i], err)) ||
            (st = msp_jsonread_num(e, "val_top1", 0, 1, 1, path, &c->val_top1[i], err)))
            goto out;
        c->n++;
    }
out:
    msp_jsonread_free(root);
    return st;
}

/* The base's curve (<dir>/train.json), then every other full network's of
 * the summary (<dir>/ladder/NAME/train.json), where they exist. */
static msp_status load_curves(const char *dir, msp_report *r, msp_err *err)
{
    r->curves = msp_calloc(MSP_REPORT_MAX_CURVES, sizeof *r->curves);
    char *path = msp_strcat3(dir, "/", "train.json");
    int there;
    msp_status st = input_at(path, &there, err);
    if (st == MSP_OK && there) st = load_curve(path, r->have_summary ? r->reference : "base", r, err);
    free(path);
    for (int i = 0; r->have_summary && i < r->n_nets && st == MSP_OK; i++) {
        const char *name = r->nets[i].name;
        if (r->n_curves == MSP_REPORT_MAX_CURVES) break;
        if (r->nets[i].cluster >= 0 || !strcmp(name, r->reference) || strchr(name, '/') ||
            name[0] == '.' || !name[0])
            continue;
        char *sub = msp_strcat3(dir, "/ladder/", name);
        path = msp_strcat3(sub, "/", "train.json");
        if ((st = input_at(path, &there, err)) == MSP_OK && there) st = load_curve(path, name, r, err);
        free(sub);
        free(path);
    }
    return st;
}

/* ---- the config's settings ---------------------------------------------- */

static void setting(msp_report *r, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define MAX_SETTINGS 64

static void setting(msp_report *r, const char *key, const char *fmt, ...)
{
    if (r->n_settings == MAX_SETTINGS) return;
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    r->setting_keys[r->n_settings] = msp_strdup(key);
    r->setting_values[r->n_settings++] = msp_strdup(buf);
}

static const char *yes(int v)
{
    return v ? "yes" : "no";
}

/* The settings that shape the results, as the config gives them (defaults
 * filled in by the config reader). */
static void settings_from(const msp_expconf *c, msp_report *r)
{
    r->setting_keys = msp_calloc(MAX_SETTINGS, sizeof *r->setting_keys);
    r->setting_values = msp_calloc(MAX_SETTINGS, sizeof *r->setting_values);
    setting(r, "seed", "%llu", (unsigned long long)c->seed);
    setting(r, "threads", "%d", c->threads);
    if (c->data.train_limit)
        setting(r, "data.train_limit", "%d images, stratified by class", c->data.train_limit);
    else setting(r, "data.train_limit", "all images");
    if (c->data.test_limit)
        setting(r, "data.test_limit", "%d images, stratified by class", c->data.test_limit);
    else setting(r, "data.test_limit", "all images");
    if (c->data.format == MSP_DATA_LIST)
        setting(r, "data.resize", "%s", c->data.resize ? "images resized to the network's input"
                                                        : "images must be the network's input");
    setting(r, "data.validation", "%g%% of the training split held out", c->data.validation * 100);
    setting(r, "base.cfg", "%s", c->base.cfg);
    setting(r, "base.epochs", "%d", c->base.epochs);
    setting(r, "base.batch", "%d", c->base.batch);
    setting(r, "evaluate", "latency over %d runs after %d warm-up", c->evaluate.latency_runs,
            c->evaluate.warmup);
    if (c->n_ladder) {
        char names[400] = "";
        for (int i = 0; i < c->n_ladder; i++) {
            size_t l = strlen(names);
            snprintf(names + l, sizeof names - l, "%s%s", i ? ", " : "", c->ladder[i].name);
        }
        setting(r, "ladder", "%s", names);
    }
    static const char *const methods[] = {"confusion", "features", "embedding"};
    const __typeof__(c->specialise) *sp = &c->specialise;
    if (sp->present) {
        const char *m = sp->clustering >= 0 && sp->clustering < 3 ? methods[sp->clustering] : "?";
        if (sp->k) setting(r, "specialise.clustering", "%s, k = %d", m, sp->k);
        else setting(r, "specialise.clustering", "%s, k chosen in [%d, %d]", m, sp->k_min, sp->k_max);
        setting(r, "specialise.criterion", "%s", sp->criterion ? sp->criterion : "taylor");
        setting(r, "specialise.target_flops", "%g of the base's, in %d step%s", sp->target_flops,
                sp->steps, sp->steps == 1 ? "" : "s");
        setting(r, "specialise.finetune_epochs", "%d", sp->finetune_epochs);
        if (sp->other) setting(r, "specialise.other", "yes, %g out-of-cluster share", sp->other_share);
        else setting(r, "specialise.other", "no");
        if (sp->distill > 0)
            setting(r, "specialise.distill", "%g at temperature %g", sp->distill, sp->distill_temperature);
    } else {
        setting(r, "specialise", "absent (no specialists)");
    }
    const __typeof__(c->selector) *se = &c->selector;
    setting(r, "selector.metric", "%s", se->metric ? "top5" : "top1");
    setting(r, "selector.features", "%s%s", se->features ? se->features : "all",
            se->feature_selection ? ", with feature selection" : "");
    if (se->n_premodels) {
        char list[400] = "";
        for (int i = 0; i < se->n_premodels; i++) {
            size_t l = strlen(list);
            snprintf(list + l, sizeof list - l, "%s%s", i ? ", " : "", se->premodels[i]);
        }
        setting(r, "selector.premodels", "%s", list);
    } else {
        setting(r, "selector.premodels", "every implemented kind");
    }
    if (se->label_images) setting(r, "selector.label_images", "%d", se->label_images);
    else setting(r, "selector.label_images", "all training images");
    setting(r, "selector.cv_folds", "%d", se->cv_folds);
    if (se->min_gain > 0) setting(r, "selector.min_gain", "%g", se->min_gain);
    setting(r, "selector.fallback", "%s", yes(se->fallback));
    if (se->fallback) {
        setting(r, "selector.min_confidence", "%g", se->min_confidence);
        if (se->tune_fallback)
            setting(r, "selector.min_prob", "tuned%s, keeping top-1 within %g pt of the base's",
                    se->fallback_per_network ? " per network" : "", se->fallback_tolerance * 100);
        else
            setting(r, "selector.min_prob", "%g", se->min_prob);
    }
}

static double mtime(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (double)st.st_mtim.tv_sec + st.st_mtim.tv_nsec * 1e-9 : -1;
}

/* The config's settings when it can be read; otherwise the reason. */
static void load_settings(const char *dir, msp_report *r)
{
    msp_expconf c;
    msp_err e = {{0}};
    if (!msp_file_readable(r->config)) {
        r->settings_error = msp_strdup("no such file, or not readable");
        return;
    }
    if (msp_expconf_load(r->config, &c, &e) != MSP_OK) {
        r->settings_error = msp_strdup(e.msg);
        return;
    }
    settings_from(&c, r);
    r->have_settings = 1;
    char *summary = msp_strcat3(dir, "/", "summary.json");
    r->config_newer = r->have_summary && mtime(r->config) > mtime(summary);
    free(summary);
    msp_expconf_free(&c);
}

/* ---- per-input.csv ------------------------------------------------------ */

/* Split line (modified in place) at commas into at most max fields. */
static int split(char *line, char **f, int max)
{
    int n = 0;
    for (char *p = line;;) {
        if (n == max) return max + 1;
        f[n++] = p;
        char *c = strchr(p, ',');
        if (!c) break;
        *c = 0;
        p = c + 1;
    }
    return n;
}

static int known_net(const msp_report *r, const char *name)
{
    if (!r->have_summary) return 1;
    for (int i = 0; i < r->n_nets; i++)
        if (!strcmp(r->nets[i].name, name)) return 1;
    return 0;
}

#define CSV_MAX_COLS (4 + 2 * MSP_REPORT_MAX_PREMODELS)
#define CSV_MAX_BYTES (1024u << 20)

static int known_premodel(const msp_report *r, const char *name)
{
    if (!r->have_summary) return 1;
    for (int i = 0; i < r->n_premodels; i++)
        if (!strcmp(r->premodels[i].name, name)) return 1;
    return 0;
}

/* The header: input,class,oracle,oracle_ms then <premodel>,<premodel>_ms
 * pairs, for premodels of summary.json when it exists. */
static msp_status read_header(char **fld, int n, const char *path, msp_report *r, msp_err *err)
{
    if (n > CSV_MAX_COLS || n < 4 || n % 2)
        return BAD(1, "header has %d columns; want input,class,oracle,oracle_ms then a "
                      "<premodel>,<premodel>_ms pair per premodel (at most %d)",
                   n > CSV_MAX_COLS ? CSV_MAX_COLS + 1 : n, MSP_REPORT_MAX_PREMODELS);
    if (strcmp(fld[0], "input") || strcmp(fld[1], "class") || strcmp(fld[2], "oracle") ||
        strcmp(fld[3], "oracle_ms"))
        return BAD(1, "header must start with input,class,oracle,oracle_ms");
    r->n_cols = n / 2 - 1;
    r->col_names = msp_calloc((size_t)r->n_cols, sizeof *r->col_names);
    for (int c = 0; c < r->n_cols; c++) {
        const char *name = fld[2 + 2 * c], *ms = fld[3 + 2 * c];
        size_t nl = strlen(name);
        if (!nl || strncmp(ms, name, nl) || strcmp(ms + nl, "_ms"))
            return BAD(1, "column %d is '%s', want '%s_ms'", 4 + 2 * c, ms, name);
        if (c > 0 && !known_premodel(r, name))
            return BAD(1, "column %d is premodel '%s', which summary.json does not list", 3 + 2 * c,
                       name);
        r->col_names[c] = msp_strdup(name);
    }
    return MSP_OK;
}

/* A whole field of decimal digits, at most max; -1 otherwise. */
static long long count_field(const char *s, long long max)
{
    long long v = 0;
    if (!*s) return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > max / 10) return -1;
        v = v * 10 + (*s - '0');
    }
    return v <= max ? v : -1;
}

#define CSV_MAX_MS 1e9 /* milliseconds of one input, as summary.json's latencies (messages say 1e9) */

/* One row's input id, class (a class of eval-base.json when it exists) and
 * times, into row (n_cols). */
static msp_status read_row(char **fld, int lineno, const char *path, const msp_report *r,
                           double *row, msp_err *err)
{
    int n_classes = r->have_eval ? r->n_classes : MSP_REPORT_MAX_CLASSES;
    if (count_field(fld[0], (long long)1e12) < 0)
        return BAD(lineno, "'input' is '%s', want a non-negative integer", fld[0]);
    if (count_field(fld[1], n_classes - 1) < 0)
        return BAD(lineno, "'class' is '%s', want a class id in [0, %d)", fld[1], n_classes);
    for (int c = 0; c < r->n_cols; c++) {
        const char *name = fld[2 + 2 * c], *ms = fld[3 + 2 * c];
        char *end;
        if (!known_net(r, name))
            return BAD(lineno, "column '%s' names network '%s', which summary.json does not list",
                       r->col_names[c], name);
        errno = 0;
        double v = strtod(ms, &end);
        if (!*ms || *end || errno || !isfinite(v) || v < 0)
            return BAD(lineno, "'%s_ms' is '%s', want a non-negative number of milliseconds",
                       r->col_names[c], ms);
        if (v > CSV_MAX_MS)
            return BAD(lineno, "'%s_ms' is '%s', more than 1e9 ms: not a latency", r->col_names[c], ms);
        row[c] = v;
    }
    return MSP_OK;
}

static msp_status load_inputs(const char *path, msp_report *r, msp_err *err)
{
    int fd;
    uint64_t size;
    msp_status st = msp_open_regular(path, &fd, &size, err);
    if (st != MSP_OK) return st;
    close(fd);
    if (size > CSV_MAX_BYTES) return BAD(0, "larger than %u MiB", CSV_MAX_BYTES >> 20);
    FILE *f = fopen(path, "rb");
    if (!f) return msp_err_set(err, MSP_FAIL, path, 0, "cannot open: %s", strerror(errno));
    char *line = NULL, *fld[CSV_MAX_COLS + 1];
    size_t cap = 0, rows_cap = 0;
    ssize_t len;
    int lineno = 0, nf = 0;
    while ((len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        if ((size_t)len != strlen(line)) {
            st = BAD(lineno, "NUL byte in the file; not a CSV text file?");
            goto out;
        }
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = 0;
        if (len == 0) {
            st = BAD(lineno, "empty line");
            goto out;
        }
        if (strchr(line, '"')) {
            st = BAD(lineno, "quoted fields are not supported (names are plain words)");
            goto out;
        }
        int n = split(line, fld, CSV_MAX_COLS);
        if (lineno == 1) {
            if ((st = read_header(fld, n, path, r, err))) goto out;
            nf = n;
            continue;
        }
        if (n != nf) {
            st = BAD(lineno, "%d%s fields, the header has %d", n, n > CSV_MAX_COLS ? " or more" : "", nf);
            goto out;
        }
        if (r->n_rows >= MSP_REPORT_MAX_ROWS) {
            st = BAD(lineno, "more than %d rows", MSP_REPORT_MAX_ROWS);
            goto out;
        }
        if (r->have_summary && (int64_t)r->n_rows >= r->test_inputs) {
            st = BAD(lineno, "a row more than summary.json's %lld test inputs", (long long)r->test_inputs);
            goto out;
        }
        if (r->n_rows == rows_cap) {
            rows_cap = rows_cap ? rows_cap * 2 : 1024;
            r->ms = msp_realloc(r->ms, rows_cap * (size_t)r->n_cols * sizeof *r->ms);
        }
        if ((st = read_row(fld, lineno, path, r, r->ms + r->n_rows * (size_t)r->n_cols, err))) goto out;
        r->n_rows++;
    }
    if (ferror(f)) {
        st = msp_err_set(err, MSP_FAIL, path, 0, "read error");
        goto out;
    }
    if (lineno == 0) {
        st = BAD(0, "empty file; want a header line input,class,oracle,oracle_ms,...");
        goto out;
    }
    if (r->have_summary && (int64_t)r->n_rows != r->test_inputs) {
        st = BAD(0, "%zu rows, but summary.json has %lld test inputs", r->n_rows,
                 (long long)r->test_inputs);
        goto out;
    }
    /* Stored row after row while reading; transpose to column after column. */
    if (r->n_rows) {
        double *t = msp_malloc(r->n_rows * (size_t)r->n_cols * sizeof *t);
        for (size_t i = 0; i < r->n_rows; i++)
            for (int c = 0; c < r->n_cols; c++)
                t[(size_t)c * r->n_rows + i] = r->ms[i * (size_t)r->n_cols + (size_t)c];
        free(r->ms);
        r->ms = t;
    }
    r->have_inputs = 1;
out:
    free(line);
    fclose(f);
    return st;
}

msp_status msp_report_load(const char *dir, const char *experiment, const char *config,
                           msp_report *r, msp_err *err)
{
    memset(r, 0, sizeof *r);
    r->experiment = msp_strdup(experiment ? experiment : "experiment");
    r->config = msp_strdup(config ? config : "CONFIG");
    r->dir = msp_strdup(dir);
    r->best = -1;
    static const char *const leaves[] = {"summary.json", "eval-base.json", "clusters.json",
                                         "per-input.csv"};
    msp_status (*const load[])(const char *, msp_report *, msp_err *) = {
        load_summary, load_eval, load_clusters, load_inputs};
    msp_status st = MSP_OK;
    for (size_t i = 0; i < 4 && st == MSP_OK; i++) {
        char *path = msp_strcat3(dir, "/", leaves[i]);
        int there;
        if ((st = input_at(path, &there, err)) == MSP_OK && there) st = load[i](path, r, err);
        free(path);
    }
    if (st == MSP_OK) st = load_curves(dir, r, err);
    if (st == MSP_OK) load_settings(dir, r);
    if (st != MSP_OK) msp_report_free(r);
    return st;
}

static void strategy_free(msp_report_strategy *p)
{
    free(p->name);
    free(p->chain);
    free(p->chosen);
    free(p->confusion);
}

void msp_report_free(msp_report *r)
{
    free(r->experiment);
    free(r->config);
    free(r->dir);
    free(r->reference);
    for (int i = 0; r->nets && i < r->n_nets; i++) {
        free(r->nets[i].name);
        free(r->nets[i].cfg);
    }
    free(r->nets);
    for (int i = 0; r->premodels && i < r->n_premodels; i++) strategy_free(&r->premodels[i]);
    for (int i = 0; i < r->n_ablation; i++) strategy_free(&r->ablation[i]);
    free(r->ablation);
    free(r->premodels);
    strategy_free(&r->oracle);
    msp_free_strings(r->class_names, r->n_classes);
    free(r->precision);
    free(r->recall);
    free(r->f1);
    free(r->support);
    free(r->class_confusion);
    free(r->cluster_method);
    free(r->cluster_sizes);
    free(r->cluster_class);
    msp_free_strings(r->col_names, r->n_cols);
    free(r->ms);
    for (int i = 0; r->curves && i < r->n_curves; i++) {
        free(r->curves[i].name);
        free(r->curves[i].loss);
        free(r->curves[i].val_top1);
    }
    free(r->curves);
    for (int i = 0; r->setting_keys && i < r->n_settings; i++) {
        free(r->setting_keys[i]);
        free(r->setting_values[i]);
    }
    free(r->setting_keys);
    free(r->setting_values);
    free(r->settings_error);
    memset(r, 0, sizeof *r);
    r->best = -1;
}
