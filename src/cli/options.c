/* options.c: error printing and strict argument parsing for commands. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "base/base.h"

int msp_cli_finish(msp_status st, const msp_err *err)
{
    if (st != MSP_OK && st != MSP_INTERRUPTED && err && err->msg[0])
        fprintf(stderr, "msprune: %s\n", err->msg);
    return (int)st;
}

int msp_cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "msprune %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'msprune %s --help'.\n", cmd);
    return MSP_BAD_INPUT;
}

int msp_cli_parse_engine(const char *s, msp_engine_kind *out)
{
    if (!strcmp(s, "fast")) *out = MSP_ENGINE_FAST;
    else if (!strcmp(s, "stock")) *out = MSP_ENGINE_STOCK;
    else return 0;
    return 1;
}

int msp_cli_parse_int(const char *s, int lo, int hi, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) return 0;
    *out = (int)v;
    return 1;
}

int msp_cli_getopt(msp_cli *cli, int argc, char **argv, const char *shortopts,
                   const struct option *longopts)
{
    /* getopt_long names the program by argv[0] in its messages: for them to
     * read "msprune check: unrecognized option '--foo'", argv[0] is the
     * command's full name for the time of the call. */
    char prog[64];
    snprintf(prog, sizeof prog, "msprune %s", cli->cmd);
    for (;;) {
        char *arg0 = argv[0];
        argv[0] = prog;
        opterr = 1;
        int c = getopt_long(argc, argv, shortopts, longopts, NULL);
        argv[0] = arg0;
        switch (c) {
        case 'q': cli->quiet = 1; msp_log_set_level(MSP_LOG_WARN); break;
        case 'v': cli->verbose = 1; msp_log_set_level(MSP_LOG_DEBUG); break;
        case 'h':
            fputs(cli->usage, stdout);
            cli->status = 0;
            return MSP_CLI_STOP;
        case 'E':
            if (!msp_cli_parse_engine(optarg, &cli->engine)) {
                fprintf(stderr, "%s: --engine is 'stock' or 'fast', not '%s'\n", prog, optarg);
                cli->status = MSP_BAD_INPUT;
                return MSP_CLI_STOP;
            }
            break;
        case '?': /* getopt_long has said what is wrong */
            cli->status = MSP_BAD_INPUT;
            return MSP_CLI_STOP;
        default: return c;
        }
    }
}

int msp_cli_slurm_option(const char *cmd, int c, const char *arg, msp_cli_slurm *s)
{
    const char *why = NULL, *opt = NULL;
    switch (c) {
    case MSP_CLI_OPT_SLURM: s->on = 1; return 1;
    case MSP_CLI_OPT_WAIT: s->o.wait = 1; return 1;
    case MSP_CLI_OPT_PARTITION:
        opt = "--partition", why = msp_slurm_partition_problem(arg), s->o.partition = arg;
        break;
    case MSP_CLI_OPT_TIME: opt = "--time", why = msp_slurm_time_problem(arg), s->o.time = arg; break;
    case MSP_CLI_OPT_MEM: opt = "--mem", why = msp_slurm_mem_problem(arg), s->o.mem = arg; break;
    case MSP_CLI_OPT_CPUS:
        opt = "--cpus";
        if (!msp_cli_parse_int(arg, 1, 4096, &s->o.cpus)) why = "an integer in [1, 4096]";
        break;
    case MSP_CLI_OPT_SBATCH_ARG:
        opt = "--sbatch-arg";
        why = msp_slurm_sbatch_arg_problem(arg);
        if (!why && s->o.n_sbatch_args == MSP_CLI_SLURM_ARGS_MAX) why = "too many (at most 64)";
        if (!why) s->args[s->o.n_sbatch_args++] = arg;
        s->o.sbatch_args = s->args;
        break;
    default: return 0;
    }
    if (!why) return 1;
    msp_cli_usage_error(cmd, "%s '%s': %s", opt, arg, why);
    return -1;
}

int msp_cli_slurm_check(const char *cmd, const msp_cli_slurm *s)
{
    const msp_slurm_opts *o = &s->o;
    int settings = o->partition || o->time || o->mem || o->cpus || o->n_sbatch_args;
    if (!s->on && (settings || o->wait))
        return msp_cli_usage_error(cmd, "--wait, --partition, --time, --cpus, --mem and "
                                        "--sbatch-arg go with --slurm");
    return -1;
}
