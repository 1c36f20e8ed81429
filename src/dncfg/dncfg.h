/* dncfg.h: msprune's own reader, writer and validator for Darknet .cfg files,
 * and the size check of Darknet .weights files.
 *
 * Darknet (pjreddie, 2018) segfaults or exits 0 on bad cfgs, so every cfg is
 * read and checked here before Darknet sees it. The checker reproduces the
 * shape arithmetic of Darknet's parser.c and the float counts of its
 * load_weights, for the classifier layers only; detector and recurrent
 * sections are rejected.
 *
 * Reading follows Darknet's read_cfg: every line has ALL its whitespace
 * removed (so "max_batches = 5000" is key "max_batches", value "5000", and
 * "layers = -1, -4" has value "-1,-4"); '\r' counts as whitespace too, so
 * CRLF files read fine here. Darknet itself keeps '\r', so hand Darknet a
 * file written by msp_dncfg_write, never the user's original.
 * Comments (lines starting with '#' or ';') are not kept by the writer.
 *
 * Ownership: msp_dn_cfg and msp_dn_net own everything they point to; free
 * them with msp_dncfg_free / msp_dnnet_free (safe on zeroed structs). On
 * error every function leaves its output struct zeroed.
 */
#ifndef MSP_DNCFG_H
#define MSP_DNCFG_H

#include <stddef.h>
#include <stdint.h>

#include "base/base.h"

/* Caps that keep any cfg from making msprune or Darknet allocate absurd
 * memory. Stock classifier cfgs stay far below them. */
#define MSP_DN_MAX_FILE_BYTES (16u << 20)   /* whole cfg file */
#define MSP_DN_MAX_LINE_BYTES (64u << 10)   /* one cfg line */
#define MSP_DN_MAX_SECTIONS 65536           /* sections per file */
#define MSP_DN_MAX_KEYS 1024                /* keys per section */
#define MSP_DN_MAX_DIM 65536                /* width, height, channels, filters, size, ... */
#define MSP_DN_MAX_LAYER_ELEMS (1ull << 28) /* floats in one layer's input, output or workspace */
#define MSP_DN_MAX_PARAMS (1ull << 31)      /* weight floats of the whole net */
#define MSP_DN_MAX_ACTIVATIONS (1ull << 31) /* sum of layer outputs x (batch/subdivisions) */

/* ---- syntax ---------------------------------------------------------- */

typedef struct msp_dn_kv {
    char *key, *value; /* owned; whitespace already removed */
    int line;          /* 1-based line in the file, 0 if added by msp_dncfg_set */
    int used;          /* set by msp_dncfg_check when the key is one Darknet reads */
} msp_dn_kv;

typedef struct msp_dn_section {
    char *type; /* owned; "net", "convolutional", ... without brackets */
    int line;
    msp_dn_kv *kv; /* owned, n_kv entries */
    int n_kv;
} msp_dn_section;

typedef struct msp_dn_cfg {
    char *path; /* owned; the name used in messages */
    msp_dn_section *sec; /* owned; sec[0] is [net] or [network] */
    int n_sec;
} msp_dn_cfg;

/* Read a cfg file (syntax only: sections, keys, caps, first section [net]).
 * Open/read failure -> MSP_FAIL; bad syntax -> MSP_BAD_INPUT "path:line: ...". */
msp_status msp_dncfg_read(const char *path, msp_dn_cfg *cfg, msp_err *err);
/* The same on text in memory; name stands for the path in messages. */
msp_status msp_dncfg_parse_string(const char *text, const char *name, msp_dn_cfg *cfg,
                                  msp_err *err);
/* Write atomically (path.tmp.<pid>, fsync, rename) in Darknet's format. */
msp_status msp_dncfg_write(const msp_dn_cfg *cfg, const char *path, msp_err *err);
/* Value of key in s, NULL if absent. */
const char *msp_dncfg_get(const msp_dn_section *s, const char *key);
/* Replace key's value, or append key=value (line 0). Copies both strings. */
void msp_dncfg_set(msp_dn_section *s, const char *key, const char *value);
/* msp_dncfg_set with an integer value. */
void msp_dncfg_set_int(msp_dn_section *s, const char *key, int value);
/* A deep copy of src into dst (which needs no prior init). */
void msp_dncfg_copy(const msp_dn_cfg *src, msp_dn_cfg *dst);
void msp_dncfg_free(msp_dn_cfg *cfg);

