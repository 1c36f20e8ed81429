/* fuzz_expconf.c: libFuzzer harness for the experiment config loader
 * (msp_expconf_load: pre-scan, libconfig, schema walk).
 *
 * Paths in the input are resolved from the current folder (run from the
 * repository root, as `make fuzz` does), so seeds naming real inputs reach
 * the whole schema. On error the config must come back zeroed; on success
 * the required fields are set and within their documented ranges.
 */
#include "data/expconf.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file("in.conf", data, size);
    msp_err err = {{0}};
    msp_expconf conf;
    msp_status st = msp_expconf_load(path, &conf, &err);
    if (st != MSP_OK) {
        fuzz_check_failure(st, &err);
        FUZZ_REQUIRE(fuzz_zeroed(&conf, sizeof conf));
        return 0;
    }
    FUZZ_REQUIRE(conf.name && conf.output && conf.base.cfg && conf.base.weights);
    FUZZ_REQUIRE(strlen(conf.name) >= 1 && strlen(conf.name) <= MSP_EXPCONF_NAME_MAX);
    FUZZ_REQUIRE(conf.data.validation >= 0 && conf.data.validation <= 0.9);
    FUZZ_REQUIRE(conf.data.n_classes >= 0 && conf.data.n_classes <= MSP_EXPCONF_CLASSES_MAX);
    FUZZ_REQUIRE((conf.data.n_classes == 0) == (conf.data.classes == NULL));
    for (int i = 0; i < conf.data.n_classes; i++) FUZZ_REQUIRE(conf.data.classes[i] != NULL);
    if (conf.data.format == MSP_DATA_IDX)
        FUZZ_REQUIRE(conf.data.train_images && conf.data.test_labels && !conf.data.train_list);
    else
        FUZZ_REQUIRE(conf.data.train_list && conf.data.names && !conf.data.train_images &&
                     (conf.data.channels == 1 || conf.data.channels == 3));
    msp_expconf_free(&conf);
    FUZZ_REQUIRE(fuzz_zeroed(&conf, sizeof conf));
    return 0;
}
