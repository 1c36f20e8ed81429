/* command.c: `msprune deploy CONFIG --out DIR`, `msprune run BUNDLE INPUT...`
 * and `msprune profile BUNDLE`.
 *
 * run --csv OUT.csv format (kept stable: scripts/tx2-check reads it): a
 * header line "index,class,network,p0,p1,...,p<K-1>", then one line per
 * input: its 0-based index, the class id answered (-1 = "other"), the name
 * of the network whose answer was used (after the safety net), and the K
 * class probabilities printed with %.9g. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "atomicio.h"
#include "cli.h"
#include "dataset.h"
#include "expconf.h"
#include "log.h"
#include "metrics.h"
#include "runtime/runtime_int.h"

static const char *const usage_deploy =
    "usage: msprune deploy CONFIG --out DIR [--premodel KIND] [-q|-v]\n"
    "\n"
    "A self-contained bundle for the device: the family's cfgs and weights, the\n"
    "premodel (default: the best one of `msprune evaluate CONFIG --selector`),\n"
    "its feature groups, the safety-net settings, a manifest with every file's\n"
    "size and CRC-32, and a README. The bundle is built in a folder beside DIR,\n"
    "verified by loading it, and swapped in whole: a bundle already at DIR is\n"
    "replaced only by a complete new one. DIR must be new, empty or a bundle.\n"
    "\n"
    "options:\n"
    "  --out DIR        the bundle folder (required)\n"
    "  --premodel KIND  ship this premodel instead of the best one\n"
    "  -q, --quiet      warnings and errors only, no progress\n"
    "  -v, --verbose    debug messages and Darknet's own output (layer tables)\n"
    "  -h, --help       this help\n"
    "\n"
    "exit status: 0 success, 1 the work failed, 2 bad usage or bad input.\n";

int msp_cmd_deploy(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"out", required_argument, 0, 'o'}, {"premodel", required_argument, 0, 'p'},
        MSP_CLI_COMMON};
    msp_cli cli = {.cmd = "deploy", .usage = usage_deploy};
    const char *out = NULL;
    msp_deploy_opts o = {0};
    int c;
    while ((c = msp_cli_getopt(&cli, argc, argv, "o:p:qvh", longopts)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'p': o.premodel = optarg; break;
        default: return cli.status;
        }
    }
    if (optind + 1 != argc || !out) return msp_cli_usage_error("deploy", "give one CONFIG and --out DIR");
    msp_err err = {{0}};
    msp_expconf conf;
    msp_status st = msp_expconf_load(argv[optind], &conf, &err);
    if (st != MSP_OK) return msp_cli_finish(st, &err);
    st = msp_deploy(&conf, out, &o, &err); /* makes DIR only once every check passed */
    msp_expconf_free(&conf);
    msprune_bundle *b = NULL;
    if (st == MSP_OK) st = msp_runtime_open(out, &b, &err);
    if (st == MSP_OK) {
        const msp_bundle_manifest *m = msp_runtime_manifest(b);
        printf("bundle %s: %d networks, premodel %s, %d classes, input %dx%dx%d, %d files verified\n", out,
               m->n_nets, m->premodel_kind, m->n_classes, m->channels, m->height, m->width, m->n_files);
    }
    msprune_close(b);
    return msp_cli_finish(st, &err);
}

static const char *const usage_run =
    "usage: msprune run BUNDLE IMAGE... [-q|-v]\n"
    "       msprune run BUNDLE --idx IMAGES.idx[.gz] [--limit N] [--csv OUT.csv]\n"
    "                   [-q|-v]\n"
    "\n"
    "Classify inputs with a bundle: premodel, chosen network, safety net. Prints\n"
    "class, network used and time per input (not with -q), then a summary.\n"
    "Images (PNG, JPEG, BMP, binary PGM/PPM) are checked and decoded by msprune,\n"
    "resized to the bundle's input; a damaged one is bad input (exit 2).\n"
    "\n"
    "options:\n"
    "  --idx FILE     an IDX image file (raw or gzip) instead of image files\n"
    "  --limit N      only the first N inputs\n"
    "  --csv OUT      per input: index,class,network,p0..p<K-1> (probabilities\n"
    "                 %.9g)\n"
    "  -q, --quiet    warnings and errors only, no per-input lines\n"
    "  -v, --verbose  debug messages and Darknet's own output (layer tables)\n"
    "  -h, --help     this help\n"
    "\n"
    "exit status: 0 success, 1 the work failed, 2 bad usage or bad input.\n";

