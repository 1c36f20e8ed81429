/* check.c: dispatch a file to the validator of its kind; for an experiment
 * config, also its data, as far as it can be checked without training. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "check.h"
#include "data/data.h"
#include "dncfg/dncfg.h"
#include "train.h"

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

static void describe(const msp_dn_net *net, char *out, size_t n)
{
    snprintf(out, n, "%d layers, input %dx%dx%d, %d outputs, %.2f MFLOPs, %.3f M parameters",
             net->n_layers, net->w, net->h, net->c, net->classes, net->flops / 1e6,
             (double)net->n_weights_floats / 1e6);
}

msp_status msp_check_cfg_weights(const char *cfg_path, const char *weights, char *summary,
                                 size_t n, msp_err *err)
{
    msp_dn_cfg cfg = {0};
    msp_dn_net net = {0};
    msp_status st = msp_dncfg_read(cfg_path, &cfg, err);
    if (st == MSP_OK) st = msp_dncfg_check(&cfg, &net, err);
    if (st == MSP_OK && weights) st = msp_dnweights_check(weights, &net, NULL, err);
    if (st == MSP_OK) describe(&net, summary, n);
    msp_dnnet_free(&net);
    msp_dncfg_free(&cfg);
    return st;
}

/* Appends to a bounded summary. */
static void add(char *out, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void add(char *out, size_t n, const char *fmt, ...)
{
    size_t used = strlen(out);
    if (used + 1 >= n) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out + used, n - used, fmt, ap);
    va_end(ap);
}

/* Per-class counts, compactly: "tshirt 6/2, shirt 6/2" (train/test; by
 * number without names), the first few classes only. */
static void add_per_class(char *out, size_t n, char *const *names, int k, const int *train,
                          const int *test)
{
    enum { SHOWN = 12 };
    add(out, n, " (train/test per class: ");
    for (int i = 0; i < k && i < SHOWN; i++) {
        if (names) add(out, n, "%s%s %d/%d", i ? ", " : "", names[i], train[i], test[i]);
        else add(out, n, "%s%d: %d/%d", i ? ", " : "", i, train[i], test[i]);
    }
    if (k > SHOWN) add(out, n, ", ... %d more", k - SHOWN);
    add(out, n, ")");
}

/* A list experiment: every line of both lists resolves to a class and names
 * an image that decodes and fits the network; every class has training
 * images (an error) and test images (a warning). */
static msp_status check_list_data(const msp_expconf *c, char *out, size_t n, msp_err *err)
{
    msp_imagelist_opts o = {.w = c->data.width, .h = c->data.height, .c = c->data.channels,
                            .resize = c->data.resize};
    int *train = NULL, *test = NULL, k = 0, k2 = 0;
    msp_status st = msp_imagelist_scan(c->data.train_list, c->data.names, &o, &train, &k, err);
    if (st == MSP_OK)
        st = msp_imagelist_scan(c->data.test_list, c->data.names, &o, &test, &k2, err);
    /* The names file's names (data.classes may hold display names): what
     * the paths are matched against. */
    char **names = NULL;
    int n_names = 0;
    if (st == MSP_OK) st = msp_imagelist_names(c->data.names, &names, &n_names, err);
    int n_train = 0, n_test = 0, missing = 0;
    for (int i = 0; st == MSP_OK && i < k; i++) {
        n_train += train[i];
        n_test += test[i];
        if (!train[i]) /* names file lines are its names, one each */
            st = msp_err_set(err, MSP_BAD_INPUT, c->data.names, i + 1,
                             "class '%s' has no image in the training list %s (%s)", names[i],
                             c->data.train_list, MSP_IMAGELIST_CLASS_RULE);
        missing += !test[i];
    }
    if (st == MSP_OK && missing) {
        char which[512] = "";
        for (int i = 0, shown = 0; i < k; i++)
            if (!test[i] && shown++ < 8) add(which, sizeof which, "%s'%s'", shown > 1 ? ", " : "", names[i]);
        msp_log(MSP_LOG_WARN, "%s: %d class%s no test image: %s%s", c->data.test_list, missing,
                missing == 1 ? " has" : "es have", which, missing > 8 ? ", ..." : "");
    }
    if (st == MSP_OK) {
        add(out, n, "\n  data: %d training + %d test images of %dx%d %s, %d classes", n_train,
            n_test, c->data.width, c->data.height, c->data.channels == 1 ? "grey" : "RGB", k);
        add_per_class(out, n, names, k, train, test);
    }
    msp_free_strings(names, n_names);
    free(train);
    free(test);
    return st;
}

/* The IDX file (train or test) whose images are not the network's input
 * (IDX images are grey), or NULL. */
static const msp_idx_shape *idx_misfit(const msp_idx_shape *tr, const msp_idx_shape *te,
                                       const msp_dn_net *net)
{
    if (tr->w != net->w || tr->h != net->h || net->c != 1) return tr;
    if (te->w != net->w || te->h != net->h) return te;
    return NULL;
}

