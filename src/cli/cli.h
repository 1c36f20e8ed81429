/* cli.h: the commands behind `msprune COMMAND`, the top room. Command NAME
 * lives in cmd_NAME.c (cmd_check.c, cmd_train.c, cmd_evaluate.c, ...);
 * main.c only dispatches. A command parses its own options (GNU
 * getopt_long, options before or after arguments, through msp_cli_getopt),
 * calls the rooms below, prints what they return, and returns the exit
 * status.
 *
 * Depends on: every other room. Nothing depends on it. */
#ifndef MSP_CLI_H
#define MSP_CLI_H

#include <getopt.h>

#include "engine/engine.h"
#include "selector/selector.h"
#include "specialise/specialise.h"
#include "train/train.h"
#include "base/base.h"

int msp_cmd_check(int argc, char **argv);
int msp_cmd_train(int argc, char **argv);
int msp_cmd_evaluate(int argc, char **argv);
int msp_cmd_profile(int argc, char **argv);
int msp_cmd_prune(int argc, char **argv);
int msp_cmd_specialise(int argc, char **argv);
int msp_cmd_premodel(int argc, char **argv);
int msp_cmd_deploy(int argc, char **argv);
int msp_cmd_run(int argc, char **argv);
int msp_cmd_report(int argc, char **argv);
int msp_cmd_all(int argc, char **argv);
int msp_cmd_version(int argc, char **argv); /* also `msprune --version` */

/* train and evaluate without --selector/--oracle (cmd_train.c): the options of
 * a command that runs one network; cmd is "train" or "evaluate". */
int msp_cli_run_net(const char *cmd, const char *usage, int argc, char **argv);
/* The table of an evaluated network, on stdout (cmd_train.c; evaluate and all). */
void msp_cli_print_eval(const msp_eval_result *r);
/* The family's table, on stdout (cmd_specialise.c; specialise and all). */
void msp_cli_print_family(const msp_expconf *conf, const msp_family *f);
/* What --slurm submitted and how to follow it, on stdout (cmd_specialise.c). */
void msp_cli_print_submission(const msp_expconf *conf, const msp_slurm_submission *s);
/* The selector's evaluation table and the files it wrote, on stdout
 * (cmd_evaluate.c; evaluate and all). */
void msp_cli_print_selector(const msp_expconf *conf, const msp_selector_result *r);
void msp_cli_print_selector_files(const msp_expconf *conf);
/* One trained premodel's line, on stdout (cmd_premodel.c; premodel and all). */
void msp_cli_print_premodel(const msp_selector_trained *t);

/* Option parsing shared by the commands. Each lists its options in a
 * getopt_long table that ends with the common ones, and loops on
 * msp_cli_getopt, which deals with those, --help and bad options:
 *
 *     static const struct option longopts[] = {
 *         {"cfg", required_argument, 0, 'c'}, MSP_CLI_ENGINE, MSP_CLI_COMMON};
 *     msp_cli cli = {.cmd = "profile", .usage = usage};
 *     while ((c = msp_cli_getopt(&cli, argc, argv, "c:E:qvh", longopts)) != -1) {
 *         switch (c) {
 *         case 'c': cfg = optarg; break;
 *         default: return cli.status;   (after --help or a bad option)
 *         }
 *     }
 */
/* The end of a usage text: the exit statuses, and before them the common
 * options where the command's help aligns its option list at column 17. */
#define MSP_CLI_EXIT_STATUS "\nexit status: 0 success, 1 the work failed, 2 bad usage or bad input.\n"
#define MSP_CLI_USAGE_COMMON                                                                \
    "  -q, --quiet    warnings and errors only, no progress\n"                              \
    "  -v, --verbose  debug messages and Darknet's own output (layer tables)\n"             \
    "  -h, --help     this help\n" MSP_CLI_EXIT_STATUS

#define MSP_CLI_ENGINE {"engine", required_argument, 0, 'E'}
#define MSP_CLI_COMMON                                                                     \
    {"quiet", no_argument, 0, 'q'}, {"verbose", no_argument, 0, 'v'},                      \
        {"help", no_argument, 0, 'h'}, { 0, 0, 0, 0 }

typedef struct msp_cli {
    const char *cmd;        /* "check": messages start "msprune check: " */
    const char *usage;      /* what -h, --help print */
    int quiet, verbose;     /* -q, -v given (they also set the log level) */
    msp_engine_kind engine; /* -E, --engine (default fast) */
    int status;             /* the exit status when msp_cli_getopt returned MSP_CLI_STOP */
} msp_cli;

#define MSP_CLI_STOP (-2)
/* The next option of argv: the command's own option character, -1 after the
 * last one, or MSP_CLI_STOP when the command is to return cli->status: 0
 * after --help, 2 after a bad option, a missing option argument or a bad
 * --engine, each reported in one line on stderr ("msprune CMD: ..."). */
int msp_cli_getopt(msp_cli *cli, int argc, char **argv, const char *shortopts,
                   const struct option *longopts);

/* --slurm and the settings of its jobs (specialise and all): list
 * MSP_CLI_SLURM in the getopt table and hand every option character to
 * msp_cli_slurm_option before the command's own. */
enum { /* their option codes: above every character */
    MSP_CLI_OPT_SLURM = 1000, MSP_CLI_OPT_WAIT, MSP_CLI_OPT_PARTITION, MSP_CLI_OPT_TIME,
    MSP_CLI_OPT_CPUS, MSP_CLI_OPT_MEM, MSP_CLI_OPT_SBATCH_ARG
};
#define MSP_CLI_SLURM                                                                          \
    {"slurm", no_argument, 0, MSP_CLI_OPT_SLURM}, {"wait", no_argument, 0, MSP_CLI_OPT_WAIT},  \
        {"partition", required_argument, 0, MSP_CLI_OPT_PARTITION},                            \
        {"time", required_argument, 0, MSP_CLI_OPT_TIME},                                      \
        {"cpus", required_argument, 0, MSP_CLI_OPT_CPUS},                                      \
        {"mem", required_argument, 0, MSP_CLI_OPT_MEM},                                        \
        {"sbatch-arg", required_argument, 0, MSP_CLI_OPT_SBATCH_ARG}
enum { MSP_CLI_SLURM_ARGS_MAX = 64 };
typedef struct msp_cli_slurm {
    int on; /* --slurm */
    msp_slurm_opts o;
    const char *args[MSP_CLI_SLURM_ARGS_MAX];
} msp_cli_slurm;
/* 1 when c was one of MSP_CLI_SLURM's (taken into s), 0 when it is not,
 * -1 after a bad value (reported; the command exits 2). */
int msp_cli_slurm_option(const char *cmd, int c, const char *arg, msp_cli_slurm *s);
/* After the options: 2 (reported) when settings or --wait came without
 * --slurm, else -1. */
int msp_cli_slurm_check(const char *cmd, const msp_cli_slurm *s);

/* Shared by the commands. */
int msp_cli_finish(msp_status st, const msp_err *err);          /* print, map to exit code */
int msp_cli_usage_error(const char *cmd, const char *fmt, ...); /* exit 2 with a hint */
int msp_cli_parse_int(const char *s, int lo, int hi, int *out); /* strict; 0 on failure */
/* "stock" or "fast"; 0 on failure. */
int msp_cli_parse_engine(const char *s, msp_engine_kind *out);

#endif
