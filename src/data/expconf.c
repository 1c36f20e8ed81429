/* expconf.c: load and validate experiment configs (contract in expconf.h).
 *
 * The file is read and parsed by conffile.c (which refuses what libconfig
 * 1.5 would accept silently), then walked against the schema table below. Adding a
 * key is one line in a table; loading, defaults and freeing follow it.
 *
 * Known limit: libconfig 1.5 leaks the token (a string or name, tens of
 * bytes) on which a syntax error is detected; it cannot be freed from here.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libconfig.h>

#include "base/base.h"
#include "dataset.h"
#include "dncfg/dncfg.h"
#include "expconf.h"

#define FILE_MAX (1 << 20)
#define PATH_LEN_MAX 4096
#define CLASS_LEN_MAX 256
#define NO_OFF ((size_t)-1)

/* How a key is stored in msp_expconf. */
enum kind {
    K_STRING,  /* char *; lo..hi = length */
    K_INT,     /* int; lo..hi = range (int or int64 setting) */
    K_U64,     /* uint64_t; lo..hi = range */
    K_FLOAT,   /* double; flo..fhi = range (float, int or int64 setting) */
    K_ENUM,    /* int: index of the string in values */
    K_STRINGS, /* char **, int count at aux_off; lo..hi = count */
    K_FLOATS,  /* double[hi], int count at aux_off; flo..fhi = range of each, distinct */
    K_BOOL,    /* int 0 / 1 from true / false */
    K_LADDER,  /* the list of off-the-shelf networks (ladder_keys per entry) */
    K_GROUP    /* members in sub */
};

enum {
    F_REQUIRED = 1, /* must be present (in the modes where the key is used) */
    F_INPUT = 2,    /* a path that must name an existing, readable file */
    F_NAME = 4,     /* [A-Za-z0-9._-], not "." or ".." */
    F_MODE = 8      /* this K_ENUM selects which members of its group apply */
};

typedef struct key {
    const char *name; /* NULL ends a table */
    enum kind kind;
    unsigned flags;
    unsigned modes; /* 0: always used; else bit m: used when the group's F_MODE key is m */
    long long lo, hi;
    double flo, fhi;
    long long idef; /* default for K_INT, K_U64, K_ENUM */
    double fdef;    /* default for K_FLOAT */
    size_t off;     /* the field in msp_expconf */
    size_t aux_off; /* K_STRING: int line of the setting; K_STRINGS: int count; else NO_OFF */
    const char *const *values; /* K_ENUM names, NULL-terminated */
    const int *choices;        /* K_INT: allowed values, n_choices of them (else any in range) */
    int n_choices;
    const struct key *sub; /* K_GROUP members */
    const char *(*problem)(const char *v); /* K_STRING(S): NULL when v is well-formed */
    size_t line_off; /* int field for the setting's line, for later stages' messages;
                      * 0: none (offset 0 is path, never a line) */
} key;

#define OFF(field) offsetof(msp_expconf, field)
#define ANY 0u
#define IDX (1u << MSP_DATA_IDX)
#define LIST (1u << MSP_DATA_LIST)

#define STR(n, fl, m, maxlen, field) \
    { .name = n, .kind = K_STRING, .flags = fl, .modes = m, .lo = 1, .hi = maxlen, \
      .off = OFF(field), .aux_off = NO_OFF }
#define STR_LINE(n, fl, m, maxlen, field, line_field) \
    { .name = n, .kind = K_STRING, .flags = fl, .modes = m, .lo = 1, .hi = maxlen, \
      .off = OFF(field), .aux_off = OFF(line_field) }
#define INT(n, fl, m, lo_, hi_, def, field) \
    { .name = n, .kind = K_INT, .flags = fl, .modes = m, .lo = lo_, .hi = hi_, .idef = def, \
      .off = OFF(field), .aux_off = NO_OFF }
#define INT_OF(n, fl, m, set, def, field) \
    { .name = n, .kind = K_INT, .flags = fl, .modes = m, .lo = INT_MIN, .hi = INT_MAX, \
      .idef = def, .off = OFF(field), .aux_off = NO_OFF, .choices = set, \
      .n_choices = (int)(sizeof set / sizeof set[0]) }
#define U64(n, fl, m, lo_, hi_, def, field) \
    { .name = n, .kind = K_U64, .flags = fl, .modes = m, .lo = lo_, .hi = hi_, .idef = def, \
      .off = OFF(field), .aux_off = NO_OFF }
#define FLT(n, fl, m, lo_, hi_, def, field) \
    { .name = n, .kind = K_FLOAT, .flags = fl, .modes = m, .flo = lo_, .fhi = hi_, .fdef = def, \
      .off = OFF(field), .aux_off = NO_OFF }
#define ENUM(n, fl, m, names, def, field) \
    { .name = n, .kind = K_ENUM, .flags = fl, .modes = m, .values = names, .idef = def, \
      .off = OFF(field), .aux_off = NO_OFF }
#define STRINGS(n, fl, m, min, max, field, count_field) \
    { .name = n, .kind = K_STRINGS, .flags = fl, .modes = m, .lo = min, .hi = max, \
      .off = OFF(field), .aux_off = OFF(count_field) }
#define FLOATS(n, fl, m, lo_, hi_, max, field, count_field) \
    { .name = n, .kind = K_FLOATS, .flags = fl, .modes = m, .lo = 0, .hi = max, .flo = lo_, \
      .fhi = hi_, .off = OFF(field), .aux_off = OFF(count_field) }
#define BOOL(n, fl, m, def, field) \
    { .name = n, .kind = K_BOOL, .flags = fl, .modes = m, .idef = def, .off = OFF(field), \
      .aux_off = NO_OFF }
#define GROUP(n, fl, members) \
    { .name = n, .kind = K_GROUP, .flags = fl, .off = NO_OFF, .aux_off = NO_OFF, .sub = members }
#define END { .name = NULL }

static const char *const data_formats[] = { [MSP_DATA_IDX] = "idx", [MSP_DATA_LIST] = "list", NULL };
static const int channel_counts[] = { 1, 3 };

