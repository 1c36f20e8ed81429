/* bundle_load.c: read and verify a bundle's manifest.conf (format in
 * runtime/bundle.h). Nothing in a bundle is trusted: the manifest's size is
 * bounded before libconfig parses it, every key is known, every count and
 * string length is bounded before allocation, every path is confined to the
 * bundle folder (no absolute path, no "..", no symlink on the way), and every
 * file's size and CRC-32 are checked. */
#include <errno.h>
#include <libconfig.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/base.h"
#include "runtime/bundle.h"

typedef msp_conf_reader rd;

static const char *type_name(int t)
{
    switch (t) {
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64: return "integer";
    case CONFIG_TYPE_FLOAT: return "float";
    case CONFIG_TYPE_STRING: return "string";
    case CONFIG_TYPE_BOOL: return "boolean";
    case CONFIG_TYPE_ARRAY: return "array [ ... ]";
    case CONFIG_TYPE_LIST: return "list ( ... )";
    case CONFIG_TYPE_GROUP: return "group { ... }";
    default: return "value";
    }
}

static const char *article(const char *word)
{
    return strchr("aeiou", word[0]) ? "an" : "a";
}

/* Types are exact: a float is never read as an integer nor an integer as a
 * float (deploy writes every float with an exponent). int and int64 are both
 * integers: libconfig picks the width from the value. */
static int type_is(const config_setting_t *s, int want)
{
    int t = config_setting_type(s);
    if (want == CONFIG_TYPE_INT || want == CONFIG_TYPE_INT64)
        return t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64;
    return t == want;
}

/* "WHAT has the wrong type: a float is needed, not a string". */
static msp_status wrong_type(rd *r, const config_setting_t *s, const char *what, int want)
{
    const char *w = type_name(want), *got = type_name(config_setting_type(s));
    return msp_conf_bad(r, s, "%s has the wrong type: %s %s is needed, not %s %s", what, article(w), w,
                        article(got), got);
}

static msp_status member(rd *r, const config_setting_t *g, const char *name, int type,
                         config_setting_t **out)
{
    *out = config_setting_get_member(g, name);
    if (!*out) return msp_conf_bad(r, g, "missing key '%s'", name);
    if (!type_is(*out, type)) {
        char what[80];
        snprintf(what, sizeof what, "'%s'", name);
        return wrong_type(r, *out, what, type);
    }
    return MSP_OK;
}

/* Element i of array a must be of the given type. */
static msp_status elem(rd *r, const config_setting_t *a, const char *name, int i, int type,
                       config_setting_t **out)
{
    *out = config_setting_get_elem(a, (unsigned)i);
    if (type_is(*out, type)) return MSP_OK;
    char what[96];
    snprintf(what, sizeof what, "'%s' entry %d", name, i);
    return wrong_type(r, *out, what, type);
}

/* s with every byte that is not printable ASCII shown as '?': names quoted
 * in messages must not reach the terminal raw. */
static const char *shown(const char *s, char *buf, size_t n)
{
    size_t k = 0;
    for (; s[k] && k + 1 < n; k++) buf[k] = s[k] >= 0x20 && s[k] < 0x7f ? s[k] : '?';
    buf[k] = '\0';
    return buf;
}

static msp_status get_str(rd *r, const config_setting_t *g, const char *name, size_t max, char **out)
{
    config_setting_t *s;
    msp_status st = member(r, g, name, CONFIG_TYPE_STRING, &s);
    if (st != MSP_OK) return st;
    const char *v = config_setting_get_string(s);
    if (!v || !*v || strlen(v) > max) return msp_conf_bad(r, s, "'%s' must be 1 to %zu characters", name, max);
    *out = msp_strdup(v);
    return MSP_OK;
}

/* A name of the experiment, a network or the premodel kind: what deploy
 * makes and file names allow (msp_is_plain_name), 1..MSP_BUNDLE_MAX_NAME
 * characters. */
