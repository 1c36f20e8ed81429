/* data.h: the room of what an experiment is made of. It owns the experiment
 * config (expconf.h: the schema, defaults, checks and the record of the
 * settings), the labelled image sets and their readers (dataset.h: IDX files,
 * image lists, image decoding) and an experiment's data loaded once and split
 * (experiment.h).
 *
 * Depends on: base, dncfg (the base cfg gives the input shape). */
#ifndef MSP_DATA_H
#define MSP_DATA_H

#include "dataset.h"
#include "expconf.h"
#include "experiment.h"

#endif
