/* family.c: the family manifest: every network of a specialised family with
 * its files, class mapping, cluster, cost and accuracy, in libconfig syntax:
 *
 *   version = 1;
 *   experiment = "fashion"; clustering = "confusion"; k = 4; classes = 10;
 *   (clustering = "none" and k = 1 for a family without clusters: a ladder)
 *   plan_crc = 123456789L;
 *   networks = ( { name = "base"; cfg = "base.cfg"; weights = "base.weights";
 *                  cluster = -1; outputs = [0, 1, ...]; flops = 15027712L;
 *                  params = 94634L; latency_ms = 0.23; val_top1 = 0.92; ... }, ... );
 *
 * Written atomically; read back with every field checked, because a family
 * is copied between machines and later becomes part of a deploy bundle.
 * Paths are relative to the manifest's folder and must stay inside it. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libconfig.h>

#include "base/base.h"
#include "specialise.h"

#define FAMILY_FILE_MAX (16 << 20)
#define NAME_MAX_LEN 64
#define PATH_MAX_LEN 1024

void msp_family_net_free(msp_family_net *n)
{
    if (!n) return;
    free(n->name);
    free(n->cfg);
    free(n->weights);
    free(n->outputs);
    memset(n, 0, sizeof *n);
}

void msp_family_free(msp_family *f)
{
    if (!f) return;
    free(f->experiment);
    free(f->clustering);
    for (int i = 0; i < f->n_nets; i++) msp_family_net_free(&f->nets[i]);
    free(f->nets);
    memset(f, 0, sizeof *f);
}

/* libconfig reads a number without a decimal point as an integer. */
static void put_float(FILE *o, const char *name, double v)
{
    if (isfinite(v)) fprintf(o, " %s = %.10e;", name, v);
}

msp_status msp_family_write(const char *path, const msp_family *f, msp_err *err)
{
    msp_atomic a;
    msp_status st = msp_atomic_open(&a, path, err);
    if (st != MSP_OK) return st;
    FILE *o = a.f;
    fprintf(o, "# msprune family manifest: the networks of a specialised family.\n"
               "# Paths are relative to this file's folder.\n");
    fprintf(o, "version = %d;\nexperiment = ", MSP_FAMILY_VERSION);
    msp_conf_put_string(o, f->experiment);
    fprintf(o, ";\nclustering = ");
    msp_conf_put_string(o, f->clustering);
    fprintf(o, ";\nk = %d;\nclasses = %d;\nplan_crc = %" PRIu32 "L;\nnetworks = (\n", f->k,
            f->n_classes, f->plan_crc);
    for (int i = 0; i < f->n_nets; i++) {
        const msp_family_net *n = &f->nets[i];
        fprintf(o, "  { name = ");
        msp_conf_put_string(o, n->name);
        fprintf(o, "; cfg = ");
        msp_conf_put_string(o, n->cfg);
        fprintf(o, "; weights = ");
        msp_conf_put_string(o, n->weights);
        fprintf(o, "; cluster = %d;\n    outputs = [", n->cluster);
        for (int j = 0; j < n->n_outputs; j++) fprintf(o, "%s%d", j ? ", " : "", n->outputs[j]);
        fprintf(o, "];\n    flops = %" PRId64 "L; params = %" PRId64 "L;", n->flops, n->params);
        put_float(o, "budget", n->budget);
        put_float(o, "latency_ms", n->latency_ms);
        fprintf(o, "\n   ");
        put_float(o, "val_top1", n->val_top1);
        put_float(o, "val_in_cluster", n->val_in_cluster);
        put_float(o, "base_val_in_cluster", n->base_val_in_cluster);
        fprintf(o, " val_cluster_n = %d;\n   ", n->val_cluster_n);
        put_float(o, "test_top1", n->test_top1);
        put_float(o, "test_in_cluster", n->test_in_cluster);
        put_float(o, "base_test_in_cluster", n->base_test_in_cluster);
        fprintf(o, " test_cluster_n = %d; }%s\n", n->test_cluster_n, i + 1 < f->n_nets ? "," : "");
    }
    fprintf(o, ");\n");
    return msp_atomic_commit(&a, err);
}

/* ---- reading ---- */

typedef msp_conf_reader rd;

static msp_status get_member(rd *r, const config_setting_t *g, const char *name, int type,
                             int required, config_setting_t **out)
{
    *out = config_setting_get_member(g, name);
    if (!*out)
        return required ? msp_conf_bad(r, g, "missing key '%s'", name) : MSP_OK;
    int t = config_setting_type(*out);
    int ok = t == type || (type == CONFIG_TYPE_FLOAT && (t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64)) ||
             (type == CONFIG_TYPE_INT64 && t == CONFIG_TYPE_INT);
    if (!ok) return msp_conf_bad(r, *out, "'%s' has the wrong type", name);
    return MSP_OK;
}

