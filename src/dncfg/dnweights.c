/* dnweights.c: check a Darknet .weights file against a checked network.
 *
 * Darknet's load_weights reads three int32 (major, minor, revision), then
 * `seen` as a 64-bit size_t when major*10+minor >= 2 (and both < 1000) or as
 * an int32 otherwise, then every layer's floats in order; it never checks the
 * file size, so a truncated file loads silently. Here the file must hold
 * exactly header + 4 * net->n_weights_floats bytes. Little-endian, as on
 * every machine Darknet runs on here (amd64, arm64).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/base.h"
#include "dncfg.h"

static int32_t le32(const unsigned char *p)
{
    return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                     (uint32_t)p[3] << 24);
}

static msp_status read_header(int fd, const char *path, uint64_t size, msp_dn_weights_header *hdr,
                              msp_err *err)
{
    unsigned char buf[20];
    size_t got;
    if (msp_read_full(fd, buf, sizeof buf, &got) != 0)
        return msp_err_set(err, MSP_FAIL, path, 0, "cannot read: %s", strerror(errno));
    if (got < 16)
        return msp_err_set(err, MSP_BAD_INPUT, path, 0,
                           "truncated: %llu bytes, too short even for the 16-byte header",
                           (unsigned long long)size);
    hdr->major = le32(buf);
    hdr->minor = le32(buf + 4);
    hdr->revision = le32(buf + 8);
    /* Darknet's test, in int arithmetic as it writes it. */
    int wide = (int64_t)hdr->major * 10 + hdr->minor >= 2 && hdr->major < 1000 && hdr->minor < 1000;
    if (wide) {
        if (got < 20)
            return msp_err_set(err, MSP_BAD_INPUT, path, 0,
                               "truncated: %llu bytes, too short for the 20-byte header of "
                               "version %d.%d", (unsigned long long)size, hdr->major, hdr->minor);
        hdr->seen = (uint64_t)(uint32_t)le32(buf + 12) | (uint64_t)(uint32_t)le32(buf + 16) << 32;
        hdr->header_bytes = 20;
    } else {
        hdr->seen = (uint64_t)(uint32_t)le32(buf + 12);
        hdr->header_bytes = 16;
    }
    return MSP_OK;
}

/* A NaN or infinite weight makes every output NaN: the network diverged or
 * the file is damaged. Names the layer (0-based, as Darknet counts). */
static msp_status check_finite(int fd, const char *path, const msp_dn_weights_header *hdr,
                               const msp_dn_net *net, msp_err *err)
{
    if (lseek(fd, (off_t)hdr->header_bytes, SEEK_SET) < 0)
        return msp_err_set(err, MSP_FAIL, path, 0, "cannot read: %s", strerror(errno));
    float buf[16384];
    size_t at = 0; /* floats read so far */
    int layer = 0;
    size_t layer_end = net->n_layers ? net->layers[0].n_weights_floats : 0;
    while (at < net->n_weights_floats) {
        size_t want = net->n_weights_floats - at, got;
        if (want > sizeof buf / sizeof *buf) want = sizeof buf / sizeof *buf;
        if (msp_read_full(fd, buf, want * sizeof *buf, &got) != 0 || got != want * sizeof *buf)
            return msp_err_set(err, MSP_FAIL, path, 0, "cannot read: %s", errno ? strerror(errno) : "short read");
        for (size_t i = 0; i < want; i++, at++) {
            while (at >= layer_end && layer + 1 < net->n_layers)
                layer_end += net->layers[++layer].n_weights_floats;
            uint32_t bits;
            memcpy(&bits, &buf[i], 4);
            if ((le32((unsigned char *)&bits) & 0x7f800000u) == 0x7f800000u)
                return msp_err_set(err, MSP_BAD_INPUT, path, 0,
                                   "weight %zu (layer %d) is not a finite number; the network "
                                   "diverged in training or the file is damaged", at, layer);
        }
    }
    return MSP_OK;
}

msp_status msp_dnweights_check(const char *path, const msp_dn_net *net,
                               msp_dn_weights_header *hdr_out, msp_err *err)
{
    msp_dn_weights_header hdr = {0};
    if (hdr_out) memset(hdr_out, 0, sizeof *hdr_out);
    int fd;
    uint64_t size;
    msp_status st = msp_open_regular(path, &fd, &size, err);
    if (st != MSP_OK) return st;
    st = read_header(fd, path, size, &hdr, err);
    uint64_t want = hdr.header_bytes + 4 * (uint64_t)net->n_weights_floats;
    if (st == MSP_OK && size != want) {
        long long diff = (long long)size - (long long)want;
        st = msp_err_set(err, MSP_BAD_INPUT, path, 0,
                         "%s: the file is %llu bytes but the network needs %llu (%zu-byte "
                         "header + %zu floats); %s %lld bytes: is it the weights of this cfg?",
                         size < want ? "truncated" : "oversized", (unsigned long long)size,
                         (unsigned long long)want, hdr.header_bytes, net->n_weights_floats,
                         size < want ? "missing" : "extra", diff < 0 ? -diff : diff);
    }
    if (st == MSP_OK) st = check_finite(fd, path, &hdr, net, err);
    close(fd);
    if (st == MSP_OK && hdr_out) *hdr_out = hdr;
    return st;
}
