/* cmd_version.c: `msprune version` and `msprune --version`. */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "base/base.h"
#include "version.h"

#ifndef MSP_GIT_VERSION
#define MSP_GIT_VERSION ""
#endif

static const char *const usage =
    "usage: msprune version [-q|-v]\n"
    "       msprune --version\n"
    "\n"
    "Print msprune's version: the release number and, for a build from a git\n"
    "checkout, the commit it was built from (`git describe --always --dirty`).\n"
    "\n"
    "options:\n"
    "  -q, --quiet    the release number only\n"
    "  -v, --verbose  also the compiler msprune was built with\n"
    "  -h, --help     this help\n"
    "\n"
    "exit status: 0 success, 2 bad usage.\n";

const char *msp_version(void)
{
    static char buf[128];
    if (!buf[0]) {
        if (MSP_GIT_VERSION[0])
            snprintf(buf, sizeof buf, "%s (git %s)", MSP_VERSION_RELEASE, MSP_GIT_VERSION);
        else
            snprintf(buf, sizeof buf, "%s", MSP_VERSION_RELEASE);
    }
    return buf;
}

int msp_cmd_version(int argc, char **argv)
{
    static const struct option longopts[] = {MSP_CLI_COMMON};
    msp_cli cli = {.cmd = "version", .usage = usage};
    if (msp_cli_getopt(&cli, argc, argv, "qvh", longopts) != -1) return cli.status;
    int quiet = cli.quiet, verbose = cli.verbose;
    if (optind != argc) return msp_cli_usage_error("version", "takes no arguments");
    if (quiet) {
        printf("%s\n", MSP_VERSION_RELEASE);
        return 0;
    }
    printf("msprune %s\n", msp_version());
    if (verbose) printf("built with: cc %s\n", __VERSION__);
    return 0;
}
