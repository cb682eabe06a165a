/* al_journal.c: file handling of the audit log: folder, daily files, retention, chain recovery, appends. */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE /* flock(2), fdatasync(2) on glibc */
#include "al_journal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "al_buf.h"
#include "al_sha256.h"
#include "al_time.h"

#define ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"
/* The tail is searched for the last chained record in growing windows up to this size; a file whose
 * last 64 MiB hold no chained record restarts the chain (with a warning). */
#define MAX_TAIL_WINDOW (64u << 20)

struct al_journal {
    char *dir, *prefix;
    int retention_days, immutable, fsync_every;
    int64_t (*clock_ms)(void);
    void (*log)(void *ctx, unsigned level, const char *msg);
    void *log_ctx;

    pthread_mutex_t lock; /* guards everything below */
    int fd;               /* today's file, or -1 */
    int64_t day;          /* the UTC day `fd` belongs to */
    int64_t known_end;    /* the file size after our last write; -1 when unknown (re-read the tail) */
    int need_newline;     /* the file ends inside a line: start the next record on a new one */
    char prev[65];        /* hash of the last record written (the next record's "prev") */
    int have_prev;        /* prev came from a record (not the all-zero start) */
    int failing;          /* the last append failed (to log failures once, and the recovery) */
    al_buf line;          /* the record being written, reused */
};

static void say(al_journal *j, unsigned level, const char *fmt, const char *a, const char *b) {
    if (!j->log) return;
    char msg[1024];
    snprintf(msg, sizeof msg, fmt, a, b);
    j->log(j->log_ctx, level, msg);
}

/* ------------------------------------------------------------------------------------------ names */

static char *file_path(const al_journal *j, int64_t day) {
    char date[11];
    al_format_date(day, date);
    size_t n = strlen(j->dir) + 1 + strlen(j->prefix) + 1 + 10 + 6 + 1;
    char *path = malloc(n);
    if (path) snprintf(path, n, "%s/%s-%s.jsonl", j->dir, j->prefix, date);
    return path;
}

/* The date of a file name PREFIX-YYYY-MM-DD.jsonl; 0, or -1 when the name is not one of ours. */
static int file_day(const al_journal *j, const char *name, int64_t *day) {
    size_t pn = strlen(j->prefix), n = strlen(name);
    if (n != pn + 1 + 10 + 6 || strncmp(name, j->prefix, pn) != 0 || name[pn] != '-' ||
        strcmp(name + pn + 11, ".jsonl") != 0)
        return -1;
    char date[11];
    memcpy(date, name + pn + 1, 10);
    date[10] = '\0';
    return al_parse_date(date, day);
}

static int make_dirs(const char *dir) {
    char *copy = strdup(dir);
    if (!copy) return -1;
    for (char *p = copy + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(copy, 0750) != 0 && errno != EEXIST) {
            free(copy);
            return -1;
        }
        *p = '/';
    }
    int rc = mkdir(copy, 0750) != 0 && errno != EEXIST ? -1 : 0;
    free(copy);
    return rc;
}

/* ------------------------------------------------------------------------------------------ retention */

static void delete_expired(al_journal *j, int64_t today) {
    DIR *d = opendir(j->dir);
    if (!d) return;
    int64_t oldest_kept = today - j->retention_days + 1;
    unsigned deleted = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        int64_t day;
        if (file_day(j, e->d_name, &day) != 0 || day >= oldest_kept) continue;
        size_t n = strlen(j->dir) + 1 + strlen(e->d_name) + 1;
        char *path = malloc(n);
        if (!path) continue;
        snprintf(path, n, "%s/%s", j->dir, e->d_name);
        if (unlink(path) == 0) deleted++;
        else say(j, AL_LOG_WARN, "cannot delete expired audit file %s: %s", path, strerror(errno));
        free(path);
    }
    closedir(d);
    if (deleted) {
        char count[64];
        snprintf(count, sizeof count, "%u file(s) dated %d or more days before today", deleted, j->retention_days);
        say(j, AL_LOG_INFO, "retention: deleted %s from %s", count, j->dir);
    }
}

/* The newest of our files dated before `today`, or NULL. */
static char *newest_earlier_file(al_journal *j, int64_t today) {
    DIR *d = opendir(j->dir);
    if (!d) return NULL;
    int64_t best = INT64_MIN;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        int64_t day;
        if (file_day(j, e->d_name, &day) == 0 && day < today && day > best) best = day;
    }
    closedir(d);
    return best == INT64_MIN ? NULL : file_path(j, best);
}