static const key data_keys[] = {
    ENUM("format", F_MODE, ANY, data_formats, MSP_DATA_IDX, data.format),
    STR("train_images", F_REQUIRED | F_INPUT, IDX, PATH_LEN_MAX, data.train_images),
    STR("train_labels", F_REQUIRED | F_INPUT, IDX, PATH_LEN_MAX, data.train_labels),
    STR("test_images", F_REQUIRED | F_INPUT, IDX, PATH_LEN_MAX, data.test_images),
    STR("test_labels", F_REQUIRED | F_INPUT, IDX, PATH_LEN_MAX, data.test_labels),
    STR("train_list", F_REQUIRED | F_INPUT, LIST, PATH_LEN_MAX, data.train_list),
    STR("test_list", F_REQUIRED | F_INPUT, LIST, PATH_LEN_MAX, data.test_list),
    STR("names", F_REQUIRED | F_INPUT, LIST, PATH_LEN_MAX, data.names),
    /* Optional: the base cfg's [net] input decides; if given, they must agree. */
    { .name = "width", .kind = K_INT, .modes = LIST, .lo = 1, .hi = 4096, .off = OFF(data.width),
      .aux_off = NO_OFF, .line_off = OFF(data.width_line) },
    { .name = "height", .kind = K_INT, .modes = LIST, .lo = 1, .hi = 4096, .off = OFF(data.height),
      .aux_off = NO_OFF, .line_off = OFF(data.height_line) },
    { .name = "channels", .kind = K_INT, .modes = LIST, .lo = INT_MIN, .hi = INT_MAX,
      .off = OFF(data.channels), .aux_off = NO_OFF, .choices = channel_counts,
      .n_choices = (int)(sizeof channel_counts / sizeof channel_counts[0]),
      .line_off = OFF(data.channels_line) },
    BOOL("resize", 0, LIST, 0, data.resize),
    { .name = "classes", .kind = K_STRINGS, .lo = 1, .hi = MSP_EXPCONF_CLASSES_MAX,
      .off = OFF(data.classes), .aux_off = OFF(data.n_classes), .line_off = OFF(data.classes_line) },
    FLT("validation", 0, ANY, 0.0, 0.9, 0.1, data.validation),
    INT("train_limit", 0, ANY, 0, INT_MAX, 0, data.train_limit),
    INT("test_limit", 0, ANY, 0, INT_MAX, 0, data.test_limit),
    END
};

static const key base_keys[] = {
    STR_LINE("cfg", F_REQUIRED | F_INPUT, ANY, PATH_LEN_MAX, base.cfg, base.cfg_line),
    STR_LINE("weights", F_REQUIRED, ANY, PATH_LEN_MAX, base.weights, base.weights_line),
    INT("epochs", 0, ANY, 1, 10000, 10, base.epochs),
    INT("batch", 0, ANY, 1, 4096, 64, base.batch),
    END
};

static const key augment_keys[] = {
    INT("shift", 0, ANY, 0, 16, 0, augment.shift),
    BOOL("flip", 0, ANY, 0, augment.flip),
    END
};

static const key evaluate_keys[] = {
    INT("latency_runs", 0, ANY, 1, 100000, 50, evaluate.latency_runs),
    INT("warmup", 0, ANY, 0, 10000, 5, evaluate.warmup),
    END
};

static const char *const cluster_methods[] = { "confusion", "features", "embedding", NULL };
static const char *const allocations[] = { "uniform", "global", NULL };

static const key specialise_keys[] = {
    ENUM("clustering", 0, ANY, cluster_methods, 0, specialise.clustering),
    INT("k", 0, ANY, 0, 64, 0, specialise.k),
    INT("k_min", 0, ANY, 2, 64, 2, specialise.k_min),
    INT("k_max", 0, ANY, 2, 64, 6, specialise.k_max),
    STR_LINE("criterion", 0, ANY, 32, specialise.criterion, specialise.criterion_line),
    FLT("target_flops", 0, ANY, 0.001, 1.0, 0.5, specialise.target_flops),
    ENUM("allocation", 0, ANY, allocations, 0, specialise.allocation),
    INT("min_channels", 0, ANY, 1, 1 << 20, 1, specialise.min_channels),
    BOOL("protect_first", 0, ANY, 1, specialise.protect_first),
    INT("steps", 0, ANY, 1, 20, 1, specialise.steps),
    INT("finetune_epochs", 0, ANY, 0, 10000, 3, specialise.finetune_epochs),
    FLT("finetune_lr", 0, ANY, 0.0, 10.0, 0.0, specialise.finetune_lr),
    BOOL("other", 0, ANY, 1, specialise.other),
    FLT("other_share", 0, ANY, 0.0, 10.0, 0.5, specialise.other_share),
    FLT("distill", 0, ANY, 0.0, 1.0, 0.0, specialise.distill),
    FLT("distill_temperature", 0, ANY, 1.0, 100.0, 2.0, specialise.distill_temperature),
    FLOATS("generalists", 0, ANY, 0.001, 1.0, MSP_MAX_GENERALISTS, specialise.generalists,
           specialise.n_generalists),
    BOOL("specialists", 0, ANY, 1, specialise.specialists),
    END
};

static const char *const metrics[] = { "top1", "top5", NULL };

static const key selector_keys[] = {
    ENUM("metric", 0, ANY, metrics, 0, selector.metric),
    STR_LINE("features", 0, ANY, 1024, selector.features, selector.features_line),
    BOOL("feature_selection", 0, ANY, 1, selector.feature_selection),
    { .name = "premodels", .kind = K_STRINGS, .lo = 1, .hi = 16, .off = OFF(selector.premodels),
      .aux_off = OFF(selector.n_premodels), .line_off = OFF(selector.premodels_line) },
    INT("k", 0, ANY, 1, 1024, 5, selector.k),
    INT("max_depth", 0, ANY, 1, 64, 8, selector.max_depth),
    INT("min_leaf", 0, ANY, 1, 1000000, 2, selector.min_leaf),
    INT("epochs", 0, ANY, 1, 100000, 200, selector.epochs),
    FLT("l2", 0, ANY, 0.0, 100.0, 1e-3, selector.l2),
    FLT("lr", 0, ANY, 1e-6, 100.0, 0.5, selector.lr),
    INT("gate_epochs", 0, ANY, 1, 10000, 30, selector.gate_epochs),
    INT("gate_batch", 0, ANY, 1, 4096, 32, selector.gate_batch),
    FLT("gate_lr", 0, ANY, 1e-6, 10.0, 0.05, selector.gate_lr),
    { .name = "label_images", .kind = K_INT, .lo = 0, .hi = INT_MAX, .idef = 10000,
      .off = OFF(selector.label_images), .aux_off = NO_OFF,
      .line_off = OFF(selector.label_images_line) },
    INT("cv_folds", 0, ANY, 2, 100, 10, selector.cv_folds),
    FLT("min_gain", 0, ANY, 0.0, 1.0, 0.0, selector.min_gain),
    BOOL("fallback", 0, ANY, 1, selector.fallback),
    FLT("min_confidence", 0, ANY, 0.0, 1.0, 0.0, selector.min_confidence),
    FLT("min_prob", 0, ANY, 0.0, 1.0, 0.0, selector.min_prob),
    BOOL("tune_fallback", 0, ANY, 1, selector.tune_fallback),
    BOOL("fallback_per_network", 0, ANY, 1, selector.fallback_per_network),
    FLT("fallback_tolerance", 0, ANY, 0.0, 1.0, 0.0, selector.fallback_tolerance),
    INT("cascade_stages", 0, ANY, 1, 4, 3, selector.cascade_stages),
    END
};