static msp_status get_name(rd *r, const config_setting_t *g, const char *name, char **out)
{
    msp_status st = get_str(r, g, name, MSP_BUNDLE_MAX_NAME, out);
    if (st != MSP_OK || msp_is_plain_name(*out)) return st;
    char buf[MSP_BUNDLE_MAX_NAME + 1];
    st = msp_conf_bad(r, config_setting_get_member(g, name),
                      "'%s' is \"%s\": a name uses only letters, digits, '.', '_' and '-'", name,
                      shown(*out, buf, sizeof buf));
    free(*out);
    *out = NULL;
    return st;
}

static msp_status get_i64(rd *r, const config_setting_t *g, const char *name, long long lo,
                          long long hi, long long *out)
{
    config_setting_t *s;
    msp_status st = member(r, g, name, CONFIG_TYPE_INT64, &s);
    if (st != MSP_OK) return st;
    long long v = config_setting_get_int64(s);
    if (v < lo || v > hi) return msp_conf_bad(r, s, "'%s' is %lld; it must be between %lld and %lld", name, v, lo, hi);
    *out = v;
    return MSP_OK;
}

static msp_status get_int(rd *r, const config_setting_t *g, const char *name, int lo, int hi, int *out)
{
    long long v = 0;
    msp_status st = get_i64(r, g, name, lo, hi, &v);
    *out = st == MSP_OK ? (int)v : 0;
    return st;
}

static msp_status get_num(rd *r, const config_setting_t *g, const char *name, double lo, double hi,
                          double *out)
{
    config_setting_t *s;
    msp_status st = member(r, g, name, CONFIG_TYPE_FLOAT, &s);
    if (st != MSP_OK) return st;
    double v = config_setting_get_float(s);
    if (!(v >= lo && v <= hi)) return msp_conf_bad(r, s, "'%s' must be between %g and %g", name, lo, hi);
    *out = v;
    return MSP_OK;
}

/* safety.min_prob: one number for every network, or an array with one per
 * network. */
_Static_assert(MSP_BUNDLE_MAX_NETS <= MSP_SAFETY_MAX_NETS, "a threshold for every network");
static msp_status get_min_prob(rd *r, const config_setting_t *g, msp_bundle_manifest *m)
{
    config_setting_t *a = config_setting_get_member(g, "min_prob");
    if (!a || config_setting_type(a) != CONFIG_TYPE_ARRAY) {
        double p;
        msp_status st = get_num(r, g, "min_prob", 0, 1, &p);
        if (st == MSP_OK) msp_safety_set_min_prob(&m->safety, p);
        return st;
    }
    if (config_setting_length(a) != m->n_nets)
        return msp_conf_bad(r, a, "'min_prob' has %d entries; one per network (%d) is needed",
                            config_setting_length(a), m->n_nets);
    for (int j = 0; j < m->n_nets; j++) {
        config_setting_t *e;
        msp_status st = elem(r, a, "min_prob", j, CONFIG_TYPE_FLOAT, &e);
        if (st != MSP_OK) return st;
        double v = config_setting_get_float(e);
        if (!(v >= 0 && v <= 1)) return msp_conf_bad(r, e, "'min_prob' entries must be between 0 and 1");
        m->safety.min_prob[j] = v;
    }
    return MSP_OK;
}

/* safety.chain, optional: distinct networks, none the fallback. */
static msp_status get_chain(rd *r, const config_setting_t *g, msp_bundle_manifest *m)
{
    config_setting_t *a = config_setting_get_member(g, "chain");
    m->safety.n_chain = 0;
    if (!a) return MSP_OK;
    int n = config_setting_type(a) == CONFIG_TYPE_ARRAY ? config_setting_length(a) : 0;
    if (n < 1 || n > MSP_SAFETY_MAX_CHAIN)
        return msp_conf_bad(r, a, "'chain' must be an array of 1 to %d network indices",
                            MSP_SAFETY_MAX_CHAIN);
    for (int k = 0; k < n; k++) {
        config_setting_t *e;
        msp_status st = elem(r, a, "chain", k, CONFIG_TYPE_INT, &e);
        if (st != MSP_OK) return st;
        m->safety.chain[k] = config_setting_get_int(e);
    }
    m->safety.n_chain = n;
    int k;
    if (!msp_safety_chain_problem(&m->safety, m->n_nets, &k)) return MSP_OK;
    m->safety.n_chain = 0;
    return msp_conf_bad(r, config_setting_get_elem(a, (unsigned)k),
                        "'chain' entries must be distinct networks 0 to %d other than the fallback",
                        m->n_nets - 1);
}

