/* json.h: the little msprune needs to write JSON by hand with fprintf. */
#ifndef MSP_JSON_H
#define MSP_JSON_H

#include <stdio.h>

/* Write s as a quoted JSON string: '"', '\\' and control characters
 * escaped, valid UTF-8 as it is, and every byte that is not part of valid
 * UTF-8 written as U+FFFD, so that the output is always valid JSON. */
void msp_json_string(FILE *f, const char *s);
/* Write a finite double (non-finite values become null). */
void msp_json_number(FILE *f, double x);

#endif
