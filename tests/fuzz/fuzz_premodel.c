/* fuzz_premodel.c: libFuzzer harness for the premodel file reader
 * (msp_premodel_load). A loaded model must predict a network in [0, m) with
 * a confidence in [0, 1] for any input vector; a refused file leaves no
 * model. */
#include <math.h>

#include "fuzz_common.h"
#include "selector/premodel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file("model.bin", data, size);
    msp_err err = {{0}};
    msp_premodel *pm = NULL;
    msp_status st = msp_premodel_load(path, &pm, &err);
    if (st != MSP_OK) {
        fuzz_check_failure(st, &err);
        FUZZ_REQUIRE(pm == NULL);
        return 0;
    }
    int d_in, d, m;
    msp_premodel_dims(pm, &d_in, &d, &m);
    FUZZ_REQUIRE(d_in >= 1 && m >= 1);
    float *x = calloc((size_t)d_in, sizeof(float));
    FUZZ_REQUIRE(x != NULL);
    for (int t = 0; t < 3; t++) {
        for (int j = 0; j < d_in; j++) x[j] = t == 0 ? 0.f : t == 1 ? (float)j : -1e30f;
        double c = -1;
        int k = msp_premodel_predict(pm, x, &c);
        FUZZ_REQUIRE(k >= 0 && k < m);
        FUZZ_REQUIRE(t == 2 || (c >= 0 && c <= 1));
    }
    free(x);
    msp_premodel_free(pm);
    return 0;
}
