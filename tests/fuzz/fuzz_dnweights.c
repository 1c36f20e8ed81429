/* fuzz_dnweights.c: libFuzzer harness for the .weights check
 * (msp_dnweights_check) against a fixed small network.
 *
 * The input is the whole .weights file. A file the check accepts must be
 * exactly header + 4 * floats bytes with the header Darknet would read; a
 * rejected one leaves the header output zeroed.
 */
#include "dncfg/dncfg.h"
#include "fuzz_common.h"

/* 2 conv layers on 4x4x1: 4*(1*9) + 3*4 + 2*(4*1) + 2 = 58 floats (conv
 * without batch norm: biases + weights; batch norm adds scales, mean, var). */
static const char net_cfg[] =
    "[net]\nwidth=4\nheight=4\nchannels=1\n"
    "[convolutional]\nfilters=4\nsize=3\npad=1\nactivation=leaky\nbatch_normalize=1\n"
    "[convolutional]\nfilters=2\nsize=1\nactivation=linear\n"
    "[avgpool]\n[softmax]\n";

static msp_dn_cfg cfg;
static msp_dn_net net;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    msp_err err = {{0}};
    if (!net.n_layers) {
        FUZZ_REQUIRE(msp_dncfg_parse_string(net_cfg, "net.cfg", &cfg, &err) == MSP_OK);
        FUZZ_REQUIRE(msp_dncfg_check(&cfg, &net, &err) == MSP_OK);
    }
    const char *path = fuzz_file("in.weights", data, size);
    msp_dn_weights_header hdr;
    memset(&hdr, 0xa5, sizeof hdr);
    msp_status st = msp_dnweights_check(path, &net, &hdr, &err);
    if (st != MSP_OK) {
        fuzz_check_failure(st, &err);
        FUZZ_REQUIRE(fuzz_zeroed(&hdr, sizeof hdr));
        return 0;
    }
    FUZZ_REQUIRE(hdr.header_bytes == 16 || hdr.header_bytes == 20);
    FUZZ_REQUIRE(size == hdr.header_bytes + 4 * net.n_weights_floats);
    return 0;
}