/* Offsets in msp_ladder_net: entries are checked with a ctx whose "conf"
 * points at the entry (see check_ladder). */
#define LOFF(field) offsetof(msp_ladder_net, field)
static const key ladder_keys[] = {
    { .name = "name", .kind = K_STRING, .flags = F_REQUIRED | F_NAME, .lo = 1,
      .hi = MSP_EXPCONF_NAME_MAX, .off = LOFF(name), .aux_off = NO_OFF },
    { .name = "cfg", .kind = K_STRING, .flags = F_REQUIRED | F_INPUT, .lo = 1, .hi = PATH_LEN_MAX,
      .off = LOFF(cfg), .aux_off = NO_OFF },
    { .name = "weights", .kind = K_STRING, .flags = F_REQUIRED, .lo = 1, .hi = PATH_LEN_MAX,
      .off = LOFF(weights), .aux_off = NO_OFF },
    { .name = "epochs", .kind = K_INT, .lo = 0, .hi = 10000, .idef = 0, .off = LOFF(epochs),
      .aux_off = NO_OFF },
    END
};

static const key slurm_keys[] = {
    { .name = "partition", .kind = K_STRING, .lo = 1, .hi = 256, .off = OFF(slurm.partition),
      .aux_off = NO_OFF, .problem = msp_slurm_partition_problem },
    { .name = "time", .kind = K_STRING, .lo = 1, .hi = 32, .off = OFF(slurm.time),
      .aux_off = NO_OFF, .problem = msp_slurm_time_problem },
    { .name = "mem", .kind = K_STRING, .lo = 1, .hi = 32, .off = OFF(slurm.mem),
      .aux_off = NO_OFF, .problem = msp_slurm_mem_problem },
    INT("cpus", 0, ANY, 0, 4096, 0, slurm.cpus),
    { .name = "sbatch_args", .kind = K_STRINGS, .lo = 0, .hi = 64, .off = OFF(slurm.sbatch_args),
      .aux_off = OFF(slurm.n_sbatch_args), .problem = msp_slurm_sbatch_arg_problem },
    END
};

static const key root_keys[] = {
    STR("name", F_REQUIRED | F_NAME, ANY, MSP_EXPCONF_NAME_MAX, name),
    U64("seed", 0, ANY, 0, LLONG_MAX, 1, seed),
    STR("output", 0, ANY, PATH_LEN_MAX, output), /* default set after loading */
    INT("threads", 0, ANY, 1, 64, 1, threads),
    GROUP("data", F_REQUIRED, data_keys),
    GROUP("base", F_REQUIRED, base_keys),
    GROUP("evaluate", 0, evaluate_keys),
    GROUP("augment", 0, augment_keys),
    GROUP("specialise", 0, specialise_keys),
    GROUP("selector", 0, selector_keys),
    GROUP("slurm", 0, slurm_keys),
    { .name = "ladder", .kind = K_LADDER, .off = NO_OFF, .aux_off = NO_OFF },
    END
};

/* ---- reading and pre-scanning ---- */

/* ---- validation ---- */

typedef struct ctx {
    const char *path;
    msp_expconf *conf;
    msp_err *err;
    const char *text; /* the file's text, len bytes */
    size_t len;
} ctx;

static msp_status fail(ctx *c, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static msp_status fail(ctx *c, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    msp_err_vset(c->err, MSP_BAD_INPUT, c->path, line > 0 ? line : 1, fmt, ap);
    va_end(ap);
    return MSP_BAD_INPUT;
}

static bool name_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '-' || c == '*';
}

static void *field(ctx *c, size_t off)
{
    return (char *)c->conf + off;
}

static const char *type_name(int type)
{
    switch (type) {
    case CONFIG_TYPE_GROUP: return "a group { ... }";
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64: return "an integer";
    case CONFIG_TYPE_FLOAT: return "a float";
    case CONFIG_TYPE_STRING: return "a string";
    case CONFIG_TYPE_BOOL: return "a boolean";
    case CONFIG_TYPE_ARRAY: return "an array [ ... ]";
    case CONFIG_TYPE_LIST: return "a list ( ... )";
    default: return "empty";
    }
}

static msp_status wrong_type(ctx *c, const config_setting_t *s, const char *want)
{
    return fail(c, msp_conffile_line(s), "'%s' must be %s, not %s", config_setting_name(s), want,
                type_name(config_setting_type(s)));
}

/* The group (NULL for the top level) whose table holds exactly this name. */
static bool find_elsewhere(const key *keys, const char *group, const char *name,
                           const char **where)
{
    for (const key *k = keys; k->name; k++) {
        if (strcmp(k->name, name) == 0) {
            *where = group;
            return true;
        }
        if (k->kind == K_GROUP && find_elsewhere(k->sub, k->name, name, where)) return true;
    }
    return false;
}