/* ---- semantics ------------------------------------------------------- */

typedef enum msp_layer_type {
    MSP_L_CONV,
    MSP_L_CONNECTED,
    MSP_L_MAXPOOL,
    MSP_L_AVGPOOL,
    MSP_L_SOFTMAX,
    MSP_L_DROPOUT,
    MSP_L_ROUTE,
    MSP_L_SHORTCUT,
    MSP_L_BATCHNORM,
    MSP_L_COST,
    MSP_L_CROP,
    MSP_L_LOCAL,
    MSP_L_ACTIVE,
    MSP_L_REORG,
    MSP_L_NORMALIZATION
} msp_layer_type;

/* Darknet's canonical section name of a layer type ("convolutional", ...). */
const char *msp_dn_layer_type_name(msp_layer_type t);

typedef struct msp_dn_layer {
    msp_layer_type type;
    int section; /* index into cfg->sec */
    int line;    /* line of the section header */
    /* Shapes as Darknet computes them. A "flat" output (softmax, cost,
     * reorg with extra=, and dropout/activation/route of flat layers) has
     * Darknet's out_w = out_h = out_c = 0; here it is 1 x 1 x outputs with
     * flat = 1, and layers that need an image refuse it as Darknet does.
     * connected is 1 x 1 x outputs with flat = 0 (Darknet's own shape). */
    int in_w, in_h, in_c, out_w, out_h, out_c;
    int inputs, outputs;
    int flat;
    /* Parameters that matter downstream (0 where they do not apply). */
    int filters;         /* conv, local: n; connected: output */
    int size, stride;    /* conv, local, maxpool, reorg(stride), normalization(size) */
    int pad;             /* resolved padding in pixels: conv (pad=1 -> size/2), maxpool
                          * (default size-1); local: Darknet's pad flag (0 or 1) */
    int groups;          /* conv, softmax */
    int batch_normalize; /* conv, connected */
    const char *activation; /* static name, e.g. "leaky"; NULL where none */
    int *route_layers;   /* owned; route: absolute indices of earlier layers */
    int n_route_layers;
    int from;            /* shortcut: absolute index of an earlier layer; -1 otherwise */
    int reverse, extra;  /* reorg */
    int dontload, dontloadscales, numload; /* per-layer load_weights switches */
    size_t n_weights_floats; /* floats load_weights reads for this layer */
    double flops; /* 2 x multiply-adds of one forward pass, batch 1: conv
                   * 2*n*size*size*(c/groups)*out_h*out_w (Darknet's BFLOPs),
                   * local 2*n*size*size*c*out_h*out_w, connected 2*in*out, others 0 */
} msp_dn_layer;

typedef struct msp_dn_net {
    int w, h, c;            /* [net] width, height, channels */
    int batch, subdivisions, max_batches; /* [net] values as written (Darknet runs
                                           * batch/subdivisions images at a time) */
    int n_layers;
    msp_dn_layer *layers;   /* owned, one per section after [net] */
    int classes;            /* outputs of the last layer that is not [cost] */
    size_t n_weights_floats; /* sum over layers */
    double flops;           /* sum over layers */
} msp_dn_net;

/* Validate every section, key and value of cfg and infer shapes as Darknet
 * would; marks kv[].used. Bad cfg -> MSP_BAD_INPUT with the offending line. */
msp_status msp_dncfg_check(msp_dn_cfg *cfg, msp_dn_net *net, msp_err *err);
void msp_dnnet_free(msp_dn_net *net);

/* ---- .weights -------------------------------------------------------- */

typedef struct msp_dn_weights_header {
    int major, minor, revision;
    uint64_t seen;       /* images seen in training */
    size_t header_bytes; /* 20 when seen is 64-bit (major*10+minor >= 2), else 16 */
} msp_dn_weights_header;

/* Check that path is exactly header + 4*net->n_weights_floats bytes long, as
 * Darknet's load_weights would read it. Truncated, oversized or not a regular
 * file -> MSP_BAD_INPUT (message gives both sizes); I/O failure -> MSP_FAIL.
 * hdr (may be NULL) receives the header; zeroed on error. */
msp_status msp_dnweights_check(const char *path, const msp_dn_net *net,
                               msp_dn_weights_header *hdr, msp_err *err);

#endif