/* A list (or array) member with 1..max elements. */
static msp_status get_list(rd *r, const config_setting_t *g, const char *name, int type, int max,
                           config_setting_t **out, int *n)
{
    *out = config_setting_get_member(g, name);
    if (!*out) return msp_conf_bad(r, g, "missing key '%s'", name);
    if (config_setting_type(*out) != type)
        return msp_conf_bad(r, *out, "'%s' must be a %s", name,
                            type == CONFIG_TYPE_LIST ? "list ( ... )" : "array [ ... ]");
    *n = config_setting_length(*out);
    if (*n < 1 || *n > max) return msp_conf_bad(r, *out, "'%s' has %d entries; 1 to %d are allowed", name, *n, max);
    return MSP_OK;
}

/* A manifest path: well-formed (msp_bundle_path_problem) and no symlink or
 * non-folder on the way inside dir. */
static msp_status get_path(rd *r, const char *dir, const config_setting_t *g, const char *name,
                           char **out)
{
    msp_status st = get_str(r, g, name, MSP_BUNDLE_MAX_PATH, out);
    if (st != MSP_OK) return st;
    const config_setting_t *s = config_setting_get_member(g, name);
    const char *why = msp_bundle_path_problem(*out);
    char buf[MSP_BUNDLE_MAX_PATH + 1];
    if (why) {
        st = msp_conf_bad(r, s, "'%s' is \"%s\": %s", name, shown(*out, buf, sizeof buf), why);
    } else {
        /* Every folder on the way must be a real folder, not a link out. */
        char *rel = msp_strdup(*out);
        for (char *q = strchr(rel, '/'); q && st == MSP_OK; q = strchr(q + 1, '/')) {
            *q = '\0';
            char *p = msp_strcat3(dir, "/", rel);
            struct stat sb;
            if (lstat(p, &sb) != 0 || !S_ISDIR(sb.st_mode))
                st = msp_conf_bad(r, s, "'%s' is \"%s\", but %s is not a folder inside the bundle", name,
                                  *out, p);
            free(p);
            *q = '/';
        }
        free(rel);
    }
    if (st != MSP_OK) {
        free(*out);
        *out = NULL;
    }
    return st;
}

void msp_bundle_manifest_free(msp_bundle_manifest *m)
{
    if (!m) return;
    free(m->experiment);
    msp_free_strings(m->classes, m->n_classes);
    for (int j = 0; m->nets && j < m->n_nets; j++) {
        free(m->nets[j].name);
        free(m->nets[j].cfg);
        free(m->nets[j].weights);
        free(m->nets[j].outputs);
    }
    free(m->nets);
    free(m->premodel_file);
    free(m->premodel_kind);
    for (int i = 0; m->files && i < m->n_files; i++) free(m->files[i].path);
    free(m->files);
    memset(m, 0, sizeof *m);
}

static const char *const top_keys[] = {"version", "experiment", "input", "classes", "networks",
                                       "premodel", "safety", "files", NULL};
static const char *const input_keys[] = {"width", "height", "channels", NULL};
static const char *const net_keys[] = {"name", "cfg", "weights", "outputs", "latency_ms", "flops", NULL};
static const char *const pm_keys[] = {"file", "kind", "features", NULL};
static const char *const safety_keys[] = {"fallback", "on_other", "min_confidence", "min_prob",
                                           "chain", NULL};
static const char *const file_keys[] = {"path", "size", "crc32", NULL};

/* Entry i of the list l named `name`: a group with no key but keys (where
 * names it in the message). */
