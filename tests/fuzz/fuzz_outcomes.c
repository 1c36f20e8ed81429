/* fuzz_outcomes.c: libFuzzer harness for the outcomes CSV reader
 * (msp_outcomes_load): a loaded file passes msp_outcomes_check; a refused
 * one is zeroed. */
#include "fuzz_common.h"
#include "selector/outcomes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file("outcomes.csv", data, size);
    msp_err err = {{0}};
    msp_outcomes o;
    msp_status st = msp_outcomes_load(path, &o, &err);
    if (st != MSP_OK) {
        fuzz_check_failure(st, &err);
        FUZZ_REQUIRE(fuzz_zeroed(&o, sizeof o));
        return 0;
    }
    FUZZ_REQUIRE(msp_outcomes_check(&o, &err) == MSP_OK);
    msp_outcomes_free(&o);
    return 0;
}
