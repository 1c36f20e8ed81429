/* conf_check.c: what any stage would refuse in an experiment config, found
 * at once by `msprune check` and before `msprune all` starts, so that a
 * config that passes never fails hours later on its own content. Each check
 * calls the parser the stage itself uses; only the message gains the
 * config's file and line. */
#include <stdlib.h>

#include "dncfg/dncfg.h"
#include "prune/prune.h"
#include "selector/selector.h"
#include "selector/stage.h"

static msp_status with_line(const msp_expconf *c, int line, const char *key, msp_status st,
                            msp_err *err)
{
    if (st == MSP_OK) return st;
    msp_err e = *err;
    return msp_err_set(err, st, c->path, line, "%s: %s", key, e.msg);
}

/* The class names must match the base network's outputs (the data's shape
 * is matched when the config is loaded for lists, by `check` for IDX). */
static msp_status check_base_fits(const msp_expconf *c, msp_err *err)
{
    msp_dn_cfg cfg = {0};
    msp_dn_net net = {0};
    msp_status st = msp_dncfg_read(c->base.cfg, &cfg, err);
    if (st == MSP_OK) st = msp_dncfg_check(&cfg, &net, err);
    int names = c->data.n_classes, from_file = c->data.format == MSP_DATA_LIST && !c->data.classes_line;
    if (st == MSP_OK && names && names != net.classes)
        st = msp_err_set(err, MSP_BAD_INPUT, c->path, from_file ? c->base.cfg_line : c->data.classes_line,
                         "%s%s has %d class names, but the base network %s has %d outputs",
                         from_file ? "the names file " : "data.classes",
                         from_file ? c->data.names : "", names, c->base.cfg, net.classes);
    msp_dnnet_free(&net);
    msp_dncfg_free(&cfg);
    return st;
}

/* With a specialise section the ladder joins the derived family, whose
 * networks are named s0, s1, ... and g0, g1, ...: a ladder name of that
 * form could clash. */
static msp_status check_ladder_names(const msp_expconf *c, msp_err *err)
{
    for (int i = 0; c->specialise.present && i < c->n_ladder; i++) {
        const char *n = c->ladder[i].name;
        int digits = n[1] != 0;
        for (const char *q = n + 1; *q; q++) digits &= *q >= '0' && *q <= '9';
        if ((n[0] == 's' || n[0] == 'g') && digits)
            return msp_err_set(err, MSP_BAD_INPUT, c->path, c->ladder[i].line,
                               "ladder network '%s' has the form of a derived network's name "
                               "(s0, s1, ... and g0, g1, ...): rename it", n);
    }
    return MSP_OK;
}

msp_status msp_conf_check_stages(const msp_expconf *c, msp_err *err)
{
    msp_prune_criterion crit;
    msp_status st = c->specialise.criterion
                        ? with_line(c, c->specialise.criterion_line, "specialise.criterion",
                                    msp_prune_criterion_parse(c->specialise.criterion, &crit, err), err)
                        : MSP_OK;
    msp_fset set;
    if (st == MSP_OK) st = msp_sel_fset(c, &set, err);
    msp_premodel_kind *kinds = NULL;
    int n_kinds;
    if (st == MSP_OK) st = msp_sel_kinds(c, &kinds, &n_kinds, err);
    free(kinds);
    if (st == MSP_OK) st = check_base_fits(c, err);
    if (st == MSP_OK) st = check_ladder_names(c, err);
    return st;
}