static msp_status group_entry(rd *r, const config_setting_t *l, const char *name, int i,
                              const char *where, const char *const *keys, config_setting_t **g)
{
    *g = config_setting_get_elem(l, (unsigned)i);
    if (config_setting_type(*g) != CONFIG_TYPE_GROUP)
        return msp_conf_bad(r, *g, "%s[%d] must be a group { ... }", name, i);
    return msp_conf_known_keys(r, *g, where, keys);
}

static msp_status read_nets(rd *r, const char *dir, const config_setting_t *root,
                            msp_bundle_manifest *m)
{
    config_setting_t *l;
    int n;
    msp_status st = get_list(r, root, "networks", CONFIG_TYPE_LIST, MSP_BUNDLE_MAX_NETS, &l, &n);
    if (st != MSP_OK) return st;
    m->nets = msp_calloc((size_t)n, sizeof *m->nets);
    m->n_nets = n;
    for (int j = 0; j < n && st == MSP_OK; j++) {
        config_setting_t *g, *o;
        msp_bundle_net *bn = &m->nets[j];
        long long fl;
        int no;
        if ((st = group_entry(r, l, "networks", j, "a network", net_keys, &g)) ||
            (st = get_name(r, g, "name", &bn->name)) ||
            (st = get_path(r, dir, g, "cfg", &bn->cfg)) ||
            (st = get_path(r, dir, g, "weights", &bn->weights)) ||
            (st = get_num(r, g, "latency_ms", 0, 1e9, &bn->latency_ms)) ||
            (st = get_i64(r, g, "flops", 0, (long long)1 << 60, &fl)) ||
            (st = get_list(r, g, "outputs", CONFIG_TYPE_ARRAY, m->n_classes + 1, &o, &no)))
            break;
        bn->flops = fl;
        bn->outputs = msp_malloc(sizeof(int) * (size_t)no);
        bn->n_outputs = no;
        int others = 0;
        for (int k = 0; k < no && st == MSP_OK; k++) {
            config_setting_t *e;
            if ((st = elem(r, o, "outputs", k, CONFIG_TYPE_INT, &e))) break;
            long long v = config_setting_get_int64(e);
            if (v < -1 || v >= m->n_classes)
                st = msp_conf_bad(r, e, "output %d of '%s' is class %lld; classes are 0 to %d (-1 = other)", k,
                                  bn->name, v, m->n_classes - 1);
            for (int q = 0; q < k && st == MSP_OK; q++)
                if (v >= 0 && bn->outputs[q] == v)
                    st = msp_conf_bad(r, e, "'%s' maps two outputs to class %lld", bn->name, v);
            others += v < 0;
            bn->outputs[k] = (int)v;
        }
        if (st == MSP_OK && others > 1) st = msp_conf_bad(r, o, "'%s' has more than one 'other' output", bn->name);
        for (int q = 0; q < j && st == MSP_OK; q++)
            if (!strcmp(m->nets[q].name, bn->name)) st = msp_conf_bad(r, g, "two networks are named '%s'", bn->name);
    }
    return st;
}

typedef struct named {
    const char *s;
    int i;
} named;

static int cmp_named(const void *a, const void *b)
{
    const named *x = a, *y = b;
    int c = strcmp(x->s, y->s);
    return c ? c : (x->i > y->i) - (x->i < y->i);
}

/* Two classes of one name would make answers ambiguous. */
static msp_status classes_distinct(rd *r, const config_setting_t *l, const msp_bundle_manifest *m)
{
    named *v = msp_malloc(sizeof *v * (size_t)m->n_classes);
    for (int i = 0; i < m->n_classes; i++) v[i] = (named){m->classes[i], i};
    qsort(v, (size_t)m->n_classes, sizeof *v, cmp_named);
    msp_status st = MSP_OK;
    for (int i = 1; i < m->n_classes && st == MSP_OK; i++)
        if (!strcmp(v[i - 1].s, v[i].s))
            st = msp_conf_bad(r, config_setting_get_elem(l, (unsigned)v[i].i),
                              "classes %d and %d are both named \"%s\"", v[i - 1].i, v[i].i, v[i].s);
    free(v);
    return st;
}

