/* al_time.h: UTC calendar arithmetic for timestamps and daily file names, without the C library's time
 * zone machinery (no TZ, no locale, no timegm). */
#ifndef AL_TIME_H
#define AL_TIME_H

#include <stdint.h>

/* Milliseconds since the Unix epoch, from CLOCK_REALTIME. */
int64_t al_realtime_ms(void);
/* Days since 1970-01-01 of a millisecond timestamp (floor). */
int64_t al_day_of_ms(int64_t ms);
/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
int64_t al_days_from_civil(int64_t year, unsigned month, unsigned day);
void al_civil_from_days(int64_t days, int64_t *year, unsigned *month, unsigned *day);
/* "YYYY-MM-DDTHH:MM:SS.mmmZ" plus a NUL (25 bytes). */
void al_format_rfc3339_ms(int64_t ms, char out[25]);
/* "YYYY-MM-DD" plus a NUL (11 bytes). */
void al_format_date(int64_t days, char out[11]);
/* Parses exactly "YYYY-MM-DD" (a real calendar date) into days since the epoch. 0 or -1. */
int al_parse_date(const char *text, int64_t *days);

#endif
