/* stage_premodel.c: `msprune premodel CONFIG`: label the labelling images
 * (the validation split) with the cheapest family member that gets them
 * right, optionally choose the family members worth keeping (greedy),
 * select features and train, cross-validate and save every premodel of the
 * config, and tune each premodel's safety-net threshold. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "engine/engine.h"
#include "data/data.h"
#include "selector/stage.h"

typedef struct trained {
    msp_premodel_kind kind;
    msp_fset set; /* the feature groups it is trained on (msp_premodel_input_set) */
    msp_premodel_cv_result cv;
    int *kept, n_kept;
    double acc_all, acc_kept, train_acc, seconds;
    msp_safety safety; /* the safety net chosen on the labelling images */
    long refs;
} trained;

/* Safety-net thresholds tried: the chosen network's top-1 probability below
 * it sends the input to the base too (0 = never). */
static const double min_probs[] = {0,    0.5,  0.55, 0.6,  0.65, 0.7,  0.75, 0.8,  0.85,
                                   0.9,  0.91, 0.92, 0.93, 0.94, 0.95, 0.96, 0.97, 0.98,
                                   0.99, 0.995, 0.999};

/* A safety net and what it gives on the labelling images, and the top-1
 * it must keep there: the base's (network 0) minus fallback_tolerance. */
typedef struct tuned {
    msp_safety sn;
    double score, mean_ms, need;
} tuned;

/* The safety net for these choices: with tune_fallback, the best
 * thresholds from min_probs (one per network with fallback_per_network,
 * else one for all) by msp_select_better's rule; without it, the config's
 * min_prob (scored the same way, so choices can be compared). The labelling
 * images are held out from every network's training, so how a network's
 * confidence tracks its correctness there carries over. */
/* The top-1 a selector must keep on the labelling images: the base's
 * (network 0) minus fallback_tolerance. */
static msp_status score_to_keep(const msp_expconf *conf, const msp_choice *ch, double *need,
                                msp_err *err)
{
    msp_select_stats base = {0};
    msp_status st = msp_choice_eval_single(ch, 0, &base, err);
    if (st == MSP_OK) *need = base.score - conf->selector.fallback_tolerance;
    msp_select_stats_free(&base);
    return st;
}

static msp_status choose_min_prob(const msp_expconf *conf, const msp_choice *ch,
                                  const int *chosen, tuned *best, msp_err *err)
{
    int tune = conf->selector.fallback && conf->selector.tune_fallback;
    msp_status st = score_to_keep(conf, ch, &best->need, err);
    if (st != MSP_OK) return st;
    best->sn = msp_sel_config_safety(conf);
    if (tune) {
        st = msp_choice_tune_min_prob(ch, chosen, min_probs, sizeof min_probs / sizeof *min_probs,
                                      best->need, !conf->selector.fallback_per_network, &best->sn,
                                      &best->score, &best->mean_ms, err);
    } else {
        msp_select_stats s = {0};
        st = msp_choice_eval(ch, chosen, NULL, NULL, NULL, &best->sn, &s, err);
        best->score = s.score;
        best->mean_ms = s.mean_ms;
        msp_select_stats_free(&s);
    }
    return st;
}

/* A cascade's start network: the one whose threshold is best by
 * choose_min_prob's rule. Never the base (network 0, the fallback) unless
 * it is alone: a cascade that starts there is the base, already reported
 * on its own. */
static msp_status pick_start(const msp_expconf *conf, const msp_premodel_data *data,
                             const msp_choice *ch, int *start, msp_err *err)
{
    int *chosen = msp_malloc(sizeof(int) * (size_t)data->n);
    double best_score = -INFINITY, best_ms = INFINITY;
    msp_status st = MSP_OK;
    *start = 0;
    for (int j = data->m > 1; j < data->m && st == MSP_OK; j++) {
        for (int i = 0; i < data->n; i++) chosen[i] = j;
        tuned t;
        st = choose_min_prob(conf, ch, chosen, &t, err);
        if (st == MSP_OK && msp_select_better(t.score, t.mean_ms, best_score, best_ms, t.need)) {
            best_score = t.score;
            best_ms = t.mean_ms;
            *start = j;
        }
    }
    free(chosen);
    return st;
}

