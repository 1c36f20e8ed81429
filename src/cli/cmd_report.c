/* cmd_report.c: `msprune report CONFIG [--out DIR]`. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "data/data.h"
#include "base/base.h"
#include "report/report.h"

static const char *const usage =
    "usage: msprune report CONFIG [--out DIR] [-q|-v]\n"
    "\n"
    "Write report.html (self-contained: inline SVG plots, no JavaScript, no network)\n"
    "and report.md from the experiment's results in its output folder: summary.json,\n"
    "per-input.csv, eval-base.json, clusters.json, train.json (and each ladder\n"
    "network's), and the settings of CONFIG. Missing files are noted in the report\n"
    "with the command that makes them.\n"
    "\n"
    "options:\n"
    "  --out DIR      write the report files to DIR (default: the output folder)\n"
    "  -q, --quiet    do not print the paths written\n"
    "  -v, --verbose  also debug messages\n"
    "  -h, --help     this help\n"
    MSP_CLI_EXIT_STATUS;

int msp_cmd_report(int argc, char **argv)
{
    static const struct option longopts[] = {{"out", required_argument, 0, 'o'}, MSP_CLI_COMMON};
    msp_cli cli = {.cmd = "report", .usage = usage};
    const char *out = NULL;
    int c;
    while ((c = msp_cli_getopt(&cli, argc, argv, "o:qvh", longopts)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        default: return cli.status;
        }
    }
    if (argc - optind != 1) return msp_cli_usage_error("report", "exactly one CONFIG is needed");
    msp_expconf conf;
    msp_err err = {{0}};
    msp_status st = msp_expconf_load(argv[optind], &conf, &err);
    if (st != MSP_OK) return msp_cli_finish(st, &err);
    const char *dir = out ? out : conf.output;
    st = msp_report_write(conf.output, dir, conf.name, conf.path, &err);
    if (st == MSP_OK) msp_log(MSP_LOG_INFO, "wrote %s/report.html and %s/report.md", dir, dir);
    msp_expconf_free(&conf);
    return msp_cli_finish(st, &err);
}