static msp_status unknown_key(ctx *c, const config_setting_t *s, const key *keys, const char *group)
{
    const char *name = config_setting_name(s);
    char in[96] = "";
    if (group) snprintf(in, sizeof in, " in group '%s'", group);
    const key *best = NULL;
    int best_d = INT_MAX;
    for (const key *k = keys; k->name; k++) {
        int d = msp_edit_distance(name, k->name);
        if (d < best_d) best_d = d, best = k;
    }
    if (best && msp_plausible_typo(name, best_d))
        return fail(c, msp_conffile_line(s), "unknown key '%.64s'%s; did you mean '%s'?", name, in, best->name);
    const char *where = NULL;
    if (find_elsewhere(root_keys, NULL, name, &where)) {
        if (where)
            return fail(c, msp_conffile_line(s), "unknown key '%.64s'%s; it belongs in group '%s'", name, in, where);
        return fail(c, msp_conffile_line(s), "unknown key '%.64s'%s; it belongs at the top level", name, in);
    }
    char valid[512] = "";
    size_t used = 0;
    for (const key *k = keys; k->name && used < sizeof valid; k++) {
        int w = snprintf(valid + used, sizeof valid - used, "%s%s", used ? ", " : "", k->name);
        if (w < 0) break;
        used += (size_t)w;
    }
    return fail(c, msp_conffile_line(s), "unknown key '%.64s'%s (valid keys: %s)", name, in, valid);
}

static msp_status check_input_file(ctx *c, const config_setting_t *s, const char *p)
{
    const char *name = config_setting_name(s);
    struct stat st;
    if (stat(p, &st) != 0) {
        int e = errno;
        if (e == ENOENT || e == ENOTDIR) {
            char cwd[PATH_LEN_MAX];
            if (p[0] != '/' && getcwd(cwd, sizeof cwd))
                return fail(c, msp_conffile_line(s), "%s: file '%s' not found (relative paths start from "
                            "the current directory, %s)", name, p, cwd);
            return fail(c, msp_conffile_line(s), "%s: file '%s' not found", name, p);
        }
        return fail(c, msp_conffile_line(s), "%s: cannot access file '%s': %s", name, p, strerror(e));
    }
    if (S_ISDIR(st.st_mode))
        return fail(c, msp_conffile_line(s), "%s: '%s' is a directory, not a file", name, p);
    if (!S_ISREG(st.st_mode)) /* a FIFO would block its reader, a device never end */
        return fail(c, msp_conffile_line(s), "%s: '%s' is %s, not a regular file", name, p,
                    msp_file_type_name(st.st_mode));
    if (access(p, R_OK) != 0)
        return fail(c, msp_conffile_line(s), "%s: file '%s' is not readable: %s", name, p, strerror(errno));
    return MSP_OK;
}

/* Safe to echo to a terminal: no control bytes, C1 controls or bad UTF-8. */
static bool printable(const char *v)
{
    for (const char *p = v; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f) return false;
    return msp_utf8_invalid(v) < 0 && msp_utf8_unprintable(v) < 0;
}

static msp_status check_string(ctx *c, const config_setting_t *s, const key *k)
{
    if (config_setting_type(s) != CONFIG_TYPE_STRING) return wrong_type(c, s, "a string in double quotes");
    const char *v = config_setting_get_string(s);
    size_t len = strlen(v);
    if (len == 0) return fail(c, msp_conffile_line(s), "'%s' must not be empty", k->name);
    if ((long long)len > k->hi)
        return fail(c, msp_conffile_line(s), "'%s' is too long (%zu characters; at most %lld)", k->name, len, k->hi);
    if (k->flags & F_NAME) {
        size_t bad = strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-");
        if (bad < len)
            return fail(c, msp_conffile_line(s), "'%s' may only contain letters, digits, '.', '_' and '-' "
                        "(\"%s\" has '%c' at position %zu)", k->name, v,
                        isprint((unsigned char)v[bad]) ? v[bad] : '?', bad + 1);
        if (strcmp(v, ".") == 0 || strcmp(v, "..") == 0)
            return fail(c, msp_conffile_line(s), "'%s' must not be \".\" or \"..\"", k->name);
    }
    const char *why = k->problem ? k->problem(v) : NULL;
    if (why && printable(v)) return fail(c, msp_conffile_line(s), "'%s' = \"%s\": %s", k->name, v, why);
    if (why) return fail(c, msp_conffile_line(s), "'%s' contains a control character: %s", k->name, why);
    if (k->flags & F_INPUT) {
        msp_status st = check_input_file(c, s, v);
        if (st != MSP_OK) return st;
    }
    char **dst = field(c, k->off);
    MSP_ASSERT(*dst == NULL);
    *dst = msp_strdup(v);
    if (k->aux_off != NO_OFF) *(int *)field(c, k->aux_off) = msp_conffile_line(s);
    return MSP_OK;
}

static msp_status check_int(ctx *c, const config_setting_t *s, const key *k)
{
    long long v;
    switch (config_setting_type(s)) {
    case CONFIG_TYPE_INT: v = config_setting_get_int(s); break;
    case CONFIG_TYPE_INT64: v = config_setting_get_int64(s); break;
    case CONFIG_TYPE_FLOAT:
        return fail(c, msp_conffile_line(s), "'%s' must be an integer, not a float (%g)", k->name,
                    config_setting_get_float(s));
    default: return wrong_type(c, s, "an integer");
    }
    if (k->n_choices) {
        bool ok = false;
        char set[128] = "";
        size_t used = 0;
        for (int i = 0; i < k->n_choices; i++) {
            ok |= v == k->choices[i];
            const char *sep = i == 0 ? "" : i == k->n_choices - 1 ? " or " : ", ";
            int w = snprintf(set + used, sizeof set - used, "%s%d", sep, k->choices[i]);
            if (w > 0 && (size_t)w < sizeof set - used) used += (size_t)w;
        }
        if (!ok) return fail(c, msp_conffile_line(s), "'%s' must be %s (got %lld)", k->name, set, v);
    }
    if (v < k->lo || v > k->hi) {
        if (k->hi == INT_MAX || k->hi == LLONG_MAX)
            return fail(c, msp_conffile_line(s), "'%s' must be %lld or more (got %lld)", k->name, k->lo, v);
        return fail(c, msp_conffile_line(s), "'%s' must be between %lld and %lld (got %lld)", k->name, k->lo,
                    k->hi, v);
    }
    if (k->kind == K_U64) *(uint64_t *)field(c, k->off) = (uint64_t)v;
    else *(int *)field(c, k->off) = (int)v;
    return MSP_OK;
}

