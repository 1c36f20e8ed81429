/* test_bundle.c: the runtime/ room: a tiny family (tests/data/tiny-fashion.cfg
 * and a 4-output specialist, seeded random weights, a logistic premodel on
 * three feature groups) deployed into a bundle at test time; the runtime's
 * answers compared with running the premodel and the networks directly; and
 * tampered bundles refused with MSP_BAD_INPUT and a clear message: paths
 * leaving the folder, wrong checksum, truncated weights, oversized cfg and
 * manifest dimensions, huge counts, missing file, unknown key. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/atomicio.h"
#include "train/metrics.h"
#include "base/rng.h"
#include "runtime/runtime_int.h"
#include "selector/premodel.h"
#include "specialise/specialise.h"

#define FEATS "brightness,contrast,histogram"

static char dir[64];
static char out[128], bundle[128];

static char *path_in(const char *base, const char *leaf)
{
    static char p[4][256];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", base, leaf);
    return p[k];
}

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    cr_assert(f, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    rewind(f);
    char *s = malloc((size_t)len + 1);
    cr_assert_eq(fread(s, 1, (size_t)len, f), (size_t)len);
    s[len] = '\0';
    fclose(f);
    if (n) *n = (size_t)len;
    return s;
}

static void spit(const char *path, const char *s, size_t n)
{
    FILE *f = fopen(path, "wb");
    cr_assert(f);
    cr_assert_eq(fwrite(s, 1, n, f), n);
    fclose(f);
}

/* Replace the first `from` in DIR/leaf by `to`. */
static void patch(const char *base, const char *leaf, const char *from, const char *to)
{
    char *p = path_in(base, leaf);
    char *s = slurp(p, NULL);
    char *at = strstr(s, from);
    cr_assert(at, "'%s' not in %s", from, p);
    size_t n = strlen(s) - strlen(from) + strlen(to);
    char *t = malloc(n + 1);
    memcpy(t, s, (size_t)(at - s));
    strcpy(t + (at - s), to);
    strcat(t, at + strlen(from));
    spit(p, t, n);
    free(s);
    free(t);
}

/* Make the manifest's size and crc32 of leaf match the file again, so a
 * deeper check (cfg validation) is what must refuse it. */
static void resign(const char *leaf)
{
    uint64_t size;
    uint32_t crc;
    msp_err err;
    cr_assert_eq(msp_file_crc32(path_in(bundle, leaf), &crc, &size, &err), MSP_OK);
    char *m = slurp(path_in(bundle, "manifest.conf"), NULL);
    char key[300];
    snprintf(key, sizeof key, "path = \"%s\";", leaf);
    char *at = strstr(m, key);
    cr_assert(at);
    char *end = strchr(at, '}');
    char old[400], neu[400];
    snprintf(old, sizeof old, "%.*s", (int)(end - at), at);
    snprintf(neu, sizeof neu, "%s size = %lluL; crc32 = %luL; ", key, (unsigned long long)size,
             (unsigned long)crc);
    free(m);
    patch(bundle, "manifest.conf", old, neu);
}

