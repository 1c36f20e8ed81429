/* stage.c: what the selector's stages share: paths, the family, cached
 * outcomes, the config's features, premodel kinds and parameters. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/base.h"
#include "data/data.h"
#include "selector/stage.h"

char *msp_sel_path(const msp_expconf *conf, const char *leaf)
{
    char *dir = msp_strcat3(conf->output, "/", "selector");
    if (!leaf) return dir;
    char *p = msp_strcat3(dir, "/", leaf);
    free(dir);
    return p;
}

msp_status msp_sel_family(const msp_expconf *conf, msp_family *f, msp_err *err)
{
    char *path = msp_strcat3(conf->output, "/", "family.conf");
    msp_status st;
    if (!msp_file_readable(path))
        st = msp_err_set(err, MSP_BAD_INPUT, conf->path, 0,
                         "no family yet (%s): run `msprune specialise %s` first", path, conf->path);
    else
        st = msp_family_load(path, f, err);
    free(path);
    return st;
}

static double mtime(const char *path)
{
    struct stat s;
    return stat(path, &s) == 0 ? (double)s.st_mtim.tv_sec + s.st_mtim.tv_nsec * 1e-9 : -1;
}

/* Cached outcomes fit when they name the family's networks in order and
 * hold the same inputs with the same classes. */
static int outcomes_fit(const msp_outcomes *o, const msp_family *f, const msp_dataset *d)
{
    if (o->n != d->n || o->m != f->n_nets || o->n_classes != f->n_classes) return 0;
    for (int j = 0; j < o->m; j++)
        if (strcmp(o->names[j], f->nets[j].name) != 0) return 0;
    for (int i = 0; i < o->n; i++)
        if (o->truth[i] != d->y[i]) return 0;
    return 1;
}

msp_status msp_sel_outcomes(const msp_expconf *conf, const msp_family *f, const msp_dataset *d,
                            msp_engine_kind engine, const char *leaf, msp_outcomes *o,
                            msp_err *err)
{
    char *path = msp_sel_path(conf, leaf), *dir = msp_sel_path(conf, NULL);
    char *manifest = msp_strcat3(conf->output, "/", "family.conf");
    msp_status st = MSP_FAIL;
    msp_err ignore;
    if (mtime(path) > mtime(manifest) && msp_outcomes_load(path, o, &ignore) == MSP_OK) {
        if (outcomes_fit(o, f, d)) {
            msp_log(MSP_LOG_INFO, "outcomes of %d networks on %d images from %s", o->m, o->n, path);
            st = MSP_OK;
        } else {
            msp_outcomes_free(o);
        }
    }
    if (st != MSP_OK) {
        msp_log(MSP_LOG_INFO, "running %d networks on %d images", f->n_nets, d->n);
        st = msp_family_outcomes(f, conf->output, d, engine, o, err);
        if (st == MSP_OK) st = msp_mkdirs(dir, err);
        if (st == MSP_OK) st = msp_outcomes_save(path, o, err);
        if (st != MSP_OK) msp_outcomes_free(o);
    }
    free(path);
    free(dir);
    free(manifest);
    return st;
}

msp_status msp_sel_fset(const msp_expconf *conf, msp_fset *set, msp_err *err)
{
    const char *list = conf->selector.features ? conf->selector.features : "all";
    msp_status st = msp_features_parse(list, set, err);
    if (st != MSP_OK && conf->selector.features) {
        msp_err e = *err;
        st = msp_err_set(err, MSP_BAD_INPUT, conf->path, conf->selector.features_line, "%s", e.msg);
    }
    return st;
}

void msp_sel_params(const msp_expconf *conf, msp_premodel_params *p)
{
    msp_premodel_params_default(p);
    p->k = conf->selector.k;
    p->max_depth = conf->selector.max_depth;
    p->min_leaf = conf->selector.min_leaf;
    p->epochs = conf->selector.epochs;
    p->l2 = conf->selector.l2;
    p->lr = conf->selector.lr;
    p->gate_epochs = conf->selector.gate_epochs;
    p->gate_batch = conf->selector.gate_batch;
    p->gate_lr = conf->selector.gate_lr;
    p->seed = conf->seed;
}

/* The default kinds; gate-cnn is opt-in (it trains a CNN, and a --table has
 * no images for it). */
