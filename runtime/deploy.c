/* deploy.c: `msprune deploy CONFIG --out DIR`: the bundle of an experiment:
 * its family (<output>/family.conf, every cfg and weights), the premodel
 * that the selector's evaluation found best (<output>/summary.json
 * "selector.premodel"), the feature groups and the safety-net settings of
 * the config, checksums, and a README. Batch norm is not folded: the
 * weights are copied unchanged, so the device computes exactly what the
 * workstation measured. The bundle is written into a folder beside DIR,
 * loaded once, and swapped in as a whole (bundle_place.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "dncfg/dncfg.h"
#include "runtime/bundle.h"
#include "runtime/runtime_int.h"
#include "selector/premodel.h"
#include "selector/selector.h"
#include "specialise/specialise.h"

/* summary.json's selector.premodel, or NULL with err set. */
static msp_status best_kind(const msp_expconf *conf, char **kind, msp_err *err)
{
    char *path = msp_strcat3(conf->output, "/", "summary.json");
    msp_jval *root = NULL;
    const msp_jval *sel;
    const char *k;
    msp_status st;
    if (!msp_file_readable(path))
        st = msp_err_set(err, MSP_BAD_INPUT, path, 0,
                         "missing: run `msprune evaluate %s --selector` first, or name the premodel "
                         "with --premodel KIND",
                         conf->path);
    else if ((st = msp_jsonread_file(path, &root, err)) == MSP_OK &&
             (st = msp_jsonread_typed(root, "selector", MSP_JOBJECT, 64, path, &sel, err)) == MSP_OK &&
             (st = msp_jsonread_str(sel, "premodel", path, &k, err)) == MSP_OK)
        *kind = msp_strdup(k);
    msp_jsonread_free(root);
    free(path);
    return st;
}

static msp_status input_shape(const char *cfg_path, msp_bundle_manifest *m, msp_err *err)
{
    msp_dn_cfg cfg;
    msp_dn_net net;
    msp_status st = msp_dncfg_read(cfg_path, &cfg, err);
    if (st != MSP_OK) return st;
    st = msp_dncfg_check(&cfg, &net, err);
    if (st == MSP_OK) {
        m->width = net.w;
        m->height = net.h;
        m->channels = net.c;
        msp_dnnet_free(&net);
    }
    msp_dncfg_free(&cfg);
    return st;
}

static const char readme[] =
    "msprune bundle\n"
    "==============\n\n"
    "A family of networks, the premodel that picks one per input, and a manifest\n"
    "(manifest.conf) with the size and CRC-32 of every file. Copy the whole folder\n"
    "to the device (e.g. an NVIDIA Jetson TX2 running Debian arm64), then:\n\n"
    "  msprune run BUNDLE image.png ...          # class, network and time per input\n"
    "  msprune run BUNDLE --idx images.idx.gz --csv out.csv\n"
    "  msprune profile BUNDLE --out tx2.conf     # this device's latency per network\n\n"
    "Back on the workstation, `msprune premodel CONFIG --latencies tx2.conf` relabels\n"
    "and retrains the premodel for the device's own latencies; deploy again.\n\n"
    "From C: #include <msprune.h>, link with `pkg-config --libs msprune`:\n"
    "  msprune_open(dir, &b, err, sizeof err); msprune_classify(b, pixels, c, h, w, &r,\n"
    "  probs, err, sizeof err); msprune_close(b);  (one handle per thread)\n\n"
    "Loading verifies the manifest, every checksum and every path; a bundle that\n"
    "fails is refused with a message (exit status 2). CRC-32 detects corruption,\n"
    "not deliberate tampering. Batch norm is not folded: weights are as trained.\n";

static msp_status write_readme(const char *dir, msp_err *err)
{
    char *path = msp_strcat3(dir, "/", "README");
    msp_atomic a;
    msp_status st = msp_atomic_open(&a, path, err);
    free(path);
    if (st != MSP_OK) return st;
    fputs(readme, a.f);
    return msp_atomic_commit(&a, err);
}

