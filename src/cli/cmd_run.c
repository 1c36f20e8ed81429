/* cmd_run.c: `msprune run BUNDLE INPUT...`: classify images, an IDX file or an
 * image list with a bundle, as the device does.
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

#include "base/base.h"
#include "cli.h"
#include "data/data.h"
#include "train/train.h"
#include "runtime/run_list.h"
#include "runtime/runtime_int.h"

static const char *const usage_run =
    "usage: msprune run BUNDLE IMAGE... [-q|-v]\n"
    "       msprune run BUNDLE --idx IMAGES.idx[.gz] [--limit N] [--csv OUT.csv]\n"
    "                   [-q|-v]\n"
    "       msprune run BUNDLE --list LIST.txt [--limit N] [--csv OUT.csv] [-q|-v]\n"
    "\n"
    "Classify inputs with a bundle: premodel, chosen network, safety net. Prints\n"
    "class, network used and time per input (not with -q), then a summary: how\n"
    "often the premodel chose each network and each network answered, and the\n"
    "time per input. Images (PNG, JPEG, BMP, binary PGM/PPM) are checked and\n"
    "decoded by msprune, resized to the bundle's input; a damaged one is bad\n"
    "input (exit 2).\n"
    "\n"
    "With --list, every image of a Darknet image list (one path per line,\n"
    "relative to the working folder) is checked before anything is printed. When\n"
    "every path names one of the bundle's classes (the image lists' rule), the\n"
    "summary adds the top-1 accuracy, overall and per class; otherwise it says\n"
    "which line has no class and why.\n"
    "\n"
    "options:\n"
    "  --idx FILE     an IDX image file (raw or gzip) instead of image files\n"
    "  --list FILE    a Darknet image list instead of image files\n"
    "  --limit N      only the first N inputs\n"
    "  --csv OUT      per input: index,class,network,p0..p<K-1> (probabilities\n"
    "                 %.9g)\n"
    "  -q, --quiet    warnings and errors only, no per-input lines\n"
    "  -v, --verbose  debug messages and Darknet's own output (layer tables)\n"
    "  -h, --help     this help\n"
    MSP_CLI_EXIT_STATUS;

typedef struct run_stats {
    int n, fallbacks;
    int *used;       /* per network: answered */
    int *chosen;     /* per network: picked by the premodel */
    double *total;   /* per input, ms */
    double feat, pm, net;
} run_stats;

static msp_status run_one(msprune_bundle *b, const float *x, int idx, const char *label, int quiet,
                          FILE *csv, float *probs, run_stats *rs, int *class_id, msp_err *err)
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
    rs->chosen[r.chosen]++;
    rs->fallbacks += r.fallback;
    rs->total[rs->n++] = r.total_ms;
    rs->feat += r.features_ms;
    rs->pm += r.premodel_ms;
    rs->net += r.network_ms + r.fallback_ms;
    *class_id = r.class_id;
    return MSP_OK;
}

/* Where run's inputs come from: image files, an IDX file or an image list. */
typedef struct run_inputs {
    const char *idx, *list;
    char **files;
    int n_files, n;
    msp_dataset d;   /* --idx */
    msp_run_list l;  /* --list */
} run_inputs;

static msp_status inputs_open(run_inputs *in, const msprune_bundle *b, const char *dir, int limit,
                              msp_err *err)
{
    int ch, h, w;
    msprune_input_shape(b, &ch, &h, &w);
    msp_status st = MSP_OK;
    if (in->idx) {
        st = msp_idx_load(in->idx, NULL, 0, limit, &in->d, err);
        if (st == MSP_OK && (in->d.w != w || in->d.h != h || in->d.c != ch))
            st = msp_err_set(err, MSP_BAD_INPUT, in->idx, 0, "images are %dx%dx%d, but the bundle takes %dx%dx%d",
                             in->d.c, in->d.h, in->d.w, ch, h, w);
        in->n = in->d.n;
    } else if (in->list) {
        char *names = msp_strcat3(dir, "/", "manifest.conf");
        st = msp_run_list_read(in->list, limit, b, names, &in->l, err);
        free(names);
        if (st == MSP_OK) st = msp_run_list_check(&in->l, in->list, b, err);
        in->n = in->l.n;
    } else {
        in->n = limit > 0 && limit < in->n_files ? limit : in->n_files;
    }
    return st;
}

/* Input i into x; *name is how the per-input line names it. */
static msp_status inputs_get(run_inputs *in, const msprune_bundle *b, int i, float *x,
                             const char **name, char *buf, size_t n, msp_err *err)
{
    int ch, h, w;
    msprune_input_shape(b, &ch, &h, &w);
    size_t sz = (size_t)ch * h * w;
    if (in->idx) {
        snprintf(buf, n, "%d", i);
        *name = buf;
        memcpy(x, in->d.x + (size_t)i * sz, sizeof(float) * sz);
        return MSP_OK;
    }
    if (in->list) {
        *name = in->l.paths[i];
        return msp_run_list_image(&in->l, in->list, i, b, x, err);
    }
    *name = in->files[i];
    return msp_image_load(in->files[i], w, h, ch, x, err);
}

static void inputs_free(run_inputs *in)
{
    msp_dataset_free(&in->d);
    msp_run_list_free(&in->l);
}