typedef struct run_stats {
    int n, fallbacks;
    int *used;       /* per network */
    double *total;   /* per input, ms */
    double feat, pm, net;
} run_stats;

static msp_status run_one(msprune_bundle *b, const float *x, int idx, const char *label, int quiet,
                          FILE *csv, float *probs, run_stats *rs, msp_err *err)
{
    int c, h, w;
    msprune_input_shape(b, &c, &h, &w);
    msprune_result r;
    int rc = msprune_classify(b, x, c, h, w, &r, probs, err->msg, sizeof err->msg);
    if (rc != MSPRUNE_OK) return (msp_status)rc;
    const char *cls = r.class_id >= 0 ? msprune_class_name(b, r.class_id) : "other";
    if (!quiet)
        printf("%s\t%s (%d)\t%s%s\t%.3f ms\n", label, cls, r.class_id, msprune_network_name(b, r.network),
               r.fallback ? " (fallback)" : "", r.total_ms);
    if (csv) {
        fprintf(csv, "%d,%d,%s", idx, r.class_id, msprune_network_name(b, r.network));
        for (int k = 0; k < msprune_classes(b); k++) fprintf(csv, ",%.9g", probs[k]);
        fprintf(csv, "\n");
    }
    rs->used[r.network]++;
    rs->fallbacks += r.fallback;
    rs->total[rs->n++] = r.total_ms;
    rs->feat += r.features_ms;
    rs->pm += r.premodel_ms;
    rs->net += r.network_ms + r.fallback_ms;
    return MSP_OK;
}

int msp_cmd_run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"idx", required_argument, 0, 'i'}, {"limit", required_argument, 0, 'l'},
        {"csv", required_argument, 0, 'c'}, MSP_CLI_COMMON};
    msp_cli cli = {.cmd = "run", .usage = usage_run};
    const char *idx = NULL, *csv_path = NULL;
    int limit = 0, c;
    while ((c = msp_cli_getopt(&cli, argc, argv, "i:l:c:qvh", longopts)) != -1) {
        switch (c) {
        case 'i': idx = optarg; break;
        case 'l':
            if (!msp_cli_parse_int(optarg, 1, MSP_DATASET_MAX_EXAMPLES, &limit))
                return msp_cli_usage_error("run", "--limit wants an integer in [1, %d]", MSP_DATASET_MAX_EXAMPLES);
            break;
        case 'c': csv_path = optarg; break;
        default: return cli.status;
        }
    }
    int quiet = cli.quiet;
    if (optind >= argc) return msp_cli_usage_error("run", "give a BUNDLE folder and inputs");
    const char *dir = argv[optind++];
    int n_files = argc - optind;
    if (!idx && n_files == 0) return msp_cli_usage_error("run", "give IMAGE files or --idx FILE");
    if (idx && n_files) return msp_cli_usage_error("run", "give IMAGE files or --idx FILE, not both");
    msp_err err = {{0}};
    msprune_bundle *b = NULL;
    msp_dataset d = {0};
    msp_atomic a = {0};
    run_stats rs = {0};
    float *x = NULL, *probs = NULL;
    int ch, h, w;
    msp_status st = csv_path ? msp_atomic_check_target(csv_path, &err) : MSP_OK;
    if (st == MSP_OK) st = msp_runtime_open(dir, &b, &err);
    if (st != MSP_OK) return msp_cli_finish(st, &err);
    msprune_input_shape(b, &ch, &h, &w);
    if (idx) {
        st = msp_idx_load(idx, NULL, 0, limit, &d, &err);
        if (st == MSP_OK && (d.w != w || d.h != h || d.c != ch))
            st = msp_err_set(&err, MSP_BAD_INPUT, idx, 0, "images are %dx%dx%d, but the bundle takes %dx%dx%d",
                             d.c, d.h, d.w, ch, h, w);
    }
    int n = idx ? d.n : (limit > 0 && limit < n_files ? limit : n_files);
    if (st == MSP_OK && csv_path && (st = msp_atomic_open(&a, csv_path, &err)) == MSP_OK) {
        fprintf(a.f, "index,class,network");
        for (int k = 0; k < msprune_classes(b); k++) fprintf(a.f, ",p%d", k);
        fprintf(a.f, "\n");
    }
    size_t sz = (size_t)ch * h * w;
    x = msp_malloc(sizeof(float) * sz);
    probs = msp_calloc((size_t)msprune_classes(b), sizeof(float));
    rs.used = msp_calloc((size_t)msprune_networks(b), sizeof(int));
    rs.total = msp_calloc((size_t)n + 1, sizeof(double));
    for (int i = 0; i < n && st == MSP_OK; i++) {
        char label[32];
        const char *name = label;
        if (idx) {
            snprintf(label, sizeof label, "%d", i);
            memcpy(x, d.x + (size_t)i * sz, sizeof(float) * sz);
        } else {
            name = argv[optind + i];
            st = msp_image_load(name, w, h, ch, x, &err);
        }
        if (st == MSP_OK) st = run_one(b, x, i, name, quiet, a.f, probs, &rs, &err);
    }
    if (a.f) {
        if (st == MSP_OK) st = msp_atomic_commit(&a, &err);
        else msp_atomic_abort(&a);
    }
    if (st == MSP_OK && rs.n > 0) {
        printf("%d inputs: median %.3f ms per input (mean: features %.4f ms, premodel %.4f ms, "
               "networks %.3f ms); %d fallbacks\n",
               rs.n, msp_median(rs.total, rs.n), rs.feat / rs.n, rs.pm / rs.n, rs.net / rs.n, rs.fallbacks);
        for (int j = 0; j < msprune_networks(b); j++)
            printf("  %-16s answered %d\n", msprune_network_name(b, j), rs.used[j]);
        if (csv_path) printf("wrote %s\n", csv_path);
    }
    free(rs.used);
    free(rs.total);
    free(x);
    free(probs);
    msp_dataset_free(&d);
    msprune_close(b);
    return msp_cli_finish(st, &err);
}