/* Copy one file into the bundle and list it. */
static msp_status add_file(const char *src, const char *dir, const char *leaf,
                           msp_bundle_manifest *m, msp_err *err)
{
    msp_bundle_file *bf = &m->files[m->n_files];
    char *dst = msp_strcat3(dir, "/", leaf);
    msp_status st = msp_copy_file(src, dst, &bf->size, &bf->crc, err);
    free(dst);
    if (st == MSP_OK) {
        bf->path = msp_strdup(leaf);
        m->n_files++;
    }
    return st;
}

/* The manifest's networks, from the family; no file is touched. */
static msp_status list_nets(const msp_family *fam, const char *fam_path, msp_bundle_manifest *m,
                            msp_err *err)
{
    m->nets = msp_calloc((size_t)fam->n_nets, sizeof *m->nets);
    m->files = msp_calloc(2 * (size_t)fam->n_nets + 1, sizeof *m->files);
    for (int j = 0; j < fam->n_nets; j++) {
        const msp_family_net *fn = &fam->nets[j];
        msp_bundle_net *bn = &m->nets[m->n_nets++];
        bn->name = msp_strdup(fn->name);
        bn->cfg = msp_strcat3("nets/", fn->name, ".cfg");
        bn->weights = msp_strcat3("nets/", fn->name, ".weights");
        bn->n_outputs = fn->n_outputs;
        bn->outputs = msp_malloc(sizeof(int) * (size_t)fn->n_outputs);
        memcpy(bn->outputs, fn->outputs, sizeof(int) * (size_t)fn->n_outputs);
        bn->latency_ms = fn->latency_ms == fn->latency_ms ? fn->latency_ms : 0;
        bn->flops = fn->flops;
        const char *why = msp_bundle_path_problem(bn->cfg);
        if (why)
            return msp_err_set(err, MSP_BAD_INPUT, fam_path, 0,
                               "network name '%s' cannot be a bundle file name: %s", fn->name, why);
    }
    return MSP_OK;
}

/* Write every file of the bundle into dir (which has nets/), then load it
 * once: a bundle that would be refused is never put in place. */
static msp_status write_bundle(const msp_expconf *conf, const msp_family *fam, const char *pm_path,
                               const char *dir, msp_bundle_manifest *m, msp_err *err)
{
    msp_status st = MSP_OK;
    for (int j = 0; j < fam->n_nets && st == MSP_OK; j++) {
        char *c = msp_strcat3(conf->output, "/", fam->nets[j].cfg);
        char *w = msp_strcat3(conf->output, "/", fam->nets[j].weights);
        st = add_file(c, dir, m->nets[j].cfg, m, err);
        if (st == MSP_OK) st = add_file(w, dir, m->nets[j].weights, m, err);
        free(c);
        free(w);
    }
    if (st == MSP_OK) st = add_file(pm_path, dir, m->premodel_file, m, err);
    if (st == MSP_OK) st = write_readme(dir, err);
    if (st == MSP_OK) st = msp_bundle_manifest_write(dir, m, err);
    msprune_bundle *b = NULL;
    if (st == MSP_OK) st = msp_runtime_open(dir, &b, err);
    msprune_close(b);
    return st;
}

/* Build the bundle beside out and swap it in; nothing is left of a failed
 * attempt, and the previous bundle at out stays whole. */
static msp_status place_bundle(const msp_expconf *conf, const msp_family *fam, const char *pm_path,
                               const char *out, msp_bundle_manifest *m, msp_err *err)
{
    char *tmp = NULL;
    msp_status st = msp_bundle_tmp_make(out, &tmp, err);
    if (st != MSP_OK) return st;
    st = write_bundle(conf, fam, pm_path, tmp, m, err);
    if (st == MSP_OK) st = msp_bundle_swap_in(tmp, out, err);
    if (st != MSP_OK) msp_bundle_tmp_remove(tmp);
    free(tmp);
    return st;
}

/* out without trailing slashes ("bundle/" is the folder bundle). */
static char *folder_name(const char *out)
{
    char *s = msp_strdup(out);
    for (size_t n = strlen(s); n > 1 && s[n - 1] == '/'; n--) s[n - 1] = '\0';
    return s;
}