static const msp_premodel_kind implemented[] = {MSP_PREMODEL_KNN, MSP_PREMODEL_KNN_CHAIN,
                                                MSP_PREMODEL_DTREE, MSP_PREMODEL_BAYES,
                                                MSP_PREMODEL_LOGISTIC, MSP_PREMODEL_CASCADE};

int msp_sel_default_kinds(msp_premodel_kind *kinds)
{
    memcpy(kinds, implemented, sizeof implemented);
    return (int)(sizeof implemented / sizeof *implemented);
}

msp_status msp_sel_kinds(const msp_expconf *conf, msp_premodel_kind **kinds, int *n, msp_err *err)
{
    int count = conf->selector.n_premodels ? conf->selector.n_premodels
                                           : (int)(sizeof implemented / sizeof *implemented);
    *kinds = msp_malloc(sizeof **kinds * (size_t)count);
    *n = count;
    if (!conf->selector.n_premodels) {
        msp_sel_default_kinds(*kinds);
        return MSP_OK;
    }
    for (int i = 0; i < count; i++) {
        msp_status st = msp_premodel_kind_parse(conf->selector.premodels[i], &(*kinds)[i], err);
        if (st != MSP_OK) {
            msp_err e = *err;
            free(*kinds);
            *kinds = NULL;
            *n = 0;
            return msp_err_set(err, MSP_BAD_INPUT, conf->path, conf->selector.premodels_line,
                               "selector.premodels: %s", e.msg);
        }
    }
    return MSP_OK;
}

/* The premodels.json entry of a kind, or NULL; *root to free. */
static const msp_jval *recorded_entry(const msp_expconf *conf, msp_premodel_kind kind,
                                      msp_jval **root)
{
    char *path = msp_sel_path(conf, "premodels.json");
    msp_err ignore;
    const msp_jval *found = NULL;
    *root = NULL;
    if (msp_jsonread_file(path, root, &ignore) == MSP_OK) {
        const msp_jval *list = msp_jsonread_get(*root, "premodels");
        for (size_t i = 0; list && list->type == MSP_JARRAY && i < list->n; i++) {
            const msp_jval *name = msp_jsonread_get(&list->kid[i], "premodel");
            if (name && name->type == MSP_JSTRING &&
                !strcmp(name->str, msp_premodel_kind_name(kind)))
                found = &list->kid[i];
        }
    }
    free(path);
    return found;
}

double msp_sel_recorded(const msp_expconf *conf, msp_premodel_kind kind, const char *key)
{
    msp_jval *root;
    const msp_jval *v = msp_jsonread_get(recorded_entry(conf, kind, &root), key);
    double x = v && v->type == MSP_JNUMBER ? v->num : NAN;
    msp_jsonread_free(root);
    return x;
}

msp_safety msp_sel_config_safety(const msp_expconf *conf)
{
    msp_safety sn = {.fallback = conf->selector.fallback ? 0 : -1,
                     .min_confidence = conf->selector.min_confidence,
                     .on_other = conf->selector.fallback};
    msp_safety_set_min_prob(&sn, conf->selector.min_prob);
    return sn;
}

_Static_assert(MSP_FAMILY_MAX_NETS <= MSP_SAFETY_MAX_NETS, "a threshold for every network");

/* The chain a premodels.json entry recorded: network names of fam, each
 * once, none the fallback. */
static msp_status read_chain(const msp_expconf *conf, const char *what, const msp_family *fam,
                             const msp_jval *chain, msp_safety *sn, msp_err *err)
{
    int ok = chain->type == MSP_JARRAY && chain->n >= 1 && chain->n <= MSP_SAFETY_MAX_CHAIN, k;
    sn->n_chain = 0;
    for (size_t i = 0; ok && i < chain->n; i++) {
        const msp_jval *name = &chain->kid[i];
        int j = -1; /* an unknown name is out of range */
        for (int q = 0; name->type == MSP_JSTRING && q < fam->n_nets; q++)
            if (!strcmp(fam->nets[q].name, name->str)) j = q;
        sn->chain[sn->n_chain++] = j;
    }
    if (ok && !msp_safety_chain_problem(sn, fam->n_nets, &k)) return MSP_OK;
    sn->n_chain = 0;
    return msp_err_set(err, MSP_BAD_INPUT, conf->path, 0,
                       "the %s's chain is not a list of 1 to %d distinct networks of the "
                       "family other than the fallback: run `msprune premodel %s` again",
                       what, MSP_SAFETY_MAX_CHAIN, conf->path);
}