/* classes: the names `run` prints, one per class: strings of printable
 * UTF-8 (no control character: a newline or ESC would reach the terminal),
 * non-empty, distinct. */
static msp_status read_classes(rd *r, const config_setting_t *root, msp_bundle_manifest *m)
{
    config_setting_t *l;
    int n;
    msp_status st = get_list(r, root, "classes", CONFIG_TYPE_ARRAY, MSP_BUNDLE_MAX_CLASSES, &l, &n);
    if (st != MSP_OK) return st;
    m->classes = msp_calloc((size_t)n, sizeof *m->classes);
    m->n_classes = n;
    for (int i = 0; i < n; i++) {
        config_setting_t *e;
        if ((st = elem(r, l, "classes", i, CONFIG_TYPE_STRING, &e))) return st;
        const char *v = config_setting_get_string(e);
        long at = msp_utf8_unprintable(v);
        if (!*v) return msp_conf_bad(r, e, "class %d is empty", i);
        if (strlen(v) > 256) return msp_conf_bad(r, e, "class %d is longer than 256 bytes", i);
        if (at >= 0)
            return msp_conf_bad(r, e, "class %d has a control character or invalid UTF-8 at byte %ld", i, at + 1);
        m->classes[i] = msp_strdup(v);
    }
    return classes_distinct(r, l, m);
}

/* The outputs array of networks[j]. */
static const config_setting_t *outputs_of(const config_setting_t *root, int j)
{
    const config_setting_t *g = config_setting_get_elem(config_setting_get_member(root, "networks"), (unsigned)j);
    return config_setting_get_member(g, "outputs");
}

/* Does network n answer every class, never 'other'? (Its classes are
 * distinct and in range, so n_classes outputs without -1 are all of them.) */
static int answers_all(const msp_bundle_net *n, int n_classes)
{
    if (n->n_outputs != n_classes) return 0;
    for (int k = 0; k < n->n_outputs; k++)
        if (n->outputs[k] < 0) return 0;
    return 1;
}

/* What `run` relies on to map outputs to classes: networks[0] is the base,
 * whose output k is class k (so the class names are its outputs, and every
 * class is answered by one network at least); every other network answers
 * some class; the fallback, which answers for the others, answers every
 * class and never 'other'. */
static msp_status check_class_maps(rd *r, const config_setting_t *root, const msp_bundle_manifest *m)
{
    const msp_bundle_net *b = &m->nets[0];
    const config_setting_t *o = outputs_of(root, 0);
    if (b->n_outputs != m->n_classes)
        return msp_conf_bad(r, o, "networks[0] '%s' is the base network: it has %d outputs for %d classes; "
                                  "they must be equal", b->name, b->n_outputs, m->n_classes);
    for (int k = 0; k < b->n_outputs; k++)
        if (b->outputs[k] != k)
            return msp_conf_bad(r, config_setting_get_elem(o, (unsigned)k),
                                "networks[0] '%s' is the base network: output %d must be class %d, not %d",
                                b->name, k, k, b->outputs[k]);
    for (int j = 1; j < m->n_nets; j++)
        if (m->nets[j].n_outputs == 1 && m->nets[j].outputs[0] < 0)
            return msp_conf_bad(r, outputs_of(root, j), "'%s' maps no output to a class", m->nets[j].name);
    int f = m->safety.fallback;
    if (f >= 0 && !answers_all(&m->nets[f], m->n_classes))
        return msp_conf_bad(r, config_setting_get_member(config_setting_get_member(root, "safety"), "fallback"),
                            "safety.fallback is network %d ('%s'), which does not answer every class: the "
                            "fallback must have an output for every class and none for 'other'",
                            f, m->nets[f].name);
    return MSP_OK;
}

