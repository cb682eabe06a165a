/* al_journal.h: the append-only, hash-chained, daily-rotated JSON Lines file behind the audit-logger.
 *
 * One record is one line, written with ONE write(2) on an O_APPEND descriptor while holding both an
 * in-process mutex and an flock(2) on the file, so concurrent writers (threads, or other processes using
 * the same folder) never interleave, and a kill -9 leaves at most a torn last line.
 *
 * Chained record layout (immutable mode). With P the previous record's hash (or 64 zeros):
 *   hashed bytes:  {"ts":"...",<members>,"prev":"P"}
 *   written line:  {"ts":"...",<members>,"prev":"P","hash":"H"}\n   with H = sha256hex(hashed bytes)
 * i.e. the line without its last 75 bytes (`,"hash":"` + 64 hex + `"}`) plus a closing brace is what
 * was hashed. */
#ifndef AL_JOURNAL_H
#define AL_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#define AL_LOG_INFO 2u
#define AL_LOG_WARN 3u
#define AL_LOG_ERROR 4u

/* Length of `,"hash":"` + 64 hex digits + `"}`: what a chained line has after its hashed bytes. */
#define AL_HASH_SUFFIX_LEN 75

typedef struct al_journal al_journal;

typedef struct al_journal_options {
    const char *dir;    /* the folder (created with its parents when missing) */
    const char *prefix; /* files are PREFIX-YYYY-MM-DD.jsonl (UTC dates) */
    int retention_days; /* a file dated D is deleted once D <= today - retention_days */
    int immutable;      /* add "prev" and "hash" to each record */
    int fsync_every;    /* fdatasync(2) after each record */
    int64_t (*clock_ms)(void); /* wall clock in ms since the epoch; NULL: CLOCK_REALTIME (tests inject one) */
    /* Where warnings and errors go (any thread); may be NULL. `msg` is NUL-terminated. */
    void (*log)(void *ctx, unsigned level, const char *msg);
    void *log_ctx;
} al_journal_options;

/* Creates the folder, deletes expired files, opens today's file and recovers the chain from the last
 * complete record (of today's file, else of the newest earlier file). 0, or -1 with a reason in err. */
int al_journal_open(const al_journal_options *options, al_journal **out, char *err, size_t err_cap);
/* Appends one record whose body is `members`: JSON object members without braces (e.g.
 * `"a":1,"b":"x"`), to which "ts" (first) and, when immutable, "prev" and "hash" (last) are added.
 * Thread-safe. 0 on success, -1 when the record could not be written (the chain stays consistent: the
 * next record chains onto the last one that was written). */
int al_journal_append(al_journal *j, const char *members, size_t len);
void al_journal_close(al_journal *j);

/* Checks whether `line` (without its '\n') is a chained record. Returns 1 and copies its "hash" into
 * hash (65 bytes) when it ends with a well-formed hash field; *altered is set when the hash does not
 * match the line's content. Returns 0 otherwise. */
int al_record_hash(const char *line, size_t len, char hash[65], int *altered);

#endif
