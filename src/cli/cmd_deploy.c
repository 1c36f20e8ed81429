/* cmd_deploy.c: `msprune deploy CONFIG --out DIR`: the bundle for a device. */
#include <getopt.h>
#include <stdio.h>

#include "base/base.h"
#include "cli.h"
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
    MSP_CLI_EXIT_STATUS;

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
