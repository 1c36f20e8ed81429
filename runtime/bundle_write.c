/* bundle_write.c: the bundle manifest writer. Each file is listed with its
 * size and zlib CRC-32 (msp_copy_file computes them while copying): that
 * detects corruption and truncation, not malice. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "runtime/bundle.h"

const char *msp_bundle_path_problem(const char *p)
{
    size_t n = strlen(p);
    if (n == 0) return "the path is empty";
    if (n > MSP_BUNDLE_MAX_PATH) return "the path is too long";
    /* An absolute path is named as such before its characters are. */
    msp_relpath_verdict v = msp_relpath_check(p);
    if (v == MSP_RELPATH_ABSOLUTE) return "absolute paths are not allowed in a bundle";
    for (const char *q = p; *q; q++)
        if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9') ||
              *q == '.' || *q == '_' || *q == '-' || *q == '/'))
            return "only letters, digits and . _ - / are allowed in bundle paths";
    if (v == MSP_RELPATH_EMPTY_PART) return "empty path component ('//' or a trailing '/')";
    if (v == MSP_RELPATH_DOT_PART)
        return "'.' and '..' are not allowed: every path must stay inside the bundle folder";
    return NULL;
}

msp_status msp_bundle_manifest_write(const char *dir, const msp_bundle_manifest *m, msp_err *err)
{
    char *path = msp_strcat3(dir, "/", "manifest.conf");
    msp_atomic a;
    msp_status st = msp_atomic_open(&a, path, err);
    free(path);
    if (st != MSP_OK) return st;
    FILE *f = a.f;
    char feats[512];
    msp_features_format(m->features, feats, sizeof feats);
    fprintf(f, "# msprune bundle manifest (runtime/bundle.h). Paths are relative to this folder.\n");
    fprintf(f, "version = %d;\nexperiment = ", MSP_BUNDLE_VERSION);
    msp_conf_put_string(f, m->experiment);
    fprintf(f, ";\ninput = { width = %d; height = %d; channels = %d; };\nclasses = [", m->width,
            m->height, m->channels);
    for (int i = 0; i < m->n_classes; i++) {
        fprintf(f, "%s", i ? ", " : "");
        msp_conf_put_string(f, m->classes[i]);
    }
    fprintf(f, "];\nnetworks = (");
    for (int j = 0; j < m->n_nets; j++) {
        const msp_bundle_net *n = &m->nets[j];
        fprintf(f, "%s\n  { name = ", j ? "," : "");
        msp_conf_put_string(f, n->name);
        fprintf(f, "; cfg = ");
        msp_conf_put_string(f, n->cfg);
        fprintf(f, "; weights = ");
        msp_conf_put_string(f, n->weights);
        fprintf(f, ";\n    outputs = [");
        for (int k = 0; k < n->n_outputs; k++) fprintf(f, "%s%d", k ? ", " : "", n->outputs[k]);
        fprintf(f, "];\n    latency_ms = %.10e; flops = %lldL; }", n->latency_ms, (long long)n->flops);
    }
    fprintf(f, "\n);\npremodel = { file = ");
    msp_conf_put_string(f, m->premodel_file);
    fprintf(f, "; kind = ");
    msp_conf_put_string(f, m->premodel_kind);
    fprintf(f, "; features = ");
    msp_conf_put_string(f, feats);
    fprintf(f, "; };\nsafety = { fallback = %d; on_other = %s; min_confidence = %.10e; min_prob = ",
            m->safety.fallback, m->safety.on_other ? "true" : "false", m->safety.min_confidence);
    if (msp_safety_min_prob_shared(&m->safety, m->n_nets))
        fprintf(f, "%.10e", m->safety.min_prob[0]);
    else
        for (int j = 0; j < m->n_nets; j++)
            fprintf(f, "%s%.10e%s", j ? ", " : "[", m->safety.min_prob[j], j + 1 < m->n_nets ? "" : "]");
    for (int k = 0; k < m->safety.n_chain; k++)
        fprintf(f, "%s%d", k ? ", " : "; chain = [", m->safety.chain[k]);
    fprintf(f, "%s; };\nfiles = (", m->safety.n_chain ? "]" : "");
    for (int i = 0; i < m->n_files; i++) {
        fprintf(f, "%s\n  { path = ", i ? "," : "");
        msp_conf_put_string(f, m->files[i].path);
        fprintf(f, "; size = %lluL; crc32 = %luL; }", (unsigned long long)m->files[i].size,
                (unsigned long)m->files[i].crc);
    }
    fprintf(f, "\n);\n");
    return msp_atomic_commit(&a, err);
}
