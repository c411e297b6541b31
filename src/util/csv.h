/* CSV cells: the one function every CSV writer uses for text. */
#ifndef UTIL_CSV_H
#define UTIL_CSV_H
#include <stdio.h>

/* Writes text s (NULL: empty) as one RFC 4180 cell. A cell a spreadsheet
 * would run as a formula (first character =, +, -, @, tab or carriage return)
 * is prefixed with a single quote (OWASP's CSV injection guidance); a cell
 * holding a comma, quote, CR or LF is quoted, its quotes doubled. Numbers
 * the writer formats itself are not text and do not go through here. */
void csv_field(FILE *f, const char *s);

#endif