msp_status msp_deploy(const msp_expconf *conf, const char *out_dir, const msp_deploy_opts *o,
                      msp_err *err)
{
    msp_family fam = {0};
    msp_bundle_manifest m = {0};
    msp_premodel *pm = NULL;
    char *kind = NULL, *fam_path = msp_strcat3(conf->output, "/", "family.conf");
    char *pm_path = NULL, *out = folder_name(out_dir);
    msp_status st;
    if ((st = msp_bundle_check_target(out, err))) goto out;
    if (!msp_file_readable(fam_path)) {
        st = msp_err_set(err, MSP_BAD_INPUT, conf->path, 0,
                         "no family yet (%s): run `msprune specialise %s` first", fam_path, conf->path);
        goto out;
    }
    if ((st = msp_family_load(fam_path, &fam, err))) goto out;
    if (fam.n_nets > MSP_BUNDLE_MAX_NETS) {
        st = msp_err_set(err, MSP_BAD_INPUT, fam_path, 0, "%d networks; a bundle holds at most %d",
                         fam.n_nets, MSP_BUNDLE_MAX_NETS);
        goto out;
    }
    if (o && o->premodel) {
        msp_premodel_kind k;
        if ((st = msp_premodel_kind_parse(o->premodel, &k, err))) goto out;
        kind = msp_strdup(msp_premodel_kind_name(k));
    } else if ((st = best_kind(conf, &kind, err))) {
        goto out;
    }
    char leaf[96];
    snprintf(leaf, sizeof leaf, "selector/premodel-%s.bin", kind);
    pm_path = msp_strcat3(conf->output, "/", leaf);
    if (!msp_file_readable(pm_path)) {
        st = msp_err_set(err, MSP_BAD_INPUT, pm_path, 0, "missing: run `msprune premodel %s` first",
                         conf->path);
        goto out;
    }
    const char *list = conf->selector.features ? conf->selector.features : "all";
    if ((st = msp_features_parse(list, &m.features, err)) || (st = msp_premodel_load(pm_path, &pm, err)))
        goto out;
    /* The set the premodel reads its columns from (gate-cnn: pixels). */
    m.features = msp_premodel_input_set(msp_premodel_get_kind(pm), m.features);
    int d_in, d, mm;
    msp_premodel_dims(pm, &d_in, &d, &mm);
    if (d_in != msp_features_dim(m.features) || mm != fam.n_nets) {
        st = msp_err_set(err, MSP_BAD_INPUT, pm_path, 0,
                         "made for %d features and %d networks, but the config has %d and the "
                         "family %d: run `msprune premodel %s` again",
                         d_in, mm, msp_features_dim(m.features), fam.n_nets, conf->path);
        goto out;
    }
    char *base_cfg = msp_strcat3(conf->output, "/", fam.nets[0].cfg);
    st = input_shape(base_cfg, &m, err);
    free(base_cfg);
    if (st) goto out;

    m.experiment = msp_strdup(fam.experiment);
    m.n_classes = fam.n_classes;
    m.classes = msp_calloc((size_t)m.n_classes, sizeof *m.classes);
    for (int i = 0; i < m.n_classes; i++) {
        char num[32];
        snprintf(num, sizeof num, "%d", i);
        m.classes[i] = msp_strdup(conf->data.n_classes == m.n_classes ? conf->data.classes[i] : num);
    }
    m.premodel_file = msp_strdup("premodel.bin");
    m.premodel_kind = msp_strdup(kind);
    if ((st = msp_sel_safety(conf, msp_premodel_get_kind(pm), &fam, &m.safety, err))) goto out;
    if ((st = list_nets(&fam, fam_path, &m, err))) goto out;
    st = place_bundle(conf, &fam, pm_path, out, &m, err);
out:
    msp_premodel_free(pm);
    msp_bundle_manifest_free(&m);
    msp_family_free(&fam);
    free(kind);
    free(fam_path);
    free(pm_path);
    free(out);
    return st;
}