static msp_status read_files(rd *r, const char *dir, const config_setting_t *root,
                             msp_bundle_manifest *m)
{
    config_setting_t *l;
    int n;
    msp_status st = get_list(r, root, "files", CONFIG_TYPE_LIST, MSP_BUNDLE_MAX_FILES, &l, &n);
    if (st != MSP_OK) return st;
    m->files = msp_calloc((size_t)n, sizeof *m->files);
    m->n_files = n;
    for (int i = 0; i < n && st == MSP_OK; i++) {
        config_setting_t *g;
        msp_bundle_file *bf = &m->files[i];
        long long sz, crc;
        if ((st = group_entry(r, l, "files", i, "a file entry", file_keys, &g)) ||
            (st = get_path(r, dir, g, "path", &bf->path)) ||
            (st = get_i64(r, g, "size", 0, (long long)MSP_BUNDLE_MAX_FILE_SIZE, &sz)) ||
            (st = get_i64(r, g, "crc32", 0, 0xffffffffLL, &crc)))
            break;
        bf->size = (uint64_t)sz;
        bf->crc = (uint32_t)crc;
        for (int q = 0; q < i && st == MSP_OK; q++)
            if (!strcmp(m->files[q].path, bf->path)) st = msp_conf_bad(r, g, "'%s' is listed twice", bf->path);
    }
    return st;
}

/* Every named file must be listed (and so verified). */
static msp_status listed(rd *r, const config_setting_t *root, const msp_bundle_manifest *m,
                         const char *p)
{
    for (int i = 0; i < m->n_files; i++)
        if (!strcmp(m->files[i].path, p)) return MSP_OK;
    return msp_conf_bad(r, config_setting_get_member(root, "files"),
                        "'%s' has no entry (size and crc32) in 'files'", p);
}

static msp_status verify_files(const char *dir, const msp_bundle_manifest *m, msp_err *err)
{
    for (int i = 0; i < m->n_files; i++) {
        const msp_bundle_file *bf = &m->files[i];
        char *p = msp_strcat3(dir, "/", bf->path);
        struct stat sb;
        msp_status st = MSP_OK;
        if (lstat(p, &sb) != 0)
            st = msp_err_set(err, MSP_BAD_INPUT, p, 0, "missing from the bundle (%s): copy the whole bundle folder again",
                             strerror(errno));
        else if (!S_ISREG(sb.st_mode))
            st = msp_err_set(err, MSP_BAD_INPUT, p, 0, "not a regular file (links are refused in a bundle)");
        else if ((uint64_t)sb.st_size != bf->size)
            st = msp_err_set(err, MSP_BAD_INPUT, p, 0, "%s: %llu bytes, but the manifest says %llu",
                             (uint64_t)sb.st_size < bf->size ? "truncated" : "wrong size",
                             (unsigned long long)sb.st_size, (unsigned long long)bf->size);
        uint64_t sz;
        uint32_t crc;
        if (st == MSP_OK && (st = msp_file_crc32(p, &crc, &sz, err)) == MSP_OK &&
            (sz != bf->size || crc != bf->crc))
            st = msp_err_set(err, MSP_BAD_INPUT, p, 0,
                             "checksum mismatch (CRC-32 %08lx, manifest %08lx): the file is corrupt; copy the bundle again",
                             (unsigned long)crc, (unsigned long)bf->crc);
        free(p);
        if (st != MSP_OK) return st;
    }
    return MSP_OK;
}

/* premodel.features: group names, which the parser's messages quote: the
 * list must be printable ASCII before it is parsed. Frees feats. */
static msp_status read_features(rd *r, const config_setting_t *s, char *feats, msp_bundle_manifest *m)
{
    char buf[520];
    msp_err e;
    msp_status st = MSP_OK;
    if (strcmp(shown(feats, buf, sizeof buf), feats))
        st = msp_conf_bad(r, s, "premodel features \"%s\": group names are plain ASCII words", buf);
    else if (msp_features_parse(feats, &m->features, &e) != MSP_OK)
        st = msp_conf_bad(r, s, "premodel features: %s", e.msg);
    free(feats);
    return st;
}