/* A tuned cascade over the networks with use[j] (NULL: all): its chain and
 * thresholds chosen together on the labelling images
 * (msp_choice_tune_chain), by choose_min_prob's rule. */
static msp_status pick_chain(const msp_expconf *conf, const msp_choice *ch, const uint8_t *use,
                             msp_safety *sn, msp_err *err)
{
    double need;
    msp_status st = score_to_keep(conf, ch, &need, err);
    if (st != MSP_OK) return st;
    *sn = msp_sel_config_safety(conf);
    return msp_choice_tune_chain(ch, use, min_probs, sizeof min_probs / sizeof *min_probs, need,
                                 conf->selector.cascade_stages, sn, NULL, NULL, err);
}

/* The ablation's cascades, one per part of the family worth comparing
 * (msp_sel_ablation_parts), when the config tunes the safety net. */
static msp_status tune_ablation(const msp_expconf *conf, const msp_family *fam,
                                const msp_choice *ch, int *parts, msp_safety *abl, int *n,
                                msp_err *err)
{
    *n = conf->selector.fallback && conf->selector.tune_fallback
             ? msp_sel_ablation_parts(conf, fam, parts)
             : 0;
    msp_status st = MSP_OK;
    for (int k = 0; k < *n && st == MSP_OK; k++) {
        uint8_t use[MSP_FAMILY_MAX_NETS];
        msp_sel_ablation_use(conf, fam, parts[k], use);
        st = pick_chain(conf, ch, use, &abl[k], err);
    }
    return st;
}

/* Columns kept[0..nk) of x (n x d) as a new n x nk matrix. */
static float *columns(const float *x, int n, int d, const int *kept, int nk)
{
    float *y = msp_malloc(sizeof(float) * (size_t)n * (size_t)nk + 1);
    for (int i = 0; i < n; i++)
        for (int k = 0; k < nk; k++) y[(size_t)i * nk + k] = x[(size_t)i * d + kept[k]];
    return y;
}

static msp_status train_one(const msp_expconf *conf, const msp_premodel_data *data,
                            const msp_choice *ch, const uint8_t *use, trained *t, msp_err *err)
{
    msp_premodel_params p;
    msp_sel_params(conf, &p);
    double t0 = msp_now();
    msp_status st = msp_premodel_params_check(t->kind, &p, err);
    if (st != MSP_OK) return st;
    t->kept = msp_malloc(sizeof(int) * (size_t)data->d);
    /* A tuned cascade chooses its chain and thresholds together; untuned, its start. */
    int chain = t->kind == MSP_PREMODEL_CASCADE && data->m > 1 && conf->selector.fallback &&
                conf->selector.tune_fallback;
    if (t->kind == MSP_PREMODEL_CASCADE) {
        t->n_kept = 0; /* it reads no features */
        t->acc_all = t->acc_kept = NAN;
        st = chain ? pick_chain(conf, ch, use, &t->safety, err)
                   : pick_start(conf, data, ch, &p.start, err);
        if (st != MSP_OK) return st;
        if (chain) p.start = t->safety.chain[0];
    } else if (conf->selector.feature_selection && t->kind != MSP_PREMODEL_GATE_CNN) {
        /* (gate-cnn reads the whole pixels grid as an image: no selection) */
        msp_premodel_fsel fs;
        msp_premodel_fsel_default(&fs);
        fs.seed = conf->seed;
        st = msp_premodel_select_features(t->kind, &p, data, &fs, t->kept, &t->n_kept,
                                          &t->acc_all, &t->acc_kept, NULL, err);
        if (st != MSP_OK) return st;
    } else {
        for (int k = 0; k < data->d; k++) t->kept[k] = k;
        t->n_kept = data->d;
        t->acc_all = t->acc_kept = NAN;
    }
    /* Cross-validation over the kept columns only. */
    float *xk = columns(data->x, data->n, data->d, t->kept, t->n_kept);
    msp_premodel_data dk = *data;
    dk.x = xk;
    dk.d = t->n_kept;
    int *oof = msp_malloc(sizeof(int) * (size_t)data->n);
    st = msp_premodel_cv(t->kind, &p, &dk, conf->selector.cv_folds, conf->seed, &t->cv, oof, err);
    free(xk);
    msp_premodel *pm = NULL;
    if (st == MSP_OK) st = msp_premodel_train(t->kind, &p, data, t->kept, t->n_kept, &pm, err);
    if (st == MSP_OK) {
        int hit = 0;
        for (int i = 0; i < data->n; i++)
            hit += msp_premodel_predict(pm, data->x + (size_t)i * data->d, NULL) == data->label[i];
        t->train_acc = (double)hit / data->n;
        /* On the out-of-fold choices: the final model's own training inputs
         * would make the premodel look better than it is on new inputs. */
        if (!chain) {
            tuned tm;
            st = choose_min_prob(conf, ch, oof, &tm, err);
            t->safety = tm.sn;
        }
    }
    free(oof);
    if (st == MSP_OK) {
        t->refs = msp_premodel_ref_count(pm);
        char leaf[64];
        snprintf(leaf, sizeof leaf, "premodel-%s.bin", msp_premodel_kind_name(t->kind));
        char *path = msp_sel_path(conf, leaf);
        st = msp_premodel_save(pm, path, err);
        free(path);
    }
    msp_premodel_free(pm);
    t->seconds = msp_now() - t0;
    return st;
}