/* ------------------------------------------------------------------------------------------ chain recovery */

static int is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

int al_record_hash(const char *line, size_t len, char hash[65], int *altered) {
    static const char key[] = ",\"hash\":\"";
    *altered = 0;
    if (len < 1 + AL_HASH_SUFFIX_LEN || line[0] != '{') return 0;
    const char *suffix = line + len - AL_HASH_SUFFIX_LEN;
    if (memcmp(suffix, key, 9) != 0 || suffix[73] != '"' || suffix[74] != '}') return 0;
    for (int i = 0; i < 64; i++)
        if (!is_hex(suffix[9 + i])) return 0;
    memcpy(hash, suffix + 9, 64);
    hash[64] = '\0';
    al_sha256 s;
    uint8_t digest[32];
    char actual[65];
    al_sha256_init(&s);
    al_sha256_update(&s, line, len - AL_HASH_SUFFIX_LEN);
    al_sha256_update(&s, "}", 1);
    al_sha256_final(&s, digest);
    al_hex_digest(digest, actual);
    *altered = memcmp(actual, hash, 64) != 0;
    return 1;
}

static int read_at(int fd, char *buf, size_t n, int64_t offset) {
    size_t done = 0;
    while (done < n) {
        ssize_t r = pread(fd, buf + done, n - done, (off_t)(offset + (int64_t)done));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        done += (size_t)r;
    }
    return 0;
}

/* Finds the last chained record among the first `size` bytes of fd. 1 found (hash copied, *end = the
 * offset just past the record's text), 0 none, -1 read error. */
static int last_record(int fd, int64_t size, char hash[65], int *altered, int64_t *record_end) {
    size_t window = 65536;
    for (;;) {
        if ((int64_t)window > size) window = (size_t)size;
        int64_t start = size - (int64_t)window;
        char *buf = malloc(window ? window : 1);
        if (!buf) return -1;
        if (read_at(fd, buf, window, start) != 0) {
            free(buf);
            return -1;
        }
        size_t end = window; /* lines are [begin, end), walked from the last one back */
        for (;;) {
            size_t begin = end;
            while (begin > 0 && buf[begin - 1] != '\n') begin--;
            if (begin == 0 && start > 0) break; /* this line may start before the window: widen it */
            if (al_record_hash(buf + begin, end - begin, hash, altered)) {
                if (record_end) *record_end = start + (int64_t)end;
                free(buf);
                return 1;
            }
            if (begin == 0) {
                free(buf);
                return 0;
            }
            end = begin - 1;
        }
        free(buf);
        if (window >= MAX_TAIL_WINDOW) return 0;
        window *= 4;
    }
}

/* The last record's hash of the newest file before j->day (its writers are excluded with a shared lock). */
static int previous_file_hash(al_journal *j, char hash[65]) {
    char *path = newest_earlier_file(j, j->day);
    if (!path) return 0;
    int found = 0, altered = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        while (flock(fd, LOCK_SH) != 0 && errno == EINTR) {
        }
        struct stat st;
        if (fstat(fd, &st) == 0 && st.st_size > 0) found = last_record(fd, st.st_size, hash, &altered, NULL) == 1;
        close(fd); /* releases the lock */
    }
    if (found && altered)
        say(j, AL_LOG_WARN, "the last record of %s does not match its hash (altered?)%s; the chain continues from it",
            path, "");
    free(path);
    return found;
}

/* Re-reads the end of the current file (someone else appended, or our last write failed). Runs with the
 * mutex and the file lock held. */