static void write_net(const char *cfg_text, const char *leaf)
{
    char cfg[300], w[300];
    snprintf(cfg, sizeof cfg, "%s/family/%s.cfg", out, leaf);
    snprintf(w, sizeof w, "%s/family/%s.weights", out, leaf);
    spit(cfg, cfg_text, strlen(cfg_text));
    msp_net *net = NULL;
    msp_err err = {{0}};
    msp_net_opts o = {.batch = 1};
    cr_assert_eq(msp_net_load(cfg, NULL, &o, &net, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(msp_net_save_weights(net, w, &err), MSP_OK, "%s", err.msg);
    msp_net_free(net);
}

/* Images of 28x28 grey noise whose brightness grows with i. */
static void image(int i, float *x)
{
    msp_rng r;
    msp_rng_seed(&r, 100 + (uint64_t)i);
    float scale = 0.1f + 0.8f * (float)(i % 16) / 15.f;
    for (int k = 0; k < 28 * 28; k++) x[k] = scale * (float)msp_rng_uniform(&r);
}

static void setup(void)
{
    strcpy(dir, "/tmp/msp-bundle.XXXXXX");
    cr_assert(mkdtemp(dir));
    snprintf(out, sizeof out, "%s/exp", dir);
    snprintf(bundle, sizeof bundle, "%s/bundle", dir);
    msp_err err = {{0}};
    cr_assert_eq(msp_mkdirs(path_in(out, "family"), &err), MSP_OK);
    cr_assert_eq(msp_mkdirs(path_in(out, "selector"), &err), MSP_OK);
    msp_engine_seed(7);
    char *base = slurp("tests/data/tiny-fashion.cfg", NULL);
    write_net(base, "base");
    char *spec = strstr(base, "output=10");
    cr_assert(spec);
    spec[7] = '4';
    spec[8] = ' ';
    write_net(base, "s0");
    free(base);

    int out0[10] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, out1[4] = {1, 3, 5, -1};
    msp_family_net nets[2] = {
        {.name = "base", .cfg = "family/base.cfg", .weights = "family/base.weights", .cluster = -1,
         .n_outputs = 10, .outputs = out0, .flops = 1000, .params = 10, .latency_ms = 0.3},
        {.name = "s0", .cfg = "family/s0.cfg", .weights = "family/s0.weights", .cluster = 0,
         .n_outputs = 4, .outputs = out1, .flops = 500, .params = 5, .latency_ms = 0.2}};
    msp_family f = {.experiment = "tiny", .clustering = "confusion", .k = 1, .n_classes = 10,
                    .n_nets = 2, .nets = nets};
    cr_assert_eq(msp_family_write(path_in(out, "family.conf"), &f, &err), MSP_OK, "%s", err.msg);

    /* A logistic premodel: s0 (index 1) for bright images (brightness.mean, column 0). */
    msp_fset set;
    cr_assert_eq(msp_features_parse(FEATS, &set, &err), MSP_OK);
    int d = msp_features_dim(set), n = 64;
    float *x = calloc((size_t)n * d, sizeof(float));
    int *label = calloc((size_t)n, sizeof(int));
    msp_rng r;
    msp_rng_seed(&r, 5);
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < d; j++) x[i * d + j] = (float)msp_rng_uniform(&r);
        x[i * d] = (float)(i % 16) / 15.f * 0.45f;
        label[i] = x[i * d] > 0.22f;
    }
    msp_premodel_params p;
    msp_premodel_params_default(&p);
    msp_premodel_data pd = {.n = n, .d = d, .m = 2, .x = x, .label = label};
    msp_premodel *pm = NULL;
    cr_assert_eq(msp_premodel_train(MSP_PREMODEL_LOGISTIC, &p, &pd, NULL, 0, &pm, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(msp_premodel_save(pm, path_in(out, "selector/premodel-logistic.bin"), &err), MSP_OK);
    msp_premodel_free(pm);
    free(x);
    free(label);

    msp_expconf conf = {0};
    conf.path = "tiny.conf";
    conf.name = "tiny";
    conf.output = out;
    conf.selector.features = FEATS;
    conf.selector.fallback = 1;
    msp_deploy_opts o = {.premodel = "logistic"};
    cr_assert_eq(msp_mkdirs(bundle, &err), MSP_OK);
    cr_assert_eq(msp_deploy(&conf, bundle, &o, &err), MSP_OK, "%s", err.msg);
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(bundle, .init = setup, .fini = teardown, .timeout = 120);

/* The runtime's answer equals the premodel + networks run directly. */
Test(bundle, classify_equals_premodel_and_networks)
{
    msp_err err = {{0}};
    msprune_bundle *b = NULL;
    cr_assert_eq(msp_runtime_open(bundle, &b, &err), MSP_OK, "%s", err.msg);
    int c, h, w;
    msprune_input_shape(b, &c, &h, &w);
    cr_assert(c == 1 && h == 28 && w == 28);
    cr_assert_eq(msprune_classes(b), 10);
    cr_assert_str_eq(msprune_network_name(b, 1), "s0");

    msp_premodel *pm = NULL;
    cr_assert_eq(msp_premodel_load(path_in(out, "selector/premodel-logistic.bin"), &pm, &err), MSP_OK);
    msp_net *net[2];
    msp_net_opts no = {.batch = 1};
    cr_assert_eq(msp_net_load(path_in(out, "family/base.cfg"), path_in(out, "family/base.weights"), &no, &net[0], &err), MSP_OK);
    cr_assert_eq(msp_net_load(path_in(out, "family/s0.cfg"), path_in(out, "family/s0.weights"), &no, &net[1], &err), MSP_OK);
    int map[2][10] = {{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 3, 5, -1}}, n_out[2] = {10, 4};
    msp_fset set;
    msp_features_parse(FEATS, &set, &err);
    size_t sn = msp_features_scratch_size(set, 1, 28, 28);
    void *scratch = malloc(sn);
    float x[784], feat[64], probs[10];
    int picked[2] = {0, 0}, fallbacks = 0;
    for (int i = 0; i < 16; i++) {
        image(i, x);
        msprune_result r;
        char msg[256];
        cr_assert_eq(msprune_classify(b, x, 1, 28, 28, &r, probs, msg, sizeof msg), MSPRUNE_OK, "%s", msg);
        cr_assert_eq(msp_features_compute(set, x, 1, 28, 28, feat, scratch, sn, &err), MSP_OK);
        double conf;
        int chosen = msp_premodel_predict(pm, feat, &conf);
        cr_assert_eq(r.chosen, chosen, "input %d", i);
        cr_assert_float_eq(r.premodel_confidence, conf, 1e-12);
        picked[chosen]++;
        const float *s = msp_net_predict(net[chosen], x);
        int a = msp_argmax(s, n_out[chosen]), used = chosen;
        if (map[chosen][a] < 0) { /* specialist said other: the base answers */
            used = 0;
            s = msp_net_predict(net[0], x);
            a = msp_argmax(s, 10);
            fallbacks++;
        }
        cr_assert_eq(r.network, used, "input %d", i);
        cr_assert_eq(r.fallback, used != chosen);
        cr_assert_eq(r.class_id, map[used][a], "input %d", i);
        float want[10] = {0};
        for (int k = 0; k < n_out[used]; k++)
            if (map[used][k] >= 0) want[map[used][k]] = s[k];
        for (int k = 0; k < 10; k++) cr_assert_eq(probs[k], want[k], "input %d class %d", i, k);
        cr_assert_eq(r.confidence, want[r.class_id]);
        cr_assert(r.total_ms >= r.network_ms && r.network_ms >= 0);
    }
    cr_assert(picked[0] > 0 && picked[1] > 0, "premodel picked base %d, s0 %d times", picked[0], picked[1]);
    (void)fallbacks;
    char msg[256];
    msprune_result r;
    cr_assert_eq(msprune_classify(b, x, 3, 28, 28, &r, NULL, msg, sizeof msg), MSPRUNE_BAD_INPUT);
    cr_assert(strstr(msg, "image is 3x28x28"), "%s", msg);
    free(scratch);
    msp_net_free(net[0]);
    msp_net_free(net[1]);
    msp_premodel_free(pm);
    msprune_close(b);
}

static void refused(const char *part)
{
    msp_err err = {{0}};
    msprune_bundle *b = (msprune_bundle *)1;
    cr_assert_eq(msp_runtime_open(bundle, &b, &err), MSP_BAD_INPUT, "opened; wanted '%s'", part);
    cr_assert_null(b);
    cr_assert(strstr(err.msg, part), "message '%s' lacks '%s'", err.msg, part);
    if (getenv("MSP_SHOW")) fprintf(stderr, "refused: %s\n", err.msg);
    char msg[1024];
    cr_assert_eq(msprune_open(bundle, &b, msg, sizeof msg), MSPRUNE_BAD_INPUT);
    cr_assert_str_eq(msg, err.msg);
}

Test(bundle, path_outside_folder)
{
    patch(bundle, "manifest.conf", "cfg = \"nets/s0.cfg\"", "cfg = \"../x\"");
    refused("manifest.conf:10: 'cfg' is \"../x\": '.' and '..' are not allowed");
}

Test(bundle, absolute_path)
{
    patch(bundle, "manifest.conf", "path = \"nets/s0.cfg\"", "path = \"/etc/passwd\"");
    refused("'path' is \"/etc/passwd\": absolute paths are not allowed in a bundle");
}

Test(bundle, symlinked_folder)
{
    char nets[256], moved[256];
    snprintf(nets, sizeof nets, "%s/nets", bundle);
    snprintf(moved, sizeof moved, "%s/elsewhere", dir);
    cr_assert_eq(rename(nets, moved), 0);
    cr_assert_eq(symlink(moved, nets), 0);
    refused("is not a folder inside the bundle");
}

Test(bundle, wrong_checksum)
{
    size_t n;
    char *w = slurp(path_in(bundle, "nets/s0.weights"), &n);
    w[n / 2] ^= 0x10;
    spit(path_in(bundle, "nets/s0.weights"), w, n);
    free(w);
    refused("nets/s0.weights: checksum mismatch");
}

Test(bundle, truncated_weights)
{
    cr_assert_eq(truncate(path_in(bundle, "nets/base.weights"), 1000), 0);
    refused("nets/base.weights: truncated: 1000 bytes, but the manifest says");
}

/* Truncated AND re-signed: the weights checker refuses it, not Darknet. */
Test(bundle, truncated_weights_resigned)
{
    cr_assert_eq(truncate(path_in(bundle, "nets/s0.weights"), 1000), 0);
    resign("nets/s0.weights");
    refused("s0.weights");
}

Test(bundle, oversized_cfg_width)
{
    patch(bundle, "nets/s0.cfg", "width=28", "width=100000");
    resign("nets/s0.cfg");
    refused("nets/s0.cfg:5: width=100000 is out of range");
}

Test(bundle, oversized_cfg_filters)
{
    patch(bundle, "nets/base.cfg", "filters=16", "filters=1000000");
    resign("nets/base.cfg");
    refused("nets/base.cfg:29: filters=1000000 is out of range");
}

Test(bundle, oversized_manifest_input)
{
    patch(bundle, "manifest.conf", "width = 28;", "width = 100000;");
    refused("manifest.conf:4: 'width' is 100000; it must be between 1 and 4096");
}

Test(bundle, huge_counts_in_manifest)
{
    /* 300 outputs for a 10-class bundle. */
    char *big = malloc(300 * 4 + 64);
    strcpy(big, "outputs = [0");
    for (int i = 1; i < 300; i++) strcat(big, ", 1");
    strcat(big, "]");
    patch(bundle, "manifest.conf", "outputs = [1, 3, 5, -1]", big);
    refused("'outputs' has 300 entries; 1 to 11 are allowed");
    free(big);
}

Test(bundle, huge_file_count)
{
    char *big = malloc(2000 * 64 + 64);
    strcpy(big, "files = (");
    for (int i = 0; i < 2000; i++) {
        char e[48];
        snprintf(e, sizeof e, "%s{ path = \"f%d\"; size = 1L; crc32 = 1L; }", i ? "," : "", i);
        strcat(big, e);
    }
    strcat(big, ",");
    patch(bundle, "manifest.conf", "files = (", big);
    refused("'files' has 2005 entries; 1 to 1024 are allowed");
    free(big);
}

Test(bundle, huge_file_size)
{
    char *m = slurp(path_in(bundle, "manifest.conf"), NULL);
    char *at = strstr(strstr(m, "path = \"premodel.bin\""), "size = ");
    cr_assert(at);
    char old[64];
    snprintf(old, sizeof old, "%.*s", (int)(strchr(at, ';') - at), at);
    free(m);
    patch(bundle, "manifest.conf", old, "size = 99999999999999L");
    refused("'size' is 99999999999999; it must be between 0 and 4294967296");
}

Test(bundle, missing_file)
{
    cr_assert_eq(unlink(path_in(bundle, "nets/s0.weights")), 0);
    refused("nets/s0.weights: missing from the bundle");
}

Test(bundle, unknown_key)
{
    patch(bundle, "manifest.conf", "version = 1;", "version = 1;\ncolour = 3;");
    refused("manifest.conf:3: unknown key 'colour' in the manifest");
}

Test(bundle, unlisted_file)
{
    patch(bundle, "manifest.conf", "path = \"nets/s0.cfg\"", "path = \"README\"");
    resign("README");
    refused("'nets/s0.cfg' has no entry (size and crc32) in 'files'");
}

Test(bundle, bad_class_map)
{
    patch(bundle, "manifest.conf", "outputs = [1, 3, 5, -1]", "outputs = [1, 3, 12, -1]");
    refused("output 2 of 's0' is class 12; classes are 0 to 9 (-1 = other)");
}

/* One threshold per network: written as an array, read back the same; a
 * shared one stays a single number. */
Test(bundle, min_prob_per_network)
{
    msp_bundle_manifest m;
    msp_err err = {{0}};
    cr_assert_eq(msp_bundle_manifest_load(bundle, &m, &err), MSP_OK, "%s", err.msg);
    cr_assert(m.safety.min_prob[0] == 0 && m.safety.min_prob[1] == 0);
    m.safety.min_prob[1] = 0.85;
    cr_assert_eq(msp_bundle_manifest_write(bundle, &m, &err), MSP_OK, "%s", err.msg);
    msp_bundle_manifest_free(&m);
    char *text = slurp(path_in(bundle, "manifest.conf"), NULL);
    cr_assert(strstr(text, "min_prob = [0.0000000000e+00, 8.5000000000e-01];"), "%s", text);
    free(text);
    cr_assert_eq(msp_bundle_manifest_load(bundle, &m, &err), MSP_OK, "%s", err.msg);
    cr_assert(m.safety.min_prob[0] == 0 && m.safety.min_prob[1] == 0.85);
    msp_bundle_manifest_free(&m);
    msprune_bundle *b = NULL;
    cr_assert_eq(msp_runtime_open(bundle, &b, &err), MSP_OK, "%s", err.msg);
    msprune_close(b);
}

Test(bundle, min_prob_count)
{
    patch(bundle, "manifest.conf", "min_prob = 0.0000000000e+00;", "min_prob = [0.5];");
    refused("'min_prob' has 1 entries; one per network (2) is needed");
}

Test(bundle, min_prob_range)
{
    patch(bundle, "manifest.conf", "min_prob = 0.0000000000e+00;", "min_prob = [0.5, 1.5];");
    refused("'min_prob' entries must be between 0 and 1");
}

Test(bundle, premodel_for_other_networks)
{
    /* A premodel for another feature set (one column), re-signed. */
    msp_premodel *pm = NULL;
    msp_err err = {{0}};
    float x[8] = {0, 1, 0, 1, 0, 1, 0, 1};
    int label[8] = {0, 1, 0, 1, 0, 1, 0, 1};
    msp_premodel_params p;
    msp_premodel_params_default(&p);
    msp_premodel_data pd = {.n = 8, .d = 1, .m = 2, .x = x, .label = label};
    cr_assert_eq(msp_premodel_train(MSP_PREMODEL_LOGISTIC, &p, &pd, NULL, 0, &pm, &err), MSP_OK);
    cr_assert_eq(msp_premodel_save(pm, path_in(bundle, "premodel.bin"), &err), MSP_OK);
    msp_premodel_free(pm);
    resign("premodel.bin");
    refused("premodel.bin: a logistic premodel for 1 features and 2 networks, but the manifest says logistic, 12 features");
}

Test(bundle, profile_round_trip)
{
    msp_devprofile p;
    msp_err err = {{0}};
    cr_assert_eq(msp_devprofile_measure(bundle, 5, 1, &p, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(p.n, 2);
    cr_assert_str_eq(p.names[1], "s0");
    cr_assert(p.latency_ms[0] > 0 && p.latency_ms[1] > 0);
    char *path = path_in(dir, "prof.conf");
    cr_assert_eq(msp_devprofile_write(path, &p, &err), MSP_OK);
    msp_devprofile q;
    cr_assert_eq(msp_devprofile_load(path, &q, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(q.n, 2);
    cr_assert_str_eq(q.experiment, "tiny");
    for (int j = 0; j < 2; j++) {
        cr_assert_str_eq(q.names[j], p.names[j]);
        cr_assert_float_eq(q.latency_ms[j], p.latency_ms[j], 1e-9 * p.latency_ms[j]);
    }
    msp_devprofile_free(&q);
    msp_devprofile_free(&p);
    const char *bad = "version = 1; experiment = \"x\"; machine = \"m\"; networks = ({ name = \"a\"; latency_ms = -1.0; });\n";
    spit(path, bad, strlen(bad));
    cr_assert_eq(msp_devprofile_load(path, &q, &err), MSP_BAD_INPUT);
    cr_assert(strstr(err.msg, "latency_ms in [0, 1e9]"), "%s", err.msg);
}

/* ---- the manifest's meaning: class maps, exact types, printable names ---- */

#define BASE_MAP "outputs = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]"

/* The base answers "other" where class 5 was: class 5 could never be answered. */
Test(bundle, base_with_other_output)
{
    patch(bundle, "manifest.conf", BASE_MAP, "outputs = [0, 1, 2, 3, 4, -1, 6, 7, 8, 9]");
    refused("manifest.conf:8: networks[0] 'base' is the base network: output 5 must be class 5, not -1");
}

/* Two classes swapped in the base's map: every answer of the two mislabelled. */
Test(bundle, base_map_out_of_order)
{
    patch(bundle, "manifest.conf", BASE_MAP, "outputs = [0, 1, 2, 3, 4, 6, 5, 7, 8, 9]");
    refused("output 5 must be class 5, not 6");
}

Test(bundle, class_names_outnumber_base_outputs)
{
    patch(bundle, "manifest.conf", "classes = [\"0\",", "classes = [\"extra\", \"0\",");
    refused("manifest.conf:8: networks[0] 'base' is the base network: it has 10 outputs for 11 classes");
}

Test(bundle, class_left_to_no_network)
{
    patch(bundle, "manifest.conf", BASE_MAP, "outputs = [0, 1, 2, 3, 4, 6, 7, 8, 9]");
    refused("'base' is the base network: it has 9 outputs for 10 classes");
}

Test(bundle, network_with_only_other)
{
    patch(bundle, "manifest.conf", "outputs = [1, 3, 5, -1]", "outputs = [-1]");
    refused("'s0' maps no output to a class");
}

Test(bundle, fallback_that_cannot_answer_every_class)
{
    patch(bundle, "manifest.conf", "fallback = 0;", "fallback = 1;");
    refused("safety.fallback is network 1 ('s0'), which does not answer every class");
}

/* Strings where numbers belong were read as zeros. */
Test(bundle, min_prob_of_strings)
{
    patch(bundle, "manifest.conf", "min_prob = 0.0000000000e+00;", "min_prob = [\"a\", \"b\"];");
    refused("'min_prob' entry 0 has the wrong type: a float is needed, not a string");
}

Test(bundle, min_prob_of_integers)
{
    patch(bundle, "manifest.conf", "min_prob = 0.0000000000e+00;", "min_prob = [0, 1];");
    refused("'min_prob' entry 0 has the wrong type: a float is needed, not an integer");
}

static void refused_patch(const char *from, const char *to, const char *part)
{
    patch(bundle, "manifest.conf", from, to);
    refused(part);
}

Test(bundle, float_where_an_integer_belongs)
{
    refused_patch("width = 28;", "width = 28.0;", "'width' has the wrong type: an integer is needed, not a float");
}

Test(bundle, integer_where_a_float_belongs)
{
    char *m = slurp(path_in(bundle, "manifest.conf"), NULL);
    char *at = strstr(m, "latency_ms = "), old[64];
    cr_assert(at);
    snprintf(old, sizeof old, "%.*s", (int)(strchr(at, ';') - at), at);
    free(m);
    refused_patch(old, "latency_ms = 3", "'latency_ms' has the wrong type: a float is needed, not an integer");
}

Test(bundle, integer_for_a_boolean)
{
    refused_patch("on_other = true;", "on_other = 1;", "'on_other' has the wrong type: a boolean is needed, not an integer");
}

Test(bundle, class_name_of_wrong_type)
{
    refused_patch("classes = [\"0\", \"1\", \"2\", \"3\", \"4\", \"5\", \"6\", \"7\", \"8\", \"9\"]",
                  "classes = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]",
                  "manifest.conf:5: 'classes' entry 0 has the wrong type: a string is needed, not an integer");
}

/* Names reach the terminal: no control characters, valid UTF-8. */
Test(bundle, class_name_with_newline)
{
    refused_patch("\"1\", \"2\"", "\"Trou\\nser\", \"2\"",
                  "manifest.conf:5: class 1 has a control character or invalid UTF-8 at byte 5");
}

Test(bundle, class_name_with_escape)
{
    refused_patch("\"1\", \"2\"", "\"\\x1b[2J\", \"2\"", "class 1 has a control character or invalid UTF-8 at byte 1");
}

Test(bundle, class_name_not_utf8)
{
    refused_patch("\"1\", \"2\"", "\"caf\\xe9\", \"2\"", "class 1 has a control character or invalid UTF-8 at byte 4");
}

Test(bundle, class_name_empty)
{
    refused_patch("\"1\", \"2\"", "\"\", \"2\"", "class 1 is empty");
}

Test(bundle, class_name_twice)
{
    refused_patch("\"1\", \"2\"", "\"2\", \"2\"", "classes 1 and 2 are both named \"2\"");
}

Test(bundle, network_name_with_escape)
{
    refused_patch("name = \"s0\"", "name = \"s\\x1b[0\"",
                  "'name' is \"s?[0\": a name uses only letters, digits, '.', '_' and '-'");
}

Test(bundle, experiment_name_with_newline)
{
    refused_patch("experiment = \"tiny\"", "experiment = \"ti\\nny\"",
                  "manifest.conf:3: 'experiment' is \"ti?ny\": a name uses only letters, digits");
}

/* A refused path is quoted without its control characters. */
Test(bundle, path_with_escape_is_quoted_safely)
{
    refused_patch("cfg = \"nets/s0.cfg\"", "cfg = \"nets/s\\x1b[2J.cfg\"",
                  "manifest.conf:10: 'cfg' is \"nets/s?[2J.cfg\": only letters, digits");
}

/* The feature list is quoted by the parser's messages. */
Test(bundle, features_with_escape)
{
    refused_patch("features = \"", "features = \"\\x1b[2J",
                  "premodel features \"?[2Jbrightness,contrast,histogram\": group names are plain ASCII words");
}
