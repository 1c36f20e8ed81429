/* slurm_syntax.c: the values a user may hand to sbatch through msprune,
 * checked before anything is submitted (expconf.h). */
#include <string.h>

#include "expconf.h"

/* n groups of 1-9 digits separated by ':' (n = 1..3), all of s. */
static int colon_groups(const char *s, int *n)
{
    *n = 0;
    for (;;) {
        size_t d = strspn(s, "0123456789");
        if (d == 0 || d > 9) return 0;
        (*n)++;
        s += d;
        if (*s == '\0') return *n <= 3;
        if (*s != ':') return 0;
        s++;
    }
}

const char *msp_slurm_time_problem(const char *v)
{
    static const char why[] = "a time limit is minutes, M:S, H:M:S, D-H, D-H:M, D-H:M:S or UNLIMITED";
    if (!strcmp(v, "UNLIMITED") || !strcmp(v, "INFINITE")) return NULL;
    const char *dash = strchr(v, '-');
    int n;
    if (dash) {
        size_t days = (size_t)(dash - v);
        if (days == 0 || days > 5 || strspn(v, "0123456789") != days) return why;
        v = dash + 1;
    }
    return colon_groups(v, &n) ? NULL : why;
}

const char *msp_slurm_mem_problem(const char *v)
{
    size_t d = strspn(v, "0123456789");
    if (d == 0 || d > 12) return "memory is a whole number with an optional K, M, G or T (\"4G\")";
    if (v[d] == '\0') return NULL;
    if (strchr("KMGTkmgt", v[d]) && v[d + 1] == '\0') return NULL;
    return "memory is a whole number with an optional K, M, G or T (\"4G\")";
}

const char *msp_slurm_partition_problem(const char *v)
{
    static const char ok[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-";
    for (;;) {
        size_t n = strspn(v, ok);
        if (n == 0) return "a partition name is letters, digits, '.', '_' and '-' (several: comma-separated)";
        v += n;
        if (*v == '\0') return NULL;
        if (*v != ',') return "a partition name is letters, digits, '.', '_' and '-' (several: comma-separated)";
        v++;
    }
}

const char *msp_slurm_sbatch_arg_problem(const char *v)
{
    /* What msprune sets itself; sbatch takes unambiguous abbreviations of
     * long options, so a prefix of one of these is refused too. */
    static const char *const own_long[] = {"array", "dependency", "output", "error", "chdir", "wrap",
                                           "parsable", "open-mode", "kill-on-invalid-dep", "wait",
                                           "test-only", NULL};
    static const char own_short[] = "adoeDW";
    if (v[0] != '-' || v[1] == '\0')
        return "an sbatch option starts with '-' (a job script is msprune's to give)";
    if (v[1] != '-')
        return strchr(own_short, v[1]) ? "msprune sets this sbatch option itself" : NULL;
    const char *name = v + 2;
    size_t len = strcspn(name, "=");
    if (len == 0) return "an sbatch option has a name after '--'";
    for (const char *const *o = own_long; *o; o++)
        if (len <= strlen(*o) && !strncmp(name, *o, len) && (len >= 3 || len == strlen(*o)))
            return "msprune sets this sbatch option itself";
    return NULL;
}
