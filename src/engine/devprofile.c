/* devprofile.c: device profile files (contract in devprofile.h). */
#include <libconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "devprofile.h"

void msp_devprofile_free(msp_devprofile *p)
{
    if (!p) return;
    msp_free_strings(p->names, p->n);
    free(p->latency_ms);
    free(p->experiment);
    free(p->machine);
    memset(p, 0, sizeof *p);
}

msp_status msp_devprofile_write(const char *path, const msp_devprofile *p, msp_err *err)
{
    msp_atomic a;
    msp_status st = msp_atomic_open(&a, path, err);
    if (st != MSP_OK) return st;
    fprintf(a.f, "# msprune device profile: batch-1 latency of every network of a bundle,\n"
                 "# measured on this machine (`msprune profile BUNDLE`).\n"
                 "version = 1;\nexperiment = ");
    msp_conf_put_string(a.f, p->experiment);
    fprintf(a.f, ";\nmachine = ");
    msp_conf_put_string(a.f, p->machine);
    fprintf(a.f, ";\nnetworks = (");
    for (int j = 0; j < p->n; j++) {
        fprintf(a.f, "%s\n  { name = ", j ? "," : "");
        msp_conf_put_string(a.f, p->names[j]);
        fprintf(a.f, "; latency_ms = %.10e; }", p->latency_ms[j]);
    }
    fprintf(a.f, "\n);\n");
    return msp_atomic_commit(&a, err);
}

static const char *str_member(const config_setting_t *g, const char *name)
{
    const char *v = NULL;
    return config_setting_lookup_string(g, name, &v) ? v : NULL;
}

msp_status msp_devprofile_load(const char *path, msp_devprofile *p, msp_err *err)
{
    memset(p, 0, sizeof *p);
    config_t cf;
    config_init(&cf);
    msp_status st = msp_conffile_read(path, "a device profile", 1u << 20, &cf, err);
    if (st != MSP_OK) {
        config_destroy(&cf);
        return st;
    }
    config_setting_t *root = config_root_setting(&cf), *l = config_setting_get_member(root, "networks");
    int version = 0;
    const char *exp = str_member(root, "experiment"), *mach = str_member(root, "machine");
    for (int i = 0; i < config_setting_length(root) && st == MSP_OK; i++) {
        const char *k = config_setting_name(config_setting_get_elem(root, (unsigned)i));
        if (strcmp(k, "version") && strcmp(k, "experiment") && strcmp(k, "machine") && strcmp(k, "networks"))
            st = msp_err_set(err, MSP_BAD_INPUT, path, msp_conffile_line(config_setting_get_elem(root, (unsigned)i)),
                             "unknown key '%s'", k);
    }
    if (st == MSP_OK && (!config_setting_lookup_int(root, "version", &version) || version != 1))
        st = msp_err_set(err, MSP_BAD_INPUT, path, 1, "'version' must be 1");
    if (st == MSP_OK && (!exp || !mach || strlen(exp) > 64 || strlen(mach) > 512 ||
                         msp_utf8_unprintable(exp) >= 0 || msp_utf8_unprintable(mach) >= 0))
        st = msp_err_set(err, MSP_BAD_INPUT, path, 1,
                         "'experiment' and 'machine' must be short strings of printable text");
    int n = l ? config_setting_length(l) : 0;
    if (st == MSP_OK && (!l || config_setting_type(l) != CONFIG_TYPE_LIST || n < 1 || n > MSP_DEVPROFILE_MAX_NETS))
        st = msp_err_set(err, MSP_BAD_INPUT, path, msp_conffile_line(l ? l : root),
                         "'networks' must be a list of 1 to %d { name; latency_ms; } groups", MSP_DEVPROFILE_MAX_NETS);
    if (st == MSP_OK) {
        p->n = n;
        p->names = msp_calloc((size_t)n, sizeof *p->names);
        p->latency_ms = msp_calloc((size_t)n, sizeof *p->latency_ms);
        p->experiment = msp_strdup(exp);
        p->experiment_line = msp_conffile_line(config_setting_get_member(root, "experiment"));
        p->machine = msp_strdup(mach);
    }
    for (int j = 0; j < n && st == MSP_OK; j++) {
        config_setting_t *g = config_setting_get_elem(l, (unsigned)j);
        const char *name = str_member(g, "name");
        double v;
        if (config_setting_length(g) != 2 || !name || strlen(name) < 1 || strlen(name) > MSP_DEVPROFILE_MAX_NAME ||
            msp_utf8_unprintable(name) >= 0 ||
            !config_setting_lookup_float(g, "latency_ms", &v) || !(v >= 0 && v <= 1e9)) {
            st = msp_err_set(err, MSP_BAD_INPUT, path, msp_conffile_line(g),
                             "a network must be { name = \"NAME\"; latency_ms = F; } with latency_ms in [0, 1e9]");
            break;
        }
        p->names[j] = msp_strdup(name);
        p->latency_ms[j] = v;
    }
    config_destroy(&cf);
    if (st != MSP_OK) msp_devprofile_free(p);
    return st;
}