/* An IDX experiment, cheaply: headers and labels, not pixels. The images
 * must be the network's input, the labels within its outputs. */
static msp_status check_idx_data(const msp_expconf *c, const msp_dn_net *net, char *out, size_t n,
                                 msp_err *err)
{
    msp_idx_shape tr = {0}, te = {0};
    /* Labels against the network's outputs, not data.classes: a wrong count
     * there is the config's fault, reported at its line by the stage checks. */
    msp_status st = msp_idx_info(c->data.train_images, c->data.train_labels, 0, &tr, err);
    if (st == MSP_OK) st = msp_idx_info(c->data.test_images, c->data.test_labels, 0, &te, err);
    const msp_idx_shape *bad = st != MSP_OK ? NULL : idx_misfit(&tr, &te, net);
    if (bad)
        st = msp_err_set(err, MSP_BAD_INPUT, c->path, c->base.cfg_line,
                         "the IDX images of %s are %dx%d grey (1 channel), but the base network "
                         "%s takes %dx%d with %d channel%s",
                         bad == &te ? c->data.test_images : c->data.train_images, bad->w, bad->h,
                         c->base.cfg, net->w, net->h, net->c, net->c == 1 ? "" : "s");
    int k = tr.n_classes > te.n_classes ? tr.n_classes : te.n_classes;
    if (st == MSP_OK && k > net->classes)
        st = msp_err_set(err, MSP_BAD_INPUT,
                         tr.n_classes >= te.n_classes ? c->data.train_labels : c->data.test_labels,
                         0, "labels go up to %d, but the base network %s has %d outputs", k - 1,
                         c->base.cfg, net->classes);
    if (st == MSP_OK) {
        /* both files' counts over the same k classes */
        int *train = msp_calloc((size_t)k, sizeof(int)), *test = msp_calloc((size_t)k, sizeof(int));
        memcpy(train, tr.per_class, (size_t)tr.n_classes * sizeof(int));
        memcpy(test, te.per_class, (size_t)te.n_classes * sizeof(int));
        add(out, n, "\n  data: %d training + %d test images of %dx%d grey, %d classes", tr.n,
            te.n, tr.w, tr.h, k);
        add_per_class(out, n, k == c->data.n_classes ? c->data.classes : NULL, k, train, test);
        free(train);
        free(test);
    }
    free(tr.per_class);
    free(te.per_class);
    return st;
}

msp_status msp_check_data(const msp_expconf *conf, const msp_dn_net *net, char *summary, size_t n,
                          msp_err *err)
{
    if (conf->data.format == MSP_DATA_LIST) return check_list_data(conf, summary, n, err);
    return check_idx_data(conf, net, summary, n, err);
}

/* Were the base weights trained by msprune from other inputs than the
 * config's now (why says which)? Then training replaces them, and whether
 * they fit the cfg does not matter. */
static int weights_outdated(const msp_expconf *c, char *why, size_t size)
{
    msp_stamp now = {0};
    msp_err ignore;
    char *rec = msp_train_record_path(c, NULL);
    int outdated = msp_train_inputs(c, NULL, &now, &ignore) == MSP_OK &&
                   msp_stamp_compare(&now, rec, why, size) == MSP_STAMP_CHANGED;
    free(rec);
    msp_stamp_free(&now);
    return outdated;
}

msp_status msp_check_file(const char *path, char *summary, size_t n, msp_err *err)
{
    if (!ends_with(path, ".conf")) return msp_check_cfg_weights(path, NULL, summary, n, err);
    msp_expconf conf;
    msp_status st = msp_expconf_load(path, &conf, err);
    if (st != MSP_OK) return st;
    int have_weights = msp_file_readable(conf.base.weights);
    char why[400] = "", weights_state[512];
    int outdated = have_weights && weights_outdated(&conf, why, sizeof why);
    if (!have_weights)
        snprintf(weights_state, sizeof weights_state, "; not trained yet");
    else if (outdated)
        snprintf(weights_state, sizeof weights_state,
                 "; weights out of date (%s): `msprune all` trains them again", why);
    else
        snprintf(weights_state, sizeof weights_state, "; weights match");
    msp_dn_cfg cfg = {0};
    msp_dn_net net = {0};
    st = msp_dncfg_read(conf.base.cfg, &cfg, err);
    if (st == MSP_OK) st = msp_dncfg_check(&cfg, &net, err);
    if (st == MSP_OK && have_weights && !outdated)
        st = msp_dnweights_check(conf.base.weights, &net, NULL, err);
    if (st == MSP_OK) {
        char net_summary[256];
        describe(&net, net_summary, sizeof net_summary);
        snprintf(summary, n, "experiment '%s'; base %s: %s%s", conf.name, conf.base.cfg,
                 net_summary, weights_state);
        st = msp_check_data(&conf, &net, summary, n, err);
    }
    msp_dnnet_free(&net);
    msp_dncfg_free(&cfg);
    msp_expconf_free(&conf);
    return st;
}