static void print_summary(const msprune_bundle *b, const run_stats *rs)
{
    double mean = 0;
    for (int i = 0; i < rs->n; i++) mean += rs->total[i];
    mean /= rs->n;
    printf("%d inputs: median %.3f ms per input, mean %.3f ms (features %.4f ms, premodel %.4f ms, "
           "networks %.3f ms); %d fallbacks\n",
           rs->n, msp_median(rs->total, rs->n), mean, rs->feat / rs->n, rs->pm / rs->n,
           rs->net / rs->n, rs->fallbacks);
    for (int j = 0; j < msprune_networks(b); j++)
        printf("  %-16s chosen %d, answered %d\n", msprune_network_name(b, j), rs->chosen[j],
               rs->used[j]);
}

static void print_accuracy(const msprune_bundle *b, const msp_run_tally *t)
{
    printf("top-1 accuracy %.2f%% (%lld of %lld images)\n", 100.0 * (double)t->correct / (double)t->images,
           (long long)t->correct, (long long)t->images);
    printf("  %-16s %8s %8s %9s\n", "class", "images", "correct", "accuracy");
    int absent = 0;
    for (int k = 0; k < t->n_classes; k++) {
        if (!t->class_images[k]) {
            absent++;
            continue;
        }
        printf("  %-16s %8lld %8lld %8.2f%%\n", msprune_class_name(b, k), (long long)t->class_images[k],
               (long long)t->class_correct[k], 100.0 * (double)t->class_correct[k] / (double)t->class_images[k]);
    }
    if (absent) printf("  (%d of the bundle's %d classes have no image in the list)\n", absent, t->n_classes);
}

int msp_cmd_run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"idx", required_argument, 0, 'i'}, {"list", required_argument, 0, 'L'},
        {"limit", required_argument, 0, 'l'}, {"csv", required_argument, 0, 'c'}, MSP_CLI_COMMON};
    msp_cli cli = {.cmd = "run", .usage = usage_run};
    run_inputs in = {0};
    const char *csv_path = NULL;
    int limit = 0, c;
    while ((c = msp_cli_getopt(&cli, argc, argv, "i:L:l:c:qvh", longopts)) != -1) {
        switch (c) {
        case 'i': in.idx = optarg; break;
        case 'L': in.list = optarg; break;
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
    in.files = argv + optind;
    in.n_files = argc - optind;
    int sources = (in.idx != NULL) + (in.list != NULL) + (in.n_files > 0);
    if (sources == 0) return msp_cli_usage_error("run", "give IMAGE files, --idx FILE or --list FILE");
    if (sources > 1) return msp_cli_usage_error("run", "give one of IMAGE files, --idx FILE or --list FILE");
    msp_err err = {{0}};
    msprune_bundle *b = NULL;
    msp_atomic a = {0};
    run_stats rs = {0};
    msp_run_tally tally = {0};
    float *x = NULL, *probs = NULL;
    int ch, h, w;
    msp_status st = csv_path ? msp_atomic_check_target(csv_path, &err) : MSP_OK;
    if (st == MSP_OK) st = msp_runtime_open(dir, &b, &err);
    if (st != MSP_OK) return msp_cli_finish(st, &err);
    msprune_input_shape(b, &ch, &h, &w);
    st = inputs_open(&in, b, dir, limit, &err);
    if (st == MSP_OK && csv_path && (st = msp_atomic_open(&a, csv_path, &err)) == MSP_OK) {
        fprintf(a.f, "index,class,network");
        for (int k = 0; k < msprune_classes(b); k++) fprintf(a.f, ",p%d", k);
        fprintf(a.f, "\n");
    }
    const int *labels = in.list ? in.l.labels : NULL;
    msp_run_tally_init(&tally, msprune_classes(b));
    x = msp_malloc(sizeof(float) * (size_t)ch * h * w);
    probs = msp_calloc((size_t)msprune_classes(b), sizeof(float));
    rs.used = msp_calloc((size_t)msprune_networks(b), sizeof(int));
    rs.chosen = msp_calloc((size_t)msprune_networks(b), sizeof(int));
    rs.total = msp_calloc((size_t)in.n + 1, sizeof(double));
    for (int i = 0; i < in.n && st == MSP_OK; i++) {
        char buf[32];
        const char *name = NULL;
        int answer = -1;
        st = inputs_get(&in, b, i, x, &name, buf, sizeof buf, &err);
        if (st == MSP_OK) st = run_one(b, x, i, name, quiet, a.f, probs, &rs, &answer, &err);
        if (st == MSP_OK && labels) msp_run_tally_add(&tally, labels[i], answer);
    }
    if (a.f) {
        if (st == MSP_OK) st = msp_atomic_commit(&a, &err);
        else msp_atomic_abort(&a);
    }
    if (st == MSP_OK && rs.n > 0) {
        print_summary(b, &rs);
        if (labels) print_accuracy(b, &tally);
        else if (in.list) printf("no accuracy: %s\n", in.l.why);
        if (csv_path) printf("wrote %s\n", csv_path);
    }
    free(rs.used);
    free(rs.chosen);
    free(rs.total);
    free(x);
    free(probs);
    msp_run_tally_free(&tally);
    inputs_free(&in);
    msprune_close(b);
    return msp_cli_finish(st, &err);
}