static msp_status write_report(const msp_expconf *conf, const msp_outcomes *o, const int *order,
                               const double *gains, int n_used, msp_fset set, const trained *t,
                               int n_t, const int *parts, const msp_safety *abl, int n_abl,
                               msp_err *err)
{
    char *path = msp_sel_path(conf, "premodels.json");
    msp_atomic a;
    msp_status st = msp_atomic_open(&a, path, err);
    free(path);
    if (st != MSP_OK) return st;
    FILE *f = a.f;
    int d = msp_features_dim(MSP_FSET_EVERY);
    char (*names)[MSP_FEATURES_NAME_MAX] = msp_malloc(sizeof *names * (size_t)d);
    char groups[512];
    msp_features_format(set, groups, sizeof groups);
    fprintf(f, "{\n  \"experiment\": ");
    msp_json_string(f, conf->name);
    fprintf(f, ",\n  \"label_images\": %d,\n  \"features\": ", o->n);
    msp_json_string(f, groups);
    fprintf(f, ",\n  \"networks_chosen\": [");
    for (int k = 0; k < n_used; k++) {
        fprintf(f, "%s{\"name\": ", k ? ", " : "");
        msp_json_string(f, o->names[order[k]]);
        fprintf(f, ", \"gain\": ");
        msp_json_number(f, gains[k]);
        fprintf(f, "}");
    }
    fprintf(f, "],\n  \"premodels\": [");
    for (int i = 0; i < n_t; i++) {
        fprintf(f, "%s\n    {\"premodel\": \"%s\", \"cv_accuracy\": ", i ? "," : "",
                msp_premodel_kind_name(t[i].kind));
        msp_json_number(f, t[i].cv.acc_mean);
        fprintf(f, ", \"cv_std\": ");
        msp_json_number(f, t[i].cv.acc_std);
        fprintf(f, ", \"cv_ok_rate\": ");
        msp_json_number(f, t[i].cv.ok_rate);
        fprintf(f, ", \"train_accuracy\": ");
        msp_json_number(f, t[i].train_acc);
        fprintf(f, ", \"min_prob\": ");
        msp_sel_json_min_prob(f, &t[i].safety, o->names, o->m);
        msp_sel_json_chain(f, &t[i].safety, o->names);
        fprintf(f, ", \"reference_points\": %ld, \"seconds\": ", t[i].refs);
        msp_json_number(f, t[i].seconds);
        fprintf(f, ", \"features\": [");
        msp_features_names(t[i].set, names);
        for (int k = 0; k < t[i].n_kept; k++) {
            fprintf(f, "%s", k ? ", " : "");
            msp_json_string(f, names[t[i].kept[k]]);
        }
        fprintf(f, "]}");
    }
    fprintf(f, "\n  ]");
    if (n_abl) fprintf(f, ",\n  \"ablation\": [");
    for (int k = 0; k < n_abl; k++) {
        fprintf(f, "%s\n    {\"networks\": \"%s\", \"min_prob\": ", k ? "," : "",
                msp_sel_ablation_name(parts[k]));
        msp_sel_json_min_prob(f, &abl[k], o->names, o->m);
        msp_sel_json_chain(f, &abl[k], o->names);
        fprintf(f, "}");
    }
    fprintf(f, "%s\n}\n", n_abl ? "\n  ]" : "");
    free(names);
    return msp_atomic_commit(&a, err);
}