static msp_status get_string(rd *r, const config_setting_t *g, const char *name, size_t max,
                             char **out)
{
    config_setting_t *s;
    msp_status st = get_member(r, g, name, CONFIG_TYPE_STRING, 1, &s);
    if (st != MSP_OK) return st;
    const char *v = config_setting_get_string(s);
    if (!*v || strlen(v) > max) return msp_conf_bad(r, s, "'%s' must be 1 to %zu characters", name, max);
    *out = msp_strdup(v);
    return MSP_OK;
}

static msp_status get_int(rd *r, const config_setting_t *g, const char *name, long long lo,
                          long long hi, long long *out)
{
    config_setting_t *s;
    msp_status st = get_member(r, g, name, CONFIG_TYPE_INT64, 1, &s);
    if (st != MSP_OK) return st;
    long long v = config_setting_get_int64(s);
    if (v < lo || v > hi) return msp_conf_bad(r, s, "'%s' must be in [%lld, %lld] (got %lld)", name, lo, hi, v);
    *out = v;
    return MSP_OK;
}

/* Optional fraction in [0, 1] (accuracy) or a non-negative time; NAN when absent. */
static msp_status get_opt_float(rd *r, const config_setting_t *g, const char *name, double hi,
                                double *out)
{
    config_setting_t *s;
    *out = NAN;
    msp_status st = get_member(r, g, name, CONFIG_TYPE_FLOAT, 0, &s);
    if (st != MSP_OK || !s) return st;
    double v = config_setting_get_float(s);
    if (config_setting_type(s) != CONFIG_TYPE_FLOAT) v = (double)config_setting_get_int64(s);
    if (!(v >= 0 && v <= hi)) return msp_conf_bad(r, s, "'%s' must be in [0, %g] (got %g)", name, hi, v);
    *out = v;
    return MSP_OK;
}

static msp_status get_file(rd *r, const config_setting_t *g, const char *name, const char *dir,
                           char **out)
{
    msp_status st = get_string(r, g, name, PATH_MAX_LEN, out);
    if (st != MSP_OK) return st;
    config_setting_t *s = config_setting_get_member(g, name);
    if (msp_relpath_check(*out) != MSP_RELPATH_INSIDE)
        return msp_conf_bad(r, s, "'%s' = \"%s\" must be a relative path inside the family folder "
                                  "(no leading '/', no '..')", name, *out);
    char *full = msp_strcat3(dir, "/", *out);
    int ok = msp_file_readable(full);
    free(full);
    if (!ok) return msp_conf_bad(r, s, "'%s': %s/%s is missing or unreadable", name, dir, *out);
    return MSP_OK;
}

static msp_status read_net(rd *r, const config_setting_t *g, const char *dir, int n_classes,
                           msp_family_net *n)
{
    long long v;
    msp_status st;
    if (config_setting_type(g) != CONFIG_TYPE_GROUP) return msp_conf_bad(r, g, "a network must be a group { ... }");
    if ((st = get_string(r, g, "name", NAME_MAX_LEN, &n->name))) return st;
    if (!msp_is_plain_name(n->name))
        return msp_conf_bad(r, config_setting_get_member(g, "name"),
                            "network name \"%s\" may only use letters, digits, '.', '_' and '-'", n->name);
    if ((st = get_file(r, g, "cfg", dir, &n->cfg)) || (st = get_file(r, g, "weights", dir, &n->weights)))
        return st;
    if ((st = get_int(r, g, "cluster", -1, MSP_CLUSTER_MAX_K - 1, &v))) return st;
    n->cluster = (int)v;
    config_setting_t *o;
    if ((st = get_member(r, g, "outputs", CONFIG_TYPE_ARRAY, 1, &o))) return st;
    int m = config_setting_length(o);
    if (m < 1 || m > n_classes + 1)
        return msp_conf_bad(r, o, "'outputs' must list 1 to %d entries (got %d)", n_classes + 1, m);
    n->outputs = msp_malloc(sizeof(int) * (size_t)m);
    n->n_outputs = m;
    unsigned char *seen = msp_calloc((size_t)n_classes + 1, 1);
    for (int j = 0; j < m && st == MSP_OK; j++) {
        const config_setting_t *e = config_setting_get_elem(o, (unsigned)j);
        long long c = config_setting_type(e) == CONFIG_TYPE_INT ? config_setting_get_int(e) : -2;
        if (c < -1 || c >= n_classes)
            st = msp_conf_bad(r, o, "'outputs' entry %d must be a class id in [0, %d) or -1 for other", j, n_classes);
        else if (seen[c + 1]++)
            st = msp_conf_bad(r, o, "'outputs' names %s twice", c < 0 ? "other" : "a class");
        else
            n->outputs[j] = (int)c;
    }
    free(seen);
    if (st) return st;
    if ((st = get_int(r, g, "flops", 0, INT64_MAX, &v))) return st;
    n->flops = v;
    if ((st = get_int(r, g, "params", 0, INT64_MAX, &v))) return st;
    n->params = v;
    struct { const char *name; double hi; double *out; } f[] = {
        {"budget", 1, &n->budget},             {"latency_ms", 1e9, &n->latency_ms},
        {"val_top1", 1, &n->val_top1},         {"val_in_cluster", 1, &n->val_in_cluster},
        {"base_val_in_cluster", 1, &n->base_val_in_cluster},
        {"test_top1", 1, &n->test_top1},       {"test_in_cluster", 1, &n->test_in_cluster},
        {"base_test_in_cluster", 1, &n->base_test_in_cluster}};
    for (size_t i = 0; i < sizeof f / sizeof *f; i++)
        if ((st = get_opt_float(r, g, f[i].name, f[i].hi, f[i].out))) return st;
    if ((st = get_int(r, g, "val_cluster_n", 0, INT32_MAX, &v))) return st;
    n->val_cluster_n = (int)v;
    if ((st = get_int(r, g, "test_cluster_n", 0, INT32_MAX, &v))) return st;
    n->test_cluster_n = (int)v;
    static const char *const known[] = {
        "name", "cfg", "weights", "cluster", "outputs", "flops", "params", "budget", "latency_ms",
        "val_top1", "val_in_cluster", "base_val_in_cluster", "val_cluster_n", "test_top1",
        "test_in_cluster", "base_test_in_cluster", "test_cluster_n", NULL};
    return msp_conf_known_keys(r, g, "a network", known);
}