static int sync_tail(al_journal *j, int64_t size) {
    j->need_newline = 0;
    if (size > 0) {
        char last;
        if (read_at(j->fd, &last, 1, size - 1) != 0) return -1;
        j->need_newline = last != '\n';
    }
    if (j->immutable) {
        char hash[65];
        int altered = 0, found = 0;
        int64_t record_end = -1;
        if (size > 0) {
            found = last_record(j->fd, size, hash, &altered, &record_end);
            if (found < 0) return -1;
        }
        char *path = file_path(j, j->day);
        if (found) {
            memcpy(j->prev, hash, 65);
            j->have_prev = 1;
            if (altered)
                say(j, AL_LOG_WARN, "the last record of %s does not match its hash (altered?)%s", path ? path : "",
                    "; the chain continues from it");
        } else {
            /* An empty file (a new day), or one without a chained record (only a torn fragment, or lines written
             * with immutable: false): continue the chain of the previous file, else of what we wrote last. */
            if (size > 0 && !j->need_newline)
                say(j, AL_LOG_WARN, "%s holds no complete chained record near its end%s", path ? path : "",
                    "; the chain continues from the previous file (or starts from 64 zeros)");
            if (previous_file_hash(j, hash)) {
                memcpy(j->prev, hash, 65);
                j->have_prev = 1;
            } else if (!j->have_prev) {
                memcpy(j->prev, ZERO_HASH, 65);
            }
        }
        if (j->need_newline && found && record_end == size)
            say(j, AL_LOG_INFO, "%s ends with a complete record without its newline%s", path ? path : "",
                "; the next record starts on a new line");
        else if (j->need_newline)
            say(j, AL_LOG_WARN, "%s ends inside a line (a crash during a write?)%s", path ? path : "",
                "; the next record starts on a new line and chains onto the last complete record");
        free(path);
    }
    j->known_end = size;
    return 0;
}

/* ------------------------------------------------------------------------------------------ files */

/* Switches to the file of `day`: opens it and applies retention. Mutex held. */
static int open_day(al_journal *j, int64_t day, char *err, size_t err_cap) {
    if (j->fd >= 0) close(j->fd);
    j->fd = -1;
    j->day = day;
    j->known_end = -1;
    delete_expired(j, day);
    char *path = file_path(j, day);
    if (!path) {
        snprintf(err, err_cap, "out of memory");
        return -1;
    }
    int fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0 && errno == ENOENT && make_dirs(j->dir) == 0) /* the folder was removed meanwhile */
        fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) {
        snprintf(err, err_cap, "cannot open %s: %s", path, strerror(errno));
        free(path);
        return -1;
    }
    free(path);
    j->fd = fd;
    return 0;
}

static int lock_file(int fd) {
    while (flock(fd, LOCK_EX) != 0)
        if (errno != EINTR) return -1;
    return 0;
}

int al_journal_open(const al_journal_options *o, al_journal **out, char *err, size_t err_cap) {
    al_journal *j = calloc(1, sizeof *j);
    if (!j || !(j->dir = strdup(o->dir)) || !(j->prefix = strdup(o->prefix))) {
        if (j) free(j->dir);
        free(j);
        snprintf(err, err_cap, "out of memory");
        return -1;
    }
    j->retention_days = o->retention_days;
    j->immutable = o->immutable;
    j->fsync_every = o->fsync_every;
    j->clock_ms = o->clock_ms ? o->clock_ms : al_realtime_ms;
    j->log = o->log;
    j->log_ctx = o->log_ctx;
    j->fd = -1;
    memcpy(j->prev, ZERO_HASH, 65);
    pthread_mutex_init(&j->lock, NULL);

    struct stat st;
    if (make_dirs(j->dir) != 0 || stat(j->dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, err_cap, "config key `path`: cannot create the folder %s: %s", j->dir, strerror(errno));
        al_journal_close(j);
        return -1;
    }
    char why[600];
    int rc = open_day(j, al_day_of_ms(j->clock_ms()), why, sizeof why);
    if (rc == 0) {
        rc = lock_file(j->fd);
        if (rc == 0) {
            rc = fstat(j->fd, &st) != 0 ? -1 : sync_tail(j, st.st_size);
            flock(j->fd, LOCK_UN);
        }
        if (rc != 0) snprintf(why, sizeof why, "cannot read the current audit file: %s", strerror(errno));
    }
    if (rc != 0) {
        snprintf(err, err_cap, "config key `path`: %s", why);
        al_journal_close(j);
        return -1;
    }
    *out = j;
    return 0;
}

void al_journal_close(al_journal *j) {
    if (!j) return;
    if (j->fd >= 0) close(j->fd);
    pthread_mutex_destroy(&j->lock);
    al_buf_free(&j->line);
    free(j->dir);
    free(j->prefix);
    free(j);
}

/* ------------------------------------------------------------------------------------------ append */

