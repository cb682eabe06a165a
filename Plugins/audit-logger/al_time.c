/* al_time.c: days <-> civil dates after Howard Hinnant's public-domain algorithms. */
#define _POSIX_C_SOURCE 200809L
#include "al_time.h"

#include <stdio.h>
#include <time.h>

int64_t al_realtime_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t al_day_of_ms(int64_t ms) {
    int64_t day = ms / 86400000;
    if (ms % 86400000 < 0) day--;
    return day;
}

int64_t al_days_from_civil(int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void al_civil_from_days(int64_t z, int64_t *year, unsigned *month, unsigned *day) {
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned d = doy - (153 * mp + 2) / 5 + 1;
    unsigned m = mp < 10 ? mp + 3 : mp - 9;
    *year = (int64_t)yoe + era * 400 + (m <= 2);
    *month = m;
    *day = d;
}

void al_format_date(int64_t days, char out[11]) {
    int64_t y;
    unsigned m, d;
    al_civil_from_days(days, &y, &m, &d);
    if (y < 0) y = 0;
    if (y > 9999) y = 9999;
    snprintf(out, 11, "%04d-%02u-%02u", (int)y, m, d);
}

void al_format_rfc3339_ms(int64_t ms, char out[25]) {
    int64_t day = al_day_of_ms(ms);
    int64_t rest = ms - day * 86400000; /* 0 .. 86399999 */
    char date[11];
    al_format_date(day, date);
    unsigned h = (unsigned)(rest / 3600000), mi = (unsigned)(rest / 60000 % 60), s = (unsigned)(rest / 1000 % 60);
    unsigned milli = (unsigned)(rest % 1000);
    snprintf(out, 25, "%sT%02u:%02u:%02u.%03uZ", date, h, mi, s, milli);
}

static int digits(const char *s, int n, unsigned *out) {
    unsigned v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    *out = v;
    return 0;
}

int al_parse_date(const char *t, int64_t *days) {
    unsigned y, m, d;
    if (digits(t, 4, &y) || t[4] != '-' || digits(t + 5, 2, &m) || t[7] != '-' || digits(t + 8, 2, &d) || t[10])
        return -1;
    if (m < 1 || m > 12 || d < 1 || d > 31) return -1;
    int64_t z = al_days_from_civil(y, m, d);
    int64_t y2;
    unsigned m2, d2;
    al_civil_from_days(z, &y2, &m2, &d2);
    if (m2 != m || d2 != d) return -1; /* e.g. February 30 */
    *days = z;
    return 0;
}