static msp_status read_family(rd *r, config_t *cf, const char *dir, msp_family *f)
{
    const config_setting_t *root = config_root_setting(cf);
    long long v;
    msp_status st;
    if ((st = get_int(r, root, "version", 0, 1000000, &v))) return st;
    if (v != MSP_FAMILY_VERSION)
        return msp_conf_bad(r, config_setting_get_member(root, "version"),
                            "manifest version %lld; this msprune reads version %d", v, MSP_FAMILY_VERSION);
    if ((st = get_string(r, root, "experiment", NAME_MAX_LEN, &f->experiment)) ||
        (st = get_string(r, root, "clustering", 32, &f->clustering)))
        return st;
    msp_cluster_method m;
    msp_err e2;
    if (strcmp(f->clustering, "none") != 0 && msp_cluster_method_parse(f->clustering, &m, &e2) != MSP_OK)
        return msp_conf_bad(r, config_setting_get_member(root, "clustering"), "%s (or \"none\")", e2.msg);
    if ((st = get_int(r, root, "k", 1, MSP_CLUSTER_MAX_K, &v))) return st;
    f->k = (int)v;
    if ((st = get_int(r, root, "classes", 1, MSP_DATASET_MAX_CLASSES, &v))) return st;
    f->n_classes = (int)v;
    if ((st = get_int(r, root, "plan_crc", 0, UINT32_MAX, &v))) return st;
    f->plan_crc = (uint32_t)v;
    config_setting_t *nets;
    if ((st = get_member(r, root, "networks", CONFIG_TYPE_LIST, 1, &nets))) return st;
    int n = config_setting_length(nets);
    if (n < 1 || n > MSP_FAMILY_MAX_NETS)
        return msp_conf_bad(r, nets, "'networks' must hold 1 to %d networks (got %d)", MSP_FAMILY_MAX_NETS, n);
    f->nets = msp_calloc((size_t)n, sizeof *f->nets);
    f->n_nets = n;
    for (int i = 0; i < n; i++) {
        const config_setting_t *g = config_setting_get_elem(nets, (unsigned)i);
        if ((st = read_net(r, g, dir, f->n_classes, &f->nets[i]))) return st;
        if (f->nets[i].cluster >= f->k)
            return msp_conf_bad(r, g, "network '%s': cluster %d, but k = %d", f->nets[i].name,
                                f->nets[i].cluster, f->k);
        for (int j = 0; j < i; j++)
            if (!strcmp(f->nets[j].name, f->nets[i].name))
                return msp_conf_bad(r, g, "two networks are named '%s'", f->nets[i].name);
    }
    static const char *const known[] = {"version", "experiment", "clustering", "k", "classes",
                                        "plan_crc", "networks", NULL};
    return msp_conf_known_keys(r, root, NULL, known);
}

msp_status msp_family_load(const char *path, msp_family *f, msp_err *err)
{
    memset(f, 0, sizeof *f);
    config_t cf;
    config_init(&cf);
    rd r = {path, err};
    msp_status st = msp_conffile_read(path, "a family manifest", FAMILY_FILE_MAX, &cf, err);
    if (st == MSP_OK) {
        char *dir = msp_strdup(path), *slash = strrchr(dir, '/');
        if (slash) *slash = 0;
        else strcpy(dir, ".");
        st = read_family(&r, &cf, dir, f);
        free(dir);
    }
    config_destroy(&cf);
    if (st != MSP_OK) msp_family_free(f);
    return st;
}