/* Builds the line for `members` into j->line. Mutex held, prev current. */
static void build_line(al_journal *j, int64_t now_ms, const char *members, size_t len, char hash[65]) {
    al_buf *b = &j->line;
    b->len = 0;
    b->failed = 0;
    if (j->need_newline) al_buf_add_char(b, '\n');
    size_t start = b->len;
    char ts[25];
    al_format_rfc3339_ms(now_ms, ts);
    al_buf_add_str(b, "{\"ts\":\"");
    al_buf_add_str(b, ts);
    al_buf_add_char(b, '"');
    if (len) al_buf_add_char(b, ',');
    al_buf_add(b, members, len);
    if (j->immutable) {
        al_buf_add_str(b, ",\"prev\":\"");
        al_buf_add(b, j->prev, 64);
        al_buf_add_str(b, "\"}");
        if (b->failed) return;
        al_sha256_hex(b->data + start, b->len - start, hash);
        b->len--; /* the closing brace of the hashed form */
        al_buf_add_str(b, ",\"hash\":\"");
        al_buf_add(b, hash, 64);
        al_buf_add_str(b, "\"}\n");
    } else {
        al_buf_add_str(b, "}\n");
    }
}

static int write_all(int fd, const char *data, size_t n) {
    size_t done = 0;
    while (done < n) {
        /* One write(2) in practice; a short write (disk full) is continued so that a line is never left
         * half-written while we still can finish it. */
        ssize_t w = write(fd, data + done, n - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        done += (size_t)w;
    }
    return 0;
}

/* Appends under the mutex. On failure returns -1 with the failed step in *what and its errno in *error. */
static int append_locked(al_journal *j, const char *members, size_t len, const char **what, int *error) {
    int64_t now = j->clock_ms();
    int64_t day = al_day_of_ms(now);
    char why[600];
    struct stat st;
    char hash[65];
    *what = "open";
    if ((j->fd < 0 || day != j->day) && open_day(j, day, why, sizeof why) != 0) goto failed;
    *what = "lock";
    if (lock_file(j->fd) != 0) goto failed;
    *what = "stat";
    if (fstat(j->fd, &st) != 0) goto failed_locked;
    if (st.st_nlink == 0) { /* our file was deleted or moved away: continue in a fresh one */
        flock(j->fd, LOCK_UN);
        *what = "reopen";
        if (open_day(j, day, why, sizeof why) != 0 || lock_file(j->fd) != 0) goto failed;
        if (fstat(j->fd, &st) != 0) goto failed_locked;
    }
    *what = "read";
    if (st.st_size != j->known_end && sync_tail(j, st.st_size) != 0) goto failed_locked;
    build_line(j, now, members, len, hash);
    *what = "allocate";
    if (j->line.failed) {
        errno = ENOMEM;
        goto failed_locked;
    }
    *what = "write";
    if (write_all(j->fd, j->line.data, j->line.len) != 0) {
        j->known_end = -1; /* part of the line may have reached the file: re-read its end next time */
        goto failed_locked;
    }
    j->known_end = st.st_size + (int64_t)j->line.len;
    j->need_newline = 0;
    if (j->immutable) {
        memcpy(j->prev, hash, 65);
        j->have_prev = 1;
    }
    *what = "fdatasync";
    if (j->fsync_every && fdatasync(j->fd) != 0) goto failed_locked; /* written, but not known to be durable */
    flock(j->fd, LOCK_UN);
    return 0;
failed_locked:
    *error = errno;
    flock(j->fd, LOCK_UN);
    return -1;
failed:
    *error = errno;
    return -1;
}

int al_journal_append(al_journal *j, const char *members, size_t len) {
    pthread_mutex_lock(&j->lock);
    const char *what = "";
    int error = 0;
    int rc = append_locked(j, members, len, &what, &error);
    if (rc != 0 && !j->failing) {
        char detail[256];
        snprintf(detail, sizeof detail, "%s failed: %s", what, strerror(error));
        say(j, AL_LOG_ERROR, "audit record NOT written to %s (%s); further failures are counted in write_errors",
            j->dir, detail);
    } else if (rc == 0 && j->failing) {
        say(j, AL_LOG_INFO, "audit records are written to %s again%s", j->dir, "");
    }
    j->failing = rc != 0;
    pthread_mutex_unlock(&j->lock);
    return rc;
}