/* Rule 3's thresholds and the chain from a premodels.json entry (what names
 * it in messages) into sn. */
static msp_status safety_from_entry(const msp_expconf *conf, const char *what,
                                    const msp_family *fam, const msp_jval *entry, msp_safety *sn,
                                    msp_err *err)
{
    const msp_jval *v = msp_jsonread_get(entry, "min_prob");
    msp_status st = MSP_OK;
    /* one number for every network, or one per network by name */
    for (int j = 0; v && j < fam->n_nets && st == MSP_OK; j++) {
        const msp_jval *p = v->type == MSP_JOBJECT ? msp_jsonread_get(v, fam->nets[j].name) : v;
        if (p && p->type == MSP_JNUMBER && p->num >= 0 && p->num <= 1)
            sn->min_prob[j] = p->num;
        else
            st = msp_err_set(err, MSP_BAD_INPUT, conf->path, 0,
                             "the %s's tuned thresholds have none in [0, 1] for network '%s': "
                             "run `msprune premodel %s` again",
                             what, fam->nets[j].name, conf->path);
    }
    const msp_jval *chain = msp_jsonread_get(entry, "chain");
    if (st == MSP_OK && chain) st = read_chain(conf, what, fam, chain, sn, err);
    return st;
}

msp_status msp_sel_safety(const msp_expconf *conf, msp_premodel_kind kind,
                          const msp_family *fam, msp_safety *sn, msp_err *err)
{
    *sn = msp_sel_config_safety(conf);
    if (!conf->selector.fallback || !conf->selector.tune_fallback) return MSP_OK;
    msp_jval *root;
    char what[64];
    snprintf(what, sizeof what, "%s premodel", msp_premodel_kind_name(kind));
    const msp_jval *entry = recorded_entry(conf, kind, &root);
    msp_status st = entry ? safety_from_entry(conf, what, fam, entry, sn, err) : MSP_OK;
    msp_jsonread_free(root);
    return st;
}

const char *msp_sel_ablation_name(int part)
{
    static const char *const names[MSP_SEL_ABL_N] = {"generalists", "specialists", "derived",
                                                     "ladder", "all"};
    return part >= 0 && part < MSP_SEL_ABL_N ? names[part] : "?";
}

int msp_sel_ablation_use(const msp_expconf *conf, const msp_family *fam, int part, uint8_t *use)
{
    int n = 0;
    for (int j = 0; j < fam->n_nets; j++) {
        int ladder = 0;
        for (int i = 0; i < conf->n_ladder; i++)
            ladder |= !strcmp(conf->ladder[i].name, fam->nets[j].name);
        int kind = ladder ? MSP_SEL_ABL_LADDER
                   : fam->nets[j].cluster >= 0 ? MSP_SEL_ABL_SPECIALISTS
                                               : MSP_SEL_ABL_GENERALISTS;
        use[j] = j > 0 && (part == MSP_SEL_ABL_ALL || part == kind ||
                           (part == MSP_SEL_ABL_DERIVED && kind != MSP_SEL_ABL_LADDER));
        n += use[j];
    }
    return n;
}

int msp_sel_ablation_parts(const msp_expconf *conf, const msp_family *fam, int *parts)
{
    uint8_t use[MSP_FAMILY_MAX_NETS];
    int has[MSP_SEL_ABL_N], n = 0;
    for (int part = 0; part < MSP_SEL_ABL_N; part++)
        has[part] = msp_sel_ablation_use(conf, fam, part, use) > 0;
    if (has[MSP_SEL_ABL_GENERALISTS] && has[MSP_SEL_ABL_SPECIALISTS]) {
        parts[n++] = MSP_SEL_ABL_GENERALISTS;
        parts[n++] = MSP_SEL_ABL_SPECIALISTS;
    }
    if (has[MSP_SEL_ABL_DERIVED] && has[MSP_SEL_ABL_LADDER]) {
        parts[n++] = MSP_SEL_ABL_DERIVED;
        parts[n++] = MSP_SEL_ABL_LADDER;
    }
    if (n) parts[n++] = MSP_SEL_ABL_ALL;
    return n;
}

