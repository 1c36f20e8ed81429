/* cmd_check.c: `msprune check FILE...` and `msprune check --cfg NET.cfg W.weights`. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "train/train.h"
#include "cli.h"
#include "base/base.h"
#include "selector/selector.h"

static const char *const usage =
    "usage: msprune check [-q|-v] FILE...\n"
    "       msprune check [-q|-v] --cfg NET.cfg WEIGHTS\n"
    "\n"
    "Validate experiment configs (.conf) and Darknet cfgs (.cfg), and a .weights\n"
    "file against its cfg, before anything reaches Darknet. A config's data is\n"
    "checked too (for image lists every line and image). Prints one line per\n"
    "good file (and the data's counts for a config) and an error with FILE:LINE\n"
    "for each bad one.\n"
    "\n"
    "options:\n"
    "  --cfg NET.cfg  check WEIGHTS against this cfg\n"
    "  -q, --quiet    print only errors\n"
    "  -v, --verbose  also debug messages\n"
    "  -h, --help     this help\n"
    "\n"
    "exit status: 0 all good, 1 a file could not be read, 2 bad usage or a bad file.\n";

/* An experiment config: also what its stages would refuse later. */
static msp_status check_stages(const char *path, msp_err *err)
{
    size_t n = strlen(path);
    if (n < 5 || strcmp(path + n - 5, ".conf")) return MSP_OK;
    msp_expconf conf;
    msp_status st = msp_expconf_load(path, &conf, err);
    if (st == MSP_OK) st = msp_conf_check_stages(&conf, err);
    msp_expconf_free(&conf);
    return st;
}

int msp_cmd_check(int argc, char **argv)
{
    static const struct option longopts[] = {{"cfg", required_argument, 0, 'c'}, MSP_CLI_COMMON};
    msp_cli cli = {.cmd = "check", .usage = usage};
    const char *cfg = NULL;
    int c;
    while ((c = msp_cli_getopt(&cli, argc, argv, "c:qvh", longopts)) != -1) {
        switch (c) {
        case 'c': cfg = optarg; break;
        default: return cli.status;
        }
    }
    int quiet = cli.quiet;
    int nargs = argc - optind;
    if (cfg && nargs != 1) return msp_cli_usage_error("check", "--cfg takes exactly one WEIGHTS file");
    if (!cfg && nargs < 1) return msp_cli_usage_error("check", "no file given");

    char summary[2048];
    msp_err err = {{0}};
    if (cfg) {
        msp_status st = msp_check_cfg_weights(cfg, argv[optind], summary, sizeof summary, &err);
        if (st == MSP_OK && !quiet) printf("%s + %s: ok: %s\n", cfg, argv[optind], summary);
        return msp_cli_finish(st, &err);
    }
    int worst = MSP_OK;
    for (int i = optind; i < argc; i++) {
        msp_status st = msp_check_file(argv[i], summary, sizeof summary, &err);
        if (st == MSP_OK) st = check_stages(argv[i], &err);
        if (st == MSP_OK && !quiet) printf("%s: ok: %s\n", argv[i], summary);
        msp_cli_finish(st, &err);
        if ((int)st > worst) worst = (int)st;
    }
    return worst;
}
