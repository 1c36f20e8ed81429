/* fuzz_family.c: libFuzzer harness for the family manifest reader
 * (msp_family_load). The input is the manifest; the folder holds base.cfg,
 * base.weights, s0.cfg and s0.weights so that paths can resolve. A loaded
 * family must satisfy what the header promises; a refused one is zeroed. */
#include "fuzz_common.h"
#include "specialise/specialise.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        const char *leaves[] = {"base.cfg", "base.weights", "s0.cfg", "s0.weights"};
        for (int i = 0; i < 4; i++) fuzz_file(leaves[i], (const uint8_t *)"x\n", 2);
        ready = 1;
    }
    const char *path = fuzz_file("family.conf", data, size);
    msp_err err = {{0}};
    msp_family f;
    msp_status st = msp_family_load(path, &f, &err);
    if (st != MSP_OK) {
        fuzz_check_failure(st, &err);
        FUZZ_REQUIRE(fuzz_zeroed(&f, sizeof f));
        return 0;
    }
    FUZZ_REQUIRE(f.n_nets >= 1 && f.n_nets <= MSP_FAMILY_MAX_NETS && f.k >= 1);
    for (int i = 0; i < f.n_nets; i++) {
        const msp_family_net *n = &f.nets[i];
        FUZZ_REQUIRE(n->cfg[0] != '/' && strstr(n->cfg, "..") == NULL);
        FUZZ_REQUIRE(n->cluster >= -1 && n->cluster < f.k);
        FUZZ_REQUIRE(n->n_outputs >= 1 && n->n_outputs <= f.n_classes + 1);
        for (int j = 0; j < n->n_outputs; j++)
            FUZZ_REQUIRE(n->outputs[j] >= -1 && n->outputs[j] < f.n_classes);
    }
    msp_family_free(&f);
    return 0;
}