static msp_status read_manifest(rd *r, const char *dir, const config_setting_t *root,
                                msp_bundle_manifest *m)
{
    config_setting_t *g;
    int version;
    char *feats = NULL;
    msp_status st;
    if ((st = msp_conf_known_keys(r, root, "the manifest", top_keys)) ||
        (st = get_int(r, root, "version", 0, 1000000, &version)))
        return st;
    if (version != MSP_BUNDLE_VERSION)
        return msp_conf_bad(r, config_setting_get_member(root, "version"),
                            "bundle version %d; this msprune reads version %d", version, MSP_BUNDLE_VERSION);
    if ((st = get_name(r, root, "experiment", &m->experiment)) ||
        (st = member(r, root, "input", CONFIG_TYPE_GROUP, &g)) ||
        (st = msp_conf_known_keys(r, g, "input", input_keys)) ||
        (st = get_int(r, g, "width", 1, MSP_BUNDLE_MAX_SIDE, &m->width)) ||
        (st = get_int(r, g, "height", 1, MSP_BUNDLE_MAX_SIDE, &m->height)) ||
        (st = get_int(r, g, "channels", 1, 3, &m->channels)))
        return st;
    if (m->channels == 2) return msp_conf_bad(r, g, "channels must be 1 or 3");
    if ((st = read_classes(r, root, m)) || (st = read_nets(r, dir, root, m))) return st;
    if ((st = member(r, root, "premodel", CONFIG_TYPE_GROUP, &g)) ||
        (st = msp_conf_known_keys(r, g, "premodel", pm_keys)) ||
        (st = get_path(r, dir, g, "file", &m->premodel_file)) ||
        (st = get_name(r, g, "kind", &m->premodel_kind)) ||
        (st = get_str(r, g, "features", 512, &feats)))
        return st;
    if ((st = read_features(r, config_setting_get_member(g, "features"), feats, m))) return st;
    config_setting_t *oo;
    if ((st = member(r, root, "safety", CONFIG_TYPE_GROUP, &g)) ||
        (st = msp_conf_known_keys(r, g, "safety", safety_keys)) ||
        (st = get_int(r, g, "fallback", -1, m->n_nets - 1, &m->safety.fallback)) ||
        (st = member(r, g, "on_other", CONFIG_TYPE_BOOL, &oo)) ||
        (st = get_num(r, g, "min_confidence", 0, 1, &m->safety.min_confidence)) ||
        (st = get_min_prob(r, g, m)) || (st = get_chain(r, g, m)))
        return st;
    m->safety.on_other = config_setting_get_bool(oo);
    if ((st = check_class_maps(r, root, m)) || (st = read_files(r, dir, root, m))) return st;
    for (int j = 0; j < m->n_nets && st == MSP_OK; j++)
        if (!(st = listed(r, root, m, m->nets[j].cfg))) st = listed(r, root, m, m->nets[j].weights);
    if (st == MSP_OK) st = listed(r, root, m, m->premodel_file);
    return st;
}

msp_status msp_bundle_manifest_load(const char *dir, msp_bundle_manifest *m, msp_err *err)
{
    memset(m, 0, sizeof *m);
    char *path = msp_strcat3(dir, "/", "manifest.conf");
    rd r = {.path = path, .err = err};
    config_t cf;
    config_init(&cf);
    msp_status st;
    if (access(path, F_OK) != 0)
        st = msp_err_set(err, MSP_BAD_INPUT, path, 0, "no bundle manifest here: give a folder made by `msprune deploy`");
    else
        st = msp_conffile_read(path, "a bundle manifest", MSP_BUNDLE_MAX_MANIFEST, &cf, err);
    if (st == MSP_OK) {
        st = read_manifest(&r, dir, config_root_setting(&cf), m);
        if (st == MSP_OK) st = verify_files(dir, m, err);
    }
    config_destroy(&cf);
    free(path);
    if (st != MSP_OK) msp_bundle_manifest_free(m);
    return st;
}

/* Is path a bundle folder (holds manifest.conf)? */
int msp_is_bundle_dir(const char *path)
{
    struct stat sb;
    if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode)) return 0;
    char *m = msp_strcat3(path, "/", "manifest.conf");
    int ok = msp_file_readable(m);
    free(m);
    return ok;
}