/* The device's latencies (msprune premodel --latencies PROFILE) replace the
 * family's (also those of cached outcomes) for labelling and training. The
 * profile must come from a bundle of this experiment: another's networks
 * may share the names. */
static msp_status use_profile(const msp_expconf *conf, const char *path, msp_outcomes *o,
                              msp_err *err)
{
    msp_devprofile p;
    msp_status st = msp_devprofile_load(path, &p, err);
    if (st != MSP_OK) return st;
    if (strcmp(p.experiment, conf->name))
        st = msp_err_set(err, MSP_BAD_INPUT, path, p.experiment_line,
                         "a profile of experiment '%s', but %s is experiment '%s': profile a "
                         "bundle of this experiment (`msprune profile BUNDLE`)",
                         p.experiment, conf->path, conf->name);
    for (int j = 0; j < o->m && st == MSP_OK; j++) {
        int k = 0;
        while (k < p.n && strcmp(p.names[k], o->names[j])) k++;
        if (k == p.n)
            st = msp_err_set(err, MSP_BAD_INPUT, path, 0,
                             "no latency for network '%s': profile a bundle of this family "
                             "(`msprune profile BUNDLE`)", o->names[j]);
        else {
            msp_log(MSP_LOG_INFO, "%s: latency %.4f ms on %s (family: %.4f ms)", o->names[j],
                    p.latency_ms[k], p.machine, o->latency_ms[j]);
            o->latency_ms[j] = p.latency_ms[k];
        }
    }
    msp_devprofile_free(&p);
    return st;
}

/* Which family members are worth routing to: the original research's
 * greedy choice by accuracy coverage when min_gain > 0, else all of them
 * (the choice ignores cost, so it would drop a cheap specialist whose
 * inputs the base also gets right). order[0..*n_used) and their gains;
 * use[j] = 1 for each chosen network. */
static msp_status choose_networks(const msp_expconf *conf, const msp_choice *ch,
                                  const msp_outcomes *o, int *order, double *gains, int *n_used,
                                  uint8_t *use, msp_err *err)
{
    int greedy = conf->selector.min_gain > 0;
    if (greedy) {
        msp_status st = msp_choice_greedy(ch, MSP_GREEDY_START_LABEL, conf->selector.min_gain,
                                          order, gains, n_used, err);
        if (st != MSP_OK) return st;
    } else {
        for (int j = 0; j < o->m; j++) order[j] = j, gains[j] = NAN;
        *n_used = o->m;
    }
    for (int k = 0; k < *n_used; k++) {
        use[order[k]] = 1;
        if (greedy)
            msp_log(MSP_LOG_INFO, "network %d: %s (fixes %.2f%% of the labelling images)", k + 1,
                    o->names[order[k]], 100 * gains[k]);
    }
    return MSP_OK;
}

