/* cli.h: the commands behind `msprune COMMAND`. Each parses its own options
 * (GNU getopt_long, options before or after arguments), calls the library,
 * prints the error if any, and returns the exit status. */
#ifndef MSP_CLI_H
#define MSP_CLI_H

#include "engine.h"
#include "status.h"

int msp_cmd_check(int argc, char **argv);
int msp_cmd_train(int argc, char **argv);
int msp_cmd_evaluate(int argc, char **argv);
int msp_cmd_profile(int argc, char **argv);
int msp_cmd_report(int argc, char **argv);
int msp_cmd_version(int argc, char **argv); /* also `msprune --version` */

/* Shared by the commands. */
int msp_cli_finish(msp_status st, const msp_err *err);          /* print, map to exit code */
int msp_cli_usage_error(const char *cmd, const char *fmt, ...); /* exit 2 with a hint */
int msp_cli_parse_int(const char *s, int lo, int hi, int *out); /* strict; 0 on failure */
/* "stock" or "fast"; 0 on failure. */
int msp_cli_parse_engine(const char *s, msp_engine_kind *out);

#endif