static msp_status check_float(ctx *c, const config_setting_t *s, const key *k)
{
    double v;
    switch (config_setting_type(s)) {
    case CONFIG_TYPE_INT: v = config_setting_get_int(s); break;
    case CONFIG_TYPE_INT64: v = (double)config_setting_get_int64(s); break;
    case CONFIG_TYPE_FLOAT: v = config_setting_get_float(s); break;
    default: return wrong_type(c, s, "a number");
    }
    if (!(v >= k->flo && v <= k->fhi))
        return fail(c, msp_conffile_line(s), "'%s' must be between %g and %g (got %g)", k->name, k->flo, k->fhi, v);
    *(double *)field(c, k->off) = v;
    return MSP_OK;
}

static msp_status check_bool(ctx *c, const config_setting_t *s, const key *k)
{
    if (config_setting_type(s) != CONFIG_TYPE_BOOL) return wrong_type(c, s, "true or false");
    *(int *)field(c, k->off) = config_setting_get_bool(s) ? 1 : 0;
    return MSP_OK;
}

static msp_status check_enum(ctx *c, const config_setting_t *s, const key *k)
{
    char set[256] = "";
    size_t used = 0, n = 0;
    while (k->values[n]) n++;
    for (size_t i = 0; i < n; i++) {
        const char *sep = i == 0 ? "" : i == n - 1 ? " or " : ", ";
        int w = snprintf(set + used, sizeof set - used, "%s\"%s\"", sep, k->values[i]);
        if (w > 0 && (size_t)w < sizeof set - used) used += (size_t)w;
    }
    if (config_setting_type(s) != CONFIG_TYPE_STRING) {
        return fail(c, msp_conffile_line(s), "'%s' must be %s, not %s", k->name, set,
                    type_name(config_setting_type(s)));
    }
    const char *v = config_setting_get_string(s);
    for (size_t i = 0; i < n; i++)
        if (strcmp(v, k->values[i]) == 0) {
            *(int *)field(c, k->off) = (int)i;
            return MSP_OK;
        }
    return fail(c, msp_conffile_line(s), "'%s' must be %s (got \"%.64s\")", k->name, set, v);
}

typedef struct named {
    const char *s;
    int index;
} named;

static int cmp_named(const void *a, const void *b)
{
    const named *x = a, *y = b;
    int r = strcmp(x->s, y->s);
    return r ? r : (x->index > y->index) - (x->index < y->index);
}

/* The line where entry i of the array s starts. libconfig records an
 * element's line after reading the token that follows it, which can be on a
 * later line, so the array is read again from the text: from its name, past
 * '=' or ':' and '[', to the (i+1)-th string that follows '[' or ','.
 * Adjacent strings ("a" "b") are one entry, as for libconfig. Falls back to
 * the array's line if the text does not read as expected. */
static int entry_line(const ctx *c, const config_setting_t *s, int i)
{
    int line = 1, want = msp_conffile_line(s);
    const char *name = config_setting_name(s);
    const char *p = c->text, *end = c->text + c->len;
    size_t nlen = name ? strlen(name) : 0;
    if (!nlen) return want;
    while (p < end && line < want)
        if (*p++ == '\n') line++;
    /* the name, as a whole word, then = or :, then [ */
    for (;; p++) {
        if (p >= end || *p == '\n') return want;
        if ((size_t)(end - p) > nlen && !strncmp(p, name, nlen) && !name_char(p[nlen]) &&
            (p == c->text || !name_char(p[-1]))) {
            const char *q = p + nlen;
            while (q < end && isspace((unsigned char)*q)) line += *q++ == '\n';
            if (q >= end || (*q != '=' && *q != ':')) return want;
            for (q++; q < end && isspace((unsigned char)*q); q++) line += *q == '\n';
            if (q >= end || *q != '[') return want;
            p = q + 1;
            break;
        }
    }
    int entry = -1, at_start = 1;
    while (p < end) {
        char ch = *p;
        if (ch == '\n') {
            line++;
            p++;
        } else if (isspace((unsigned char)ch)) {
            p++;
        } else if (ch == '#' || (ch == '/' && p + 1 < end && p[1] == '/')) {
            while (p < end && *p != '\n') p++;
        } else if (ch == '/' && p + 1 < end && p[1] == '*') {
            for (p += 2; p < end && !(*p == '*' && p + 1 < end && p[1] == '/'); p++) line += *p == '\n';
            p += 2;
        } else if (ch == '"') {
            if (at_start && ++entry == i) return line;
            at_start = 0;
            for (p++; p < end && *p != '"'; p++) {
                if (*p == '\\' && p + 1 < end) p++;
                line += *p == '\n';
            }
            p++;
        } else if (ch == ',') {
            at_start = 1;
            p++;
        } else {
            break;
        }
    }
    return want;
}

