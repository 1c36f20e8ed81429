/* fuzz_bundle.c: libFuzzer harness for the bundle manifest reader
 * (msp_bundle_manifest_load). The input is manifest.conf; the folder holds
 * base.cfg, base.weights, s0.cfg, s0.weights and premodel.bin, each "x\n"
 * (2 bytes, CRC-32 1189742623), so that a manifest naming
 * them can pass. A refused manifest leaves the struct zeroed and a message
 * without control characters (names from the file are quoted in it); an
 * accepted one keeps what `run` relies on (runtime/bundle.h). */
#include "fuzz_common.h"
#include "runtime/bundle.h"
#include "base/utf8.h"

static const char *const leaves[] = {"base.cfg", "base.weights", "s0.cfg", "s0.weights",
                                     "premodel.bin"};

/* No C0, DEL or C1 control character (U+0080..U+009F as C2 80..C2 9F). */
static int printable(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f || (p[0] == 0xc2 && p[1] >= 0x80 && p[1] < 0xa0)) return 0;
    return 1;
}

static int listed(const msp_bundle_manifest *m, const char *path)
{
    for (int i = 0; i < m->n_files; i++)
        if (!strcmp(m->files[i].path, path)) return 1;
    return 0;
}

static void check_net(const msp_bundle_manifest *m, int j)
{
    const msp_bundle_net *n = &m->nets[j];
    FUZZ_REQUIRE(n->n_outputs >= 1 && n->n_outputs <= m->n_classes + 1);
    int other = 0, classes = 0;
    for (int k = 0; k < n->n_outputs; k++) {
        int c = n->outputs[k];
        FUZZ_REQUIRE(c >= -1 && c < m->n_classes);
        other += c < 0;
        classes += c >= 0;
        for (int q = 0; q < k; q++) FUZZ_REQUIRE(c < 0 || n->outputs[q] != c);
    }
    FUZZ_REQUIRE(other <= 1 && classes >= 1);
    if (j == 0)
        for (int k = 0; k < n->n_outputs; k++) FUZZ_REQUIRE(n->outputs[k] == k);
    FUZZ_REQUIRE(j != 0 || n->n_outputs == m->n_classes);
    FUZZ_REQUIRE(!msp_bundle_path_problem(n->cfg) && !msp_bundle_path_problem(n->weights));
    FUZZ_REQUIRE(listed(m, n->cfg) && listed(m, n->weights));
    FUZZ_REQUIRE(printable(n->name));
    FUZZ_REQUIRE(m->safety.min_prob[j] >= 0 && m->safety.min_prob[j] <= 1);
}

static void check_accepted(const msp_bundle_manifest *m)
{
    FUZZ_REQUIRE(m->n_nets >= 1 && m->n_nets <= MSP_BUNDLE_MAX_NETS);
    FUZZ_REQUIRE(m->n_classes >= 1 && m->n_classes <= MSP_BUNDLE_MAX_CLASSES);
    FUZZ_REQUIRE(m->channels == 1 || m->channels == 3);
    FUZZ_REQUIRE(printable(m->experiment) && printable(m->premodel_kind));
    for (int i = 0; i < m->n_classes; i++)
        FUZZ_REQUIRE(m->classes[i][0] && msp_utf8_unprintable(m->classes[i]) < 0);
    for (int j = 0; j < m->n_nets; j++) check_net(m, j);
    int f = m->safety.fallback;
    FUZZ_REQUIRE(f >= -1 && f < m->n_nets);
    FUZZ_REQUIRE(f < 0 || m->nets[f].n_outputs == m->n_classes);
    for (int k = 0; f >= 0 && k < m->nets[f].n_outputs; k++) FUZZ_REQUIRE(m->nets[f].outputs[k] >= 0);
    FUZZ_REQUIRE(listed(m, m->premodel_file));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        for (size_t i = 0; i < sizeof leaves / sizeof *leaves; i++)
            fuzz_file(leaves[i], (const uint8_t *)"x\n", 2);
        ready = 1;
    }
    fuzz_file("manifest.conf", data, size);
    msp_err err = {{0}};
    msp_bundle_manifest m;
    msp_status st = msp_bundle_manifest_load(fuzz_dir(), &m, &err);
    if (st != MSP_OK) {
        fuzz_check_failure(st, &err);
        FUZZ_REQUIRE(printable(err.msg));
        FUZZ_REQUIRE(fuzz_zeroed(&m, sizeof m));
        return 0;
    }
    check_accepted(&m);
    msp_bundle_manifest_free(&m);
    return 0;
}
