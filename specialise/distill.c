/* distill.c: the base network as the teacher of a specialist's fine-tuning
 * (knowledge distillation, Hinton, Vinyals and Dean 2015).
 *
 * A pruned specialist fine-tuned on hard labels alone learns the cluster's
 * classes again from scratch signals; the base's probabilities also say how
 * alike two classes look on each image (a shirt that could be a T-shirt),
 * which is exactly what the hard cluster needs. The teacher's distribution
 * is softened by a temperature T (p^(1/T), renormalised: softmax(z/T) from
 * the softmax's own output) and folded onto the specialist's outputs: a
 * class of the cluster onto its output, every other class onto `other`.
 * Computed once per job from the base's files, so it is a deterministic
 * function of them and a resumed fine-tuning sees the same targets. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "train/train.h"
#include "specialise/specialise.h"
#include "base/base.h"

/* p^(1/T), kept away from log(0). */
static double soften(float p, double temperature)
{
    return exp(log(fmax(p, 1e-30)) / temperature);
}

void msp_spec_soften(const float *p, int n_classes, double temperature, const int *outputs,
                     int n_outputs, float *soft)
{
    int other = -1;
    for (int o = 0; o < n_outputs; o++)
        if (outputs[o] < 0) other = o;
    memset(soft, 0, sizeof(float) * (size_t)n_outputs);
    double kept = 0; /* renormalising by what is kept also divides by the sum of q */
    for (int c = 0; c < n_classes; c++) {
        int to = other;
        for (int o = 0; o < n_outputs; o++)
            if (outputs[o] == c) to = o;
        if (to < 0) continue; /* no output for it: dropped, the rest renormalised */
        double q = soften(p[c], temperature);
        soft[to] += (float)q;
        kept += q;
    }
    for (int o = 0; o < n_outputs; o++)
        soft[o] = kept > 0 ? (float)(soft[o] / kept) : 1.0f / (float)n_outputs;
}

msp_status msp_spec_teacher_targets(const char *cfg, const char *weights, const msp_dataset *ds,
                                    const int *outputs, int n_outputs, double temperature,
                                    msp_engine_kind engine, float **out, msp_err *err)
{
    *out = NULL;
    msp_net *net = NULL;
    msp_net_opts no = {.batch = 100, .engine = engine};
    msp_status st = msp_net_load(cfg, weights, &no, &net, err);
    if (st != MSP_OK) return st;
    int nc = msp_net_classes(net);
    if (msp_net_inputs(net) != (int)msp_dataset_example_size(ds)) {
        msp_net_free(net);
        return msp_err_set(err, MSP_BAD_INPUT, cfg, 0,
                           "teacher takes %d inputs, the specialist's images have %zu",
                           msp_net_inputs(net), msp_dataset_example_size(ds));
    }
    float *p = msp_malloc(sizeof(float) * (size_t)ds->n * (size_t)nc);
    msp_eval_outputs_progress(net, ds, p, "teacher");
    msp_net_free(net);
    float *soft = msp_malloc(sizeof(float) * (size_t)ds->n * (size_t)n_outputs);
    for (int i = 0; i < ds->n; i++)
        msp_spec_soften(p + (size_t)i * nc, nc, temperature, outputs, n_outputs,
                        soft + (size_t)i * n_outputs);
    free(p);
    *out = soft;
    return MSP_OK;
}