static const char *const usage_profile_bundle =
    "usage: msprune profile BUNDLE [--out PROFILE.conf] [--runs N] [--warmup N]\n"
    "                              [-q|-v]\n"
    "\n"
    "Batch-1 latency of every network of the bundle on this machine (side by\n"
    "side, median of rounds), written as a device profile for `msprune premodel\n"
    "CONFIG --latencies PROFILE`.\n"
    "\n"
    "options:\n"
    "  --out FILE     the device profile (default device-profile.conf)\n"
    "  --runs N       timed rounds (default 50)\n"
    "  --warmup N     untimed rounds first (default 5)\n"
    "  -q, --quiet    warnings and errors only\n"
    "  -v, --verbose  also debug messages\n"
    "  -h, --help     this help\n"
    "\n"
    "exit status: 0 success, 1 the work failed, 2 bad usage or bad input.\n";

int msp_cmd_profile_bundle(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"out", required_argument, 0, 'o'}, {"runs", required_argument, 0, 'r'},
        {"warmup", required_argument, 0, 'W'}, MSP_CLI_COMMON};
    msp_cli cli = {.cmd = "profile", .usage = usage_profile_bundle};
    const char *out = "device-profile.conf";
    int runs = 50, warmup = 5, c;
    optind = 1;
    while ((c = msp_cli_getopt(&cli, argc, argv, "o:r:W:qvh", longopts)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'r':
            if (!msp_cli_parse_int(optarg, 1, 1000000, &runs))
                return msp_cli_usage_error("profile", "--runs wants an integer in [1, 1000000]");
            break;
        case 'W':
            if (!msp_cli_parse_int(optarg, 0, 1000000, &warmup))
                return msp_cli_usage_error("profile", "--warmup wants an integer in [0, 1000000]");
            break;
        default: return cli.status;
        }
    }
    if (optind + 1 != argc) return msp_cli_usage_error("profile", "give one BUNDLE folder");
    msp_err err = {{0}};
    msp_devprofile p;
    msp_status st = msp_atomic_check_target(out, &err);
    if (st != MSP_OK) return msp_cli_finish(st, &err);
    st = msp_devprofile_measure(argv[optind], runs, warmup, &p, &err);
    if (st == MSP_OK) st = msp_devprofile_write(out, &p, &err);
    if (st == MSP_OK) {
        printf("device profile of %s on %s\n", p.experiment, p.machine);
        for (int j = 0; j < p.n; j++) printf("  %-16s %9.4f ms\n", p.names[j], p.latency_ms[j]);
        printf("wrote %s\n", out);
        msp_devprofile_free(&p);
    }
    return msp_cli_finish(st, &err);
}

/* Is path a bundle folder (holds manifest.conf)? For cli_profile.c. */
int msp_is_bundle_dir(const char *path)
{
    struct stat sb;
    if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode)) return 0;
    char *m = msp_strcat3(path, "/", "manifest.conf");
    int ok = msp_file_readable(m);
    free(m);
    return ok;
}
