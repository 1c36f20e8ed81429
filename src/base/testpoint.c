/* testpoint.c: MSP_TEST_KILL_AT=NAME[@N], read once per process. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "testpoint.h"

static struct {
    int read;         /* the environment was read */
    char name[64];    /* "" when no point is armed */
    long at, arrivals;
    int sig;
} armed;

static int signal_named(const char *s)
{
    if (!s || !*s || strcmp(s, "KILL") == 0) return SIGKILL;
    if (strcmp(s, "INT") == 0) return SIGINT;
    if (strcmp(s, "TERM") == 0) return SIGTERM;
    if (strcmp(s, "STOP") == 0) return SIGSTOP;
    return SIGKILL;
}

static void arm(void)
{
    armed.read = 1;
    const char *v = getenv("MSP_TEST_KILL_AT");
    if (!v || !*v) return;
    const char *at = strchr(v, '@');
    size_t len = at ? (size_t)(at - v) : strlen(v);
    if (len >= sizeof armed.name) return;
    memcpy(armed.name, v, len);
    armed.name[len] = '\0';
    armed.at = at ? strtol(at + 1, NULL, 10) : 1;
    if (armed.at < 1) armed.name[0] = '\0';
    armed.sig = signal_named(getenv("MSP_TEST_KILL_SIGNAL"));
}

void msp_testpoint(const char *name)
{
    if (!armed.read) arm();
    if (!armed.name[0] || strcmp(armed.name, name) != 0) return;
    if (++armed.arrivals == armed.at) raise(armed.sig);
}