msp_status msp_selector_train(const msp_expconf *conf, const msp_selector_opts *opt, msp_err *err)
{
    msp_family fam = {0};
    msp_experiment_data data = {0};
    msp_dataset lab = {0};
    msp_outcomes o = {0};
    msp_choice ch = {0};
    msp_premodel_kind *kinds = NULL;
    trained *t = NULL;
    int n_kinds = 0, *order = NULL, *label = NULL, n_used = 0;
    double *gains = NULL;
    float *x = NULL;
    uint8_t *use = NULL;
    msp_fset set;
    msp_status st;
    msp_stamp in = {0};
    msp_selector_train_inputs(conf, opt->latencies, &in);
    if ((st = msp_sel_fset(conf, &set, err)) || (st = msp_sel_kinds(conf, &kinds, &n_kinds, err)) ||
        (st = msp_sel_family(conf, &fam, err)) ||
        (st = msp_experiment_load_data(conf, MSP_SPLIT_VAL, &data, err)))
        goto out;
    /* The labelling images: the validation split (or a seeded sample of it),
     * which no network was trained on: on training images every network
     * looks better than it is, the cheap ones most. */
    if (data.val.n == 0) {
        st = msp_err_set(err, MSP_BAD_INPUT, conf->path, 0,
                         "the premodel is labelled on the validation split: set data.validation > 0");
        goto out;
    }
    int want = conf->selector.label_images;
    if (conf->selector.label_images_line && want > data.val.n)
        msp_log(MSP_LOG_WARN, "selector.label_images = %d but the validation split has %d images: "
                "labelling %d", want, data.val.n, data.val.n);
    /* Stratified, so every class is labelled in proportion. */
    msp_dataset_sample(&data.val, want > 0 && want < data.val.n ? want : data.val.n,
                       conf->seed ^ 0x1abe1ull, &lab);
    char *dir = msp_sel_path(conf, NULL);
    st = msp_mkdirs(dir, err);
    free(dir);
    if (st || (st = msp_sel_outcomes(conf, &fam, &lab, opt->engine, "outcomes-label.csv", &o, err)) ||
        (opt->latencies && (st = use_profile(conf, opt->latencies, &o, err))) ||
        (st = msp_choice_from_outcomes(&o, (msp_metric)conf->selector.metric, &ch, err)))
        goto out;
    order = msp_malloc(sizeof(int) * (size_t)o.m);
    gains = msp_malloc(sizeof(double) * (size_t)o.m);
    use = msp_calloc((size_t)o.m, 1);
    if ((st = choose_networks(conf, &ch, &o, order, gains, &n_used, use, err))) goto out;
    label = msp_malloc(sizeof(int) * (size_t)o.n);
    if ((st = msp_choice_label(&ch, use, label, err))) goto out;
    /* Features once for every group some kind reads (gate-cnn: pixels). */
    msp_fset comp = 0;
    for (int i = 0; i < n_kinds; i++) comp |= msp_premodel_input_set(kinds[i], set);
    int d = 0;
    if ((st = msp_features_dataset(comp, &lab, &x, &d, err))) goto out;
    t = msp_calloc((size_t)n_kinds, sizeof *t);
    for (int i = 0; i < n_kinds && st == MSP_OK; i++) {
        t[i].kind = kinds[i];
        t[i].set = msp_premodel_input_set(kinds[i], set);
        int dk = 0, *cols = msp_malloc(sizeof(int) * (size_t)d);
        for (int c = 0; c < d; c++)
            if (t[i].set & MSP_FSET(msp_features_column_group(comp, c))) cols[dk++] = c;
        float *xk = dk == d ? x : columns(x, o.n, d, cols, dk);
        free(cols);
        msp_premodel_data pd = {.n = o.n, .d = dk, .m = o.m, .x = xk, .label = label, .ok = ch.ok,
                                .cost = o.latency_ms};
        msp_log(MSP_LOG_INFO, "training %s on %d images, %d features", msp_premodel_kind_name(kinds[i]),
                o.n, dk);
        st = train_one(conf, &pd, &ch, use, &t[i], err);
        if (xk != x) free(xk);
        if (st == MSP_OK && opt->on_trained) {
            msp_selector_trained done = {.kind = kinds[i],
                                         .n_features = t[i].n_kept,
                                         .folds = t[i].cv.folds,
                                         .cv_mean = t[i].cv.acc_mean,
                                         .cv_std = t[i].cv.acc_std,
                                         .safety = &t[i].safety,
                                         .o = &o,
                                         .seconds = t[i].seconds};
            opt->on_trained(&done);
        }
    }
    msp_safety abl[MSP_SEL_ABL_N];
    int parts[MSP_SEL_ABL_N], n_abl = 0;
    if (st == MSP_OK) st = tune_ablation(conf, &fam, &ch, parts, abl, &n_abl, err);
    if (st == MSP_OK)
        st = write_report(conf, &o, order, gains, n_used, set, t, n_kinds, parts, abl, n_abl, err);
    if (st == MSP_OK) st = msp_sel_record(conf, "premodel", &in, err);
out:
    msp_stamp_free(&in);
    for (int i = 0; t && i < n_kinds; i++) free(t[i].kept);
    free(t);
    free(kinds);
    free(order);
    free(gains);
    free(label);
    free(use);
    free(x);
    msp_choice_free(&ch);
    msp_outcomes_free(&o);
    msp_dataset_free(&lab);
    msp_experiment_data_free(&data);
    msp_family_free(&fam);
    return st;
}
