/* suggest.h: "did you mean ...?" for misspelt keys, sections and values. */
#ifndef MSP_SUGGEST_H
#define MSP_SUGGEST_H

/* Optimal string alignment distance, ignoring case: insertions, deletions,
 * substitutions and adjacent transpositions ("fitlers" -> "filters" is 1).
 * Words longer than 64 characters are infinitely far (a large number). */
int msp_edit_distance(const char *a, const char *b);
/* Is a word at this distance from a candidate a plausible typo of it?
 * One edit for words up to 4 characters, two up to 7, three beyond. */
int msp_plausible_typo(const char *word, int distance);
/* The closest plausible candidate in a NULL-terminated list, or NULL. */
const char *msp_nearest(const char *word, const char *const *list);

#endif
