/* rng.h: explicit, seedable random numbers (splitmix64 seeding + xoshiro256**).
 * State travels as an argument; nothing here is global. Darknet's own rand()
 * is seeded separately, once, in the Darknet bridge. */
#ifndef MSP_RNG_H
#define MSP_RNG_H

#include <stdint.h>

typedef struct msp_rng {
    uint64_t s[4];
} msp_rng;

void msp_rng_seed(msp_rng *r, uint64_t seed);
uint64_t msp_rng_next(msp_rng *r);
/* Uniform integer in [0, n), n > 0, without modulo bias. */
uint64_t msp_rng_below(msp_rng *r, uint64_t n);
/* Uniform double in [0, 1). */
double msp_rng_uniform(msp_rng *r);
/* Fisher-Yates shuffle of an int array. */
void msp_rng_shuffle(msp_rng *r, int *a, int n);

#endif