static msp_status check_strings(ctx *c, const config_setting_t *s, const key *k)
{
    int type = config_setting_type(s);
    if (type == CONFIG_TYPE_LIST)
        return fail(c, msp_conffile_line(s), "'%s' must be an array in square brackets [\"a\", \"b\"], "
                    "not a list ( ... )", k->name);
    if (type != CONFIG_TYPE_ARRAY) return wrong_type(c, s, "an array of strings [\"a\", \"b\"]");
    int n = config_setting_length(s);
    if (n == 0 && k->lo > 0) return fail(c, msp_conffile_line(s), "'%s' must not be empty", k->name);
    if (n < k->lo) return fail(c, msp_conffile_line(s), "'%s' must have at least %lld entries", k->name, k->lo);
    if (n > k->hi)
        return fail(c, msp_conffile_line(s), "'%s' has %d entries; at most %lld are allowed", k->name, n, k->hi);
    /* Errors name the entry, at its line (entry_line). */
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        if (config_setting_type(e) != CONFIG_TYPE_STRING)
            return fail(c, msp_conffile_line(s), "'%s' must contain only strings (entry %d is %s)", k->name,
                        i + 1, type_name(config_setting_type(e)));
        const char *v = config_setting_get_string(e);
        size_t len = strlen(v);
        if (len == 0)
            return fail(c, entry_line(c, s, i), "entry %d of '%s' is an empty string", i + 1, k->name);
        if (len > CLASS_LEN_MAX)
            return fail(c, entry_line(c, s, i), "entry %d of '%s' is too long (%zu characters; at most %d)",
                        i + 1, k->name, len, CLASS_LEN_MAX);
        for (size_t j = 0; j < len; j++)
            if ((unsigned char)v[j] < 0x20 || v[j] == 0x7f)
                return fail(c, entry_line(c, s, i), "entry %d of '%s' contains a control character",
                            i + 1, k->name);
        long bad = msp_utf8_invalid(v);
        if (bad >= 0)
            return fail(c, entry_line(c, s, i), "entry %d of '%s' is not valid UTF-8 (byte 0x%02x at "
                        "position %ld): save the file as UTF-8", i + 1, k->name,
                        (unsigned char)v[bad], bad + 1);
        if (msp_utf8_unprintable(v) >= 0) /* C1 controls: some terminals obey U+009B */
            return fail(c, entry_line(c, s, i), "entry %d of '%s' contains a control character",
                        i + 1, k->name);
        const char *why = k->problem ? k->problem(v) : NULL;
        if (why)
            return fail(c, entry_line(c, s, i), "entry %d of '%s' (\"%s\"): %s", i + 1, k->name, v, why);
    }
    named *sorted = msp_malloc((size_t)n * sizeof *sorted);
    for (int i = 0; i < n; i++) sorted[i] = (named){ config_setting_get_string_elem(s, i), i };
    qsort(sorted, (size_t)n, sizeof *sorted, cmp_named);
    int dup = -1, first = -1; /* report the duplicate that comes earliest in the file */
    for (int i = 1; i < n; i++)
        if (strcmp(sorted[i - 1].s, sorted[i].s) == 0 && (dup < 0 || sorted[i].index < dup))
            dup = sorted[i].index, first = sorted[i - 1].index;
    free(sorted);
    if (dup >= 0)
        return fail(c, entry_line(c, s, dup), "'%s' lists \"%.64s\" twice (entries %d and %d)", k->name,
                    config_setting_get_string_elem(s, dup), first + 1, dup + 1);
    char **v = msp_calloc((size_t)n, sizeof *v);
    for (int i = 0; i < n; i++) v[i] = msp_strdup(config_setting_get_string_elem(s, i));
    *(char ***)field(c, k->off) = v;
    *(int *)field(c, k->aux_off) = n;
    return MSP_OK;
}

/* An array of distinct numbers in [flo, fhi], at most hi of them. */
static msp_status check_floats(ctx *c, const config_setting_t *s, const key *k)
{
    if (config_setting_type(s) != CONFIG_TYPE_ARRAY) return wrong_type(c, s, "an array [0.1, 0.3]");
    int n = config_setting_length(s);
    if (n > k->hi)
        return fail(c, msp_conffile_line(s), "'%s' has %d entries; at most %lld are allowed", k->name, n, k->hi);
    double *v = field(c, k->off);
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        int t = config_setting_type(e);
        if (t != CONFIG_TYPE_FLOAT && t != CONFIG_TYPE_INT)
            return fail(c, msp_conffile_line(s), "'%s' must contain only numbers (entry %d is %s)", k->name,
                        i + 1, type_name(t));
        v[i] = t == CONFIG_TYPE_INT ? config_setting_get_int(e) : config_setting_get_float(e);
        if (!(v[i] >= k->flo && v[i] <= k->fhi))
            return fail(c, msp_conffile_line(s), "entry %d of '%s' must be between %g and %g (got %g)", i + 1,
                        k->name, k->flo, k->fhi, v[i]);
        for (int j = 0; j < i; j++)
            if (v[j] == v[i])
                return fail(c, msp_conffile_line(s), "'%s' lists %g twice (entries %d and %d)", k->name, v[i],
                            j + 1, i + 1);
    }
    *(int *)field(c, k->aux_off) = n;
    return MSP_OK;
}

static msp_status check_group(ctx *c, const config_setting_t *g, const key *keys, const char *group,
                              int group_line);

static msp_status check_ladder(ctx *c, const config_setting_t *s)
{
    if (config_setting_type(s) != CONFIG_TYPE_LIST)
        return wrong_type(c, s, "a list ( { name = ...; cfg = ...; weights = ...; }, ... )");
    int n = config_setting_length(s);
    if (n < 1 || n > MSP_EXPCONF_LADDER_MAX)
        return fail(c, msp_conffile_line(s), "'ladder' must list 1 to %d networks (got %d)",
                    MSP_EXPCONF_LADDER_MAX, n);
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        msp_ladder_net *net = &c->conf->ladder[i];
        c->conf->n_ladder = i + 1; /* so a failure frees what this entry got */
        net->line = msp_conffile_line(e);
        if (config_setting_type(e) != CONFIG_TYPE_GROUP)
            return wrong_type(c, e, "a group { name = ...; cfg = ...; weights = ...; }");
        ctx sub = { c->path, (msp_expconf *)(void *)net, c->err, c->text, c->len };
        msp_status st = check_group(&sub, e, ladder_keys, "ladder", msp_conffile_line(e));
        if (st != MSP_OK) return st;
        if (!strcmp(net->name, "base"))
            return fail(c, net->line, "ladder network name 'base' is taken by the base network");
        for (int j = 0; j < i; j++)
            if (!strcmp(c->conf->ladder[j].name, net->name))
                return fail(c, net->line, "two ladder networks are named '%s'", net->name);
    }
    return MSP_OK;
}

static msp_status check_value(ctx *c, const config_setting_t *s, const key *k)
{
    if (k->line_off) *(int *)field(c, k->line_off) = msp_conffile_line(s);
    switch (k->kind) {
    case K_STRING: return check_string(c, s, k);
    case K_INT:
    case K_U64: return check_int(c, s, k);
    case K_FLOAT: return check_float(c, s, k);
    case K_ENUM: return check_enum(c, s, k);
    case K_BOOL: return check_bool(c, s, k);
    case K_LADDER: return check_ladder(c, s);
    case K_STRINGS: return check_strings(c, s, k);
    case K_FLOATS: return check_floats(c, s, k);
    case K_GROUP:
        if (config_setting_type(s) != CONFIG_TYPE_GROUP) return wrong_type(c, s, "a group { ... }");
        return check_group(c, s, k->sub, k->name, msp_conffile_line(s));
    }
    MSP_ASSERT(!"unknown key kind");
    return MSP_FAIL;
}

static void set_defaults(ctx *c, const key *keys);

