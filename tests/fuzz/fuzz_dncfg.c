/* fuzz_dncfg.c: libFuzzer harness for the Darknet .cfg reader and validator
 * (msp_dncfg_read, msp_dncfg_check).
 *
 * Beyond "no crash, no leak, no UB" it checks the contract: on error the
 * outputs are zeroed and the message is set; a cfg that passes the check
 * survives msp_dncfg_write + read + check with the same shapes and counts
 * (what msprune hands Darknet means what the user wrote).
 */
#include "dncfg/dncfg.h"
#include "fuzz_common.h"

static void same_net(const msp_dn_net *a, const msp_dn_net *b)
{
    FUZZ_REQUIRE(a->n_layers == b->n_layers);
    FUZZ_REQUIRE(a->w == b->w && a->h == b->h && a->c == b->c);
    FUZZ_REQUIRE(a->classes == b->classes);
    FUZZ_REQUIRE(a->n_weights_floats == b->n_weights_floats);
    for (int i = 0; i < a->n_layers; i++) {
        FUZZ_REQUIRE(a->layers[i].type == b->layers[i].type);
        FUZZ_REQUIRE(a->layers[i].outputs == b->layers[i].outputs);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file("in.cfg", data, size);
    msp_err err = {{0}};
    msp_dn_cfg cfg;
    msp_status st = msp_dncfg_read(path, &cfg, &err);
    if (st != MSP_OK) {
        fuzz_check_failure(st, &err);
        FUZZ_REQUIRE(fuzz_zeroed(&cfg, sizeof cfg));
        return 0;
    }
    msp_dn_net net;
    st = msp_dncfg_check(&cfg, &net, &err);
    if (st != MSP_OK) {
        fuzz_check_failure(st, &err);
        FUZZ_REQUIRE(fuzz_zeroed(&net, sizeof net));
        msp_dncfg_free(&cfg);
        return 0;
    }
    FUZZ_REQUIRE(net.n_layers == cfg.n_sec - 1);

    /* Round trip through the writer. */
    char out[320];
    snprintf(out, sizeof out, "%s/out.cfg", fuzz_dir());
    msp_dn_cfg copy, back;
    msp_dncfg_copy(&cfg, &copy);
    st = msp_dncfg_write(&copy, out, &err);
    FUZZ_REQUIRE(st == MSP_OK);
    st = msp_dncfg_read(out, &back, &err);
    unlink(out);
    FUZZ_REQUIRE(st == MSP_OK);
    msp_dn_net net2;
    st = msp_dncfg_check(&back, &net2, &err);
    FUZZ_REQUIRE(st == MSP_OK);
    same_net(&net, &net2);
    msp_dnnet_free(&net2);
    msp_dncfg_free(&back);
    msp_dncfg_free(&copy);
    msp_dnnet_free(&net);
    msp_dncfg_free(&cfg);
    return 0;
}