msp_status msp_sel_ablation_load(const msp_expconf *conf, const msp_family *fam,
                                 msp_safety sn[MSP_SEL_ABL_N], msp_err *err)
{
    for (int part = 0; part < MSP_SEL_ABL_N; part++) {
        sn[part] = msp_sel_config_safety(conf);
        msp_safety_set_min_prob(&sn[part], 0);
    }
    char *path = msp_sel_path(conf, "premodels.json");
    msp_jval *root = NULL;
    msp_err ignore;
    msp_status st = MSP_OK;
    const msp_jval *list = NULL;
    if (msp_jsonread_file(path, &root, &ignore) == MSP_OK)
        list = msp_jsonread_get(root, "ablation");
    for (size_t i = 0; list && list->type == MSP_JARRAY && i < list->n && st == MSP_OK; i++) {
        const msp_jval *name = msp_jsonread_get(&list->kid[i], "networks");
        for (int part = 0; part < MSP_SEL_ABL_N && st == MSP_OK; part++) {
            if (!name || name->type != MSP_JSTRING || strcmp(name->str, msp_sel_ablation_name(part)))
                continue;
            char what[64];
            snprintf(what, sizeof what, "%s cascade", msp_sel_ablation_name(part));
            st = safety_from_entry(conf, what, fam, &list->kid[i], &sn[part], err);
            if (st == MSP_OK && !sn[part].n_chain)
                st = msp_err_set(err, MSP_BAD_INPUT, path, name->line,
                                 "the %s has no chain: run `msprune premodel %s` again", what,
                                 conf->path);
        }
    }
    msp_jsonread_free(root);
    free(path);
    return st;
}

void msp_sel_json_min_prob(FILE *f, const msp_safety *sn, char *const *names, int m)
{
    if (msp_safety_min_prob_shared(sn, m)) {
        msp_json_number(f, sn->min_prob[0]);
        return;
    }
    fprintf(f, "{");
    for (int j = 0; j < m; j++) {
        fprintf(f, "%s", j ? ", " : "");
        msp_json_string(f, names[j]);
        fprintf(f, ": ");
        msp_json_number(f, sn->min_prob[j]);
    }
    fprintf(f, "}");
}

void msp_sel_json_chain(FILE *f, const msp_safety *sn, char *const *names)
{
    if (sn->n_chain < 1) return;
    fprintf(f, ", \"chain\": [");
    for (int k = 0; k < sn->n_chain; k++) {
        fprintf(f, "%s", k ? ", " : "");
        msp_json_string(f, names[sn->chain[k]]);
    }
    fprintf(f, "]");
}

/* The premodels are trained on the labelling images (from the training
 * data), against the family, with the selector settings. */
void msp_selector_train_inputs(const msp_expconf *conf, const char *latencies, msp_stamp *s)
{
    msp_experiment_stamp_data(conf, MSP_SPLIT_TRAIN | MSP_SPLIT_VAL, s);
    msp_expconf_stamp(conf, "selector", s);
    char *family = msp_strcat3(conf->output, "/", "family.conf");
    msp_stamp_add_file(s, family);
    free(family);
    if (latencies) msp_stamp_add_file(s, latencies);
}

/* The evaluation runs the family and the premodels on the test data. */
void msp_selector_evaluate_inputs(const msp_expconf *conf, msp_stamp *s)
{
    msp_experiment_stamp_data(conf, MSP_SPLIT_TEST, s);
    msp_expconf_stamp(conf, "selector", s);
    msp_expconf_stamp(conf, "evaluate", s);
    char *family = msp_strcat3(conf->output, "/", "family.conf");
    char *premodels = msp_sel_path(conf, "premodels.json");
    msp_stamp_add_file(s, family);
    msp_stamp_add_file(s, premodels);
    free(family);
    free(premodels);
}

char *msp_selector_record_path(const msp_expconf *conf, const char *stage)
{
    return msp_stamp_path(conf->output, stage);
}

msp_status msp_sel_record(const msp_expconf *conf, const char *stage, const msp_stamp *in,
                          msp_err *err)
{
    char *rec = msp_selector_record_path(conf, stage);
    msp_status st = msp_stamp_write(in, rec, err);
    free(rec);
    return st;
}