static void set_default(ctx *c, const key *k)
{
    switch (k->kind) {
    case K_INT:
    case K_BOOL:
    case K_ENUM: *(int *)field(c, k->off) = (int)k->idef; break;
    case K_U64: *(uint64_t *)field(c, k->off) = (uint64_t)k->idef; break;
    case K_FLOAT: *(double *)field(c, k->off) = k->fdef; break;
    case K_GROUP: set_defaults(c, k->sub); break;
    case K_STRING:
    case K_LADDER:
    case K_STRINGS: break; /* absent: NULL */
    case K_FLOATS: *(int *)field(c, k->aux_off) = 0; break;
    }
}

/* Defaults of a group that is absent: its mode key's default decides the mode. */
static void set_defaults(ctx *c, const key *keys)
{
    unsigned mode_bit = 1u;
    for (const key *k = keys; k->name; k++)
        if (k->flags & F_MODE) mode_bit = 1u << k->idef;
    for (const key *k = keys; k->name; k++)
        if (!k->modes || (k->modes & mode_bit)) set_default(c, k);
}

static void mode_names(const key *mode_key, unsigned modes, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    MSP_ASSERT(mode_key != NULL);
    for (int m = 0; mode_key->values[m]; m++) {
        if (!(modes & (1u << m))) continue;
        int w = snprintf(buf + used, size - used, "%s%s = \"%s\"", used ? " or " : "",
                         mode_key->name, mode_key->values[m]);
        if (w > 0 && (size_t)w < size - used) used += (size_t)w;
    }
}

static msp_status check_group(ctx *c, const config_setting_t *g, const key *keys, const char *group,
                              int group_line)
{
    const key *mode_key = NULL;
    int mode = 0;
    for (const key *k = keys; k->name; k++)
        if (k->flags & F_MODE) mode_key = k;
    if (mode_key) {
        config_setting_t *s = config_setting_get_member(g, mode_key->name);
        if (s) {
            msp_status st = check_enum(c, s, mode_key);
            if (st != MSP_OK) return st;
        } else {
            set_default(c, mode_key);
        }
        mode = *(int *)field(c, mode_key->off);
    }
    unsigned mode_bit = 1u << mode;
    /* Members in file order, so the first error in the file is the one reported. */
    int n = config_setting_length(g);
    for (int i = 0; i < n; i++) {
        const config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
        const char *name = config_setting_name(s);
        const key *k = keys;
        while (k->name && strcmp(k->name, name) != 0) k++;
        if (!k->name) return unknown_key(c, s, keys, group);
        if (k == mode_key) continue;
        if (k->modes && !(k->modes & mode_bit)) {
            char used_with[128];
            mode_names(mode_key, k->modes, used_with, sizeof used_with);
            return fail(c, msp_conffile_line(s), "'%s' is only used with %s", name, used_with);
        }
        msp_status st = check_value(c, s, k);
        if (st != MSP_OK) return st;
    }
    for (const key *k = keys; k->name; k++) {
        if (k == mode_key || config_setting_get_member(g, k->name)) continue;
        if (k->modes && !(k->modes & mode_bit)) continue;
        if (k->flags & F_REQUIRED) {
            char in[96] = "";
            if (group) snprintf(in, sizeof in, " in group '%s'", group);
            if (k->modes) {
                char used_with[128];
                mode_names(mode_key, k->modes, used_with, sizeof used_with);
                return fail(c, group_line, "missing key '%s'%s (required with %s)", k->name, in,
                            used_with);
            }
            return fail(c, group_line, "missing required %s '%s'%s",
                        k->kind == K_GROUP ? "group" : "key", k->name, in);
        }
        set_default(c, k);
    }
    return MSP_OK;
}

/* ---- image lists: what the base cfg and the names file already say ---- */

/* One of data.width/height/channels: absent, the network's value; given,
 * it must be the network's (a second source of the same fact may only agree). */
static msp_status agree_with_cfg(ctx *c, const char *what, int *value, int line, int net_value,
                                 const char *cfg_key)
{
    if (!line) {
        *value = net_value;
        return MSP_OK;
    }
    if (*value == net_value) return MSP_OK;
    return fail(c, line, "data.%s = %d, but the base network %s takes %s=%d in its [net] section "
                "(leave data.%s out to use the cfg's)",
                what, *value, c->conf->base.cfg, cfg_key, net_value, what);
}

/* The images of a list are fed to the base network as its [net] section says. */
static msp_status list_shape_from_cfg(ctx *c)
{
    msp_expconf *conf = c->conf;
    msp_dn_cfg cfg = {0};
    msp_dn_net net = {0};
    msp_status st = msp_dncfg_read(conf->base.cfg, &cfg, c->err);
    if (st == MSP_OK) st = msp_dncfg_check(&cfg, &net, c->err);
    if (st == MSP_OK && net.c != 1 && net.c != 3)
        st = fail(c, conf->base.cfg_line, "the base network %s takes %d channels; image lists "
                  "give 1 (grey) or 3 (RGB)", conf->base.cfg, net.c);
    if (st == MSP_OK)
        st = agree_with_cfg(c, "width", &conf->data.width, conf->data.width_line, net.w, "width");
    if (st == MSP_OK)
        st = agree_with_cfg(c, "height", &conf->data.height, conf->data.height_line, net.h,
                            "height");
    if (st == MSP_OK)
        st = agree_with_cfg(c, "channels", &conf->data.channels, conf->data.channels_line, net.c,
                            "channels");
    msp_dnnet_free(&net);
    msp_dncfg_free(&cfg);
    return st;
}

/* The class names of a list experiment are the names file's: data.classes,
 * if given, must have as many; absent, it is filled from the file, so every
 * stage shows the real names. */
static msp_status list_classes_from_names(ctx *c)
{
    msp_expconf *conf = c->conf;
    char **names = NULL;
    int n = 0;
    msp_status st = msp_imagelist_names(conf->data.names, &names, &n, c->err);
    if (st != MSP_OK) return st;
    if (conf->data.classes) {
        if (conf->data.n_classes != n)
            st = fail(c, conf->data.classes_line, "data.classes has %d names, but the names file "
                      "%s has %d (one per line)", conf->data.n_classes, conf->data.names, n);
        msp_free_strings(names, n);
        return st;
    }
    /* The limits data.classes has, as the names go where its names go. */
    if (n > MSP_EXPCONF_CLASSES_MAX)
        st = msp_err_set(c->err, MSP_BAD_INPUT, conf->data.names, 0,
                         "%d class names; at most %d are supported", n, MSP_EXPCONF_CLASSES_MAX);
    for (int i = 0; st == MSP_OK && i < n; i++)
        if (strlen(names[i]) > CLASS_LEN_MAX) /* no blank lines: name i is on line i + 1 */
            st = msp_err_set(c->err, MSP_BAD_INPUT, conf->data.names, i + 1,
                             "class name is too long (%zu bytes; at most %d)", strlen(names[i]),
                             CLASS_LEN_MAX);
    if (st != MSP_OK) {
        msp_free_strings(names, n);
        return st;
    }
    conf->data.classes = names;
    conf->data.n_classes = n;
    return MSP_OK;
}

