/* check.c: dispatch a file to the validator of its kind. */
#include <stdio.h>
#include <string.h>

#include "atomicio.h"
#include "check.h"
#include "dataset.h"
#include "dncfg.h"
#include "expconf.h"

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

msp_status msp_check_file(const char *path, char *summary, size_t n, msp_err *err)
{
    if (!ends_with(path, ".conf")) return msp_check_cfg_weights(path, NULL, summary, n, err);
    msp_expconf conf;
    msp_status st = msp_expconf_load(path, &conf, err);
    if (st != MSP_OK) return st;
    int n_names;
    if (conf.data.format == MSP_DATA_LIST &&
        (st = msp_imagelist_check_names(conf.data.names, &n_names, err)) != MSP_OK) {
        msp_expconf_free(&conf);
        return st;
    }
    int have_weights = msp_file_readable(conf.base.weights);
    char net_summary[256];
    st = msp_check_cfg_weights(conf.base.cfg, have_weights ? conf.base.weights : NULL,
                               net_summary, sizeof net_summary, err);
    if (st == MSP_OK)
        snprintf(summary, n, "experiment '%s'; base %s: %s%s", conf.name, conf.base.cfg,
                 net_summary, have_weights ? "; weights match" : "; not trained yet");
    msp_expconf_free(&conf);
    return st;
}
