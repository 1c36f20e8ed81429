/* cmd_profile.c: `msprune profile --cfg X.cfg`: the latency and FLOPs of one
 * network; `msprune profile BUNDLE`: a device profile of a bundle's networks. */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "engine/engine.h"
#include "base/base.h"
#include "train/train.h"
#include "runtime/bundle.h"

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
    MSP_CLI_EXIT_STATUS;

static int profile_bundle(int argc, char **argv)
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

static const char *const usage =
    "usage: msprune profile --cfg X.cfg [--weights W] [--runs N] [--warmup N]\n"
    "                       [--threads N] [--engine E] [--json] [-q|-v]\n"
    "       msprune profile BUNDLE [--out PROFILE.conf] [--runs N] [--warmup N]\n"
    "\n"
    "Median batch-1 latency and FLOPs of one network on this machine. With a\n"
    "bundle folder instead: a device profile of its networks (see 'msprune\n"
    "profile BUNDLE --help').\n"
    "\n"
    "options:\n"
    "  --cfg X.cfg    the network (required)\n"
    "  --weights W    load these weights (default: seeded random initialisation)\n"
    "  --runs N       timed runs (default 50)\n"
    "  --warmup N     untimed runs first (default 5)\n"
    "  --threads N    threads for matrix products (default 1)\n"
    "  --engine E     'fast' (default) or 'stock' (Darknet's own layers)\n"
    "  --json         print one JSON object {\"latency_ms\": F, \"flops\": N, ...}\n"
    MSP_CLI_USAGE_COMMON;

static void print_profile(const msp_profile_opts *o, const msp_profile_result *r, int json)
{
    const char *engine = o->engine == MSP_ENGINE_FAST ? "fast" : "stock";
    if (json) {
        printf("{\"cfg\": ");
        msp_json_string(stdout, o->cfg);
        printf(", \"engine\": \"%s\"", engine);
        printf(", \"latency_ms\": ");
        msp_json_number(stdout, r->latency.median_ms);
        printf(", \"latency_min_ms\": ");
        msp_json_number(stdout, r->latency.min_ms);
        printf(", \"latency_max_ms\": ");
        msp_json_number(stdout, r->latency.max_ms);
        printf(", \"runs\": %d, \"flops\": %.0f, \"parameters\": %zu, \"layers\": %d, "
               "\"input\": [%d, %d, %d], \"classes\": %d}\n",
               r->latency.runs, r->flops, r->parameters, r->layers, r->w, r->h, r->c, r->classes);
    } else {
        printf("%s: %d layers, input %dx%dx%d, %d outputs\n", o->cfg, r->layers, r->w, r->h, r->c,
               r->classes);
        printf("  %.3f MFLOPs, %.3f M parameters\n", r->flops / 1e6, (double)r->parameters / 1e6);
        printf("  engine %s\n", engine);
        printf("  batch-1 latency: median %.3f ms over %d runs (min %.3f, max %.3f)\n",
               r->latency.median_ms, r->latency.runs, r->latency.min_ms, r->latency.max_ms);
    }
}

int msp_cmd_profile(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"cfg", required_argument, 0, 'c'},    {"weights", required_argument, 0, 'w'},
        {"runs", required_argument, 0, 'r'},   {"warmup", required_argument, 0, 'W'},
        {"threads", required_argument, 0, 't'}, {"json", no_argument, 0, 'j'},
        MSP_CLI_ENGINE,                         MSP_CLI_COMMON};
    for (int i = 1; i < argc; i++) /* `msprune profile BUNDLE` */
        if (argv[i][0] != '-' && msp_is_bundle_dir(argv[i])) return profile_bundle(argc, argv);
    msp_profile_opts o = {.runs = 50, .warmup = 5};
    msp_cli cli = {.cmd = "profile", .usage = usage};
    int threads = 1, json = 0, c;
    while ((c = msp_cli_getopt(&cli, argc, argv, "c:w:r:W:t:E:jqvh", longopts)) != -1) {
        switch (c) {
        case 'c': o.cfg = optarg; break;
        case 'w': o.weights = optarg; break;
        case 'r':
            if (!msp_cli_parse_int(optarg, 1, 1000000, &o.runs))
                return msp_cli_usage_error("profile", "--runs wants an integer in [1, 1000000]");
            break;
        case 'W':
            if (!msp_cli_parse_int(optarg, 0, 1000000, &o.warmup))
                return msp_cli_usage_error("profile", "--warmup wants an integer in [0, 1000000]");
            break;
        case 't':
            if (!msp_cli_parse_int(optarg, 1, 64, &threads))
                return msp_cli_usage_error("profile", "--threads wants an integer in [1, 64]");
            break;
        case 'j': json = 1; break;
        default: return cli.status;
        }
    }
    o.engine = cli.engine;
    o.verbose = cli.verbose;
    if (!o.cfg) return msp_cli_usage_error("profile", "--cfg is required");
    if (optind != argc) return msp_cli_usage_error("profile", "unexpected argument '%s'", argv[optind]);
    msp_engine_set_threads(threads);
    msp_err err = {{0}};
    msp_profile_result r;
    msp_status st = msp_profile_run(&o, &r, &err);
    if (st == MSP_OK) print_profile(&o, &r, json);
    return msp_cli_finish(st, &err);
}