/* ---- public ---- */

static void free_keys(msp_expconf *conf, const key *keys)
{
    for (const key *k = keys; k->name; k++) {
        if (k->kind == K_STRING) {
            free(*(char **)((char *)conf + k->off));
        } else if (k->kind == K_STRINGS) {
            char **v = *(char ***)((char *)conf + k->off);
            int n = *(int *)((char *)conf + k->aux_off);
            msp_free_strings(v, n);
        } else if (k->kind == K_GROUP) {
            free_keys(conf, k->sub);
        }
    }
}

void msp_expconf_free(msp_expconf *conf)
{
    if (!conf) return;
    free(conf->path);
    for (int i = 0; i < conf->n_ladder; i++)
        free_keys((msp_expconf *)(void *)&conf->ladder[i], ladder_keys);
    free_keys(conf, root_keys);
    memset(conf, 0, sizeof *conf);
}

msp_status msp_expconf_load(const char *path, msp_expconf *conf, msp_err *err)
{
    MSP_ASSERT(path && conf);
    MSP_ASSERT(sizeof(msp_data_format) == sizeof(int)); /* K_ENUM stores an int */
    memset(conf, 0, sizeof *conf);
    char *text;
    size_t len = 0;
    msp_status st = msp_read_small(path, FILE_MAX, "an experiment config", &text, &len, err);
    if (st != MSP_OK) return st;

    config_t cf;
    config_init(&cf);
    st = msp_conffile_parse(path, "an experiment config", text, len, &cf, err);
    if (st == MSP_OK) {
        ctx c = { path, conf, err, text, len };
        st = check_group(&c, config_root_setting(&cf), root_keys, NULL, 1);
        const config_setting_t *sp = config_lookup(&cf, "specialise");
        conf->specialise.present = sp != NULL;
        if (st == MSP_OK && sp && !conf->specialise.specialists && !conf->specialise.n_generalists)
            st = fail(&c, msp_conffile_line(sp), "specialise: specialists = false and no generalists: "
                      "the family would be the base alone");
        if (st == MSP_OK && sp && conf->specialise.k_min > conf->specialise.k_max)
            st = fail(&c, msp_conffile_line(sp), "specialise: k_min (%d) is larger than k_max (%d)",
                      conf->specialise.k_min, conf->specialise.k_max);
        if (st == MSP_OK && conf->data.format == MSP_DATA_LIST) st = list_shape_from_cfg(&c);
        if (st == MSP_OK && conf->data.format == MSP_DATA_LIST) st = list_classes_from_names(&c);
    }
    config_destroy(&cf);
    free(text);
    if (st != MSP_OK) {
        msp_expconf_free(conf);
        return st;
    }
    conf->path = msp_strdup(path);
    if (!conf->output) {
        size_t n = strlen("results/") + strlen(conf->name) + 1;
        conf->output = msp_malloc(n);
        snprintf(conf->output, n, "results/%s", conf->name);
    }
    return MSP_OK;
}

/* ---- what a stage read ---- */

static void stamp_value(const void *base, const key *k, const char *name, msp_stamp *s)
{
    const char *p = (const char *)base + k->off;
    switch (k->kind) {
    case K_STRING: {
        const char *v = *(char *const *)p;
        msp_stamp_add(s, name, "%s", v ? v : "(none)");
        break;
    }
    case K_INT: msp_stamp_add(s, name, "%d", *(const int *)p); break;
    case K_BOOL: msp_stamp_add(s, name, "%s", *(const int *)p ? "true" : "false"); break;
    case K_U64: msp_stamp_add(s, name, "%llu", (unsigned long long)*(const uint64_t *)p); break;
    case K_FLOAT: msp_stamp_add(s, name, "%.17g", *(const double *)p); break;
    case K_ENUM: msp_stamp_add(s, name, "%s", k->values[*(const int *)p]); break;
    case K_STRINGS:
    case K_FLOATS: {
        int n = *(const int *)((const char *)base + k->aux_off);
        size_t len = 0, cap = 64;
        char *buf = msp_malloc(cap);
        buf[0] = '\0';
        for (int i = 0; i < n; i++) {
            char num[32];
            const char *item = num;
            if (k->kind == K_FLOATS) snprintf(num, sizeof num, "%.17g", ((const double *)p)[i]);
            else item = (*(char *const *const *)p)[i];
            size_t need = len + strlen(item) + 3;
            if (need > cap) buf = msp_realloc(buf, cap = 2 * need);
            len += (size_t)sprintf(buf + len, "%s%s", i ? ", " : "", item);
        }
        msp_stamp_add(s, name, "[%s]", buf);
        free(buf);
        break;
    }
    default: break;
    }
}

void msp_expconf_stamp(const msp_expconf *conf, const char *group, msp_stamp *s)
{
    for (const key *g = root_keys; g->name; g++) {
        if (g->kind != K_GROUP || strcmp(g->name, group) != 0) continue;
        for (const key *k = g->sub; k->name; k++) {
            /* display names change no result */
            if (!strcmp(group, "data") && !strcmp(k->name, "classes")) continue;
            char name[96];
            snprintf(name, sizeof name, "%s.%s", group, k->name);
            stamp_value(conf, k, name, s);
        }
        return;
    }
    MSP_ASSERT(!"no such config group");
}

void msp_expconf_stamp_augment(const msp_expconf *conf, msp_stamp *s)
{
    if (conf->augment.shift || conf->augment.flip) msp_expconf_stamp(conf, "augment", s);
}

void msp_expconf_stamp_ladder(const msp_ladder_net *n, msp_stamp *s)
{
    for (const key *k = ladder_keys; k->name; k++) {
        char name[96];
        snprintf(name, sizeof name, "ladder.%s.%s", n->name, k->name);
        stamp_value(n, k, name, s);
    }
}
