#ifndef GW_CHIREDIS_SHIM_H
#define GW_CHIREDIS_SHIM_H
#include <hiredis/hiredis.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>

/* hiredis (0.14, Debian) writes to its socket with write(2), which raises SIGPIPE when Redis has gone away,
   and SIGPIPE's default action ends the process. This wrapper blocks SIGPIPE on the calling thread only
   for the duration of the command, consumes a SIGPIPE the command raised (so it never reaches the
   process once unblocked), and restores the thread's mask: no process-wide signal disposition changes.
   The failed write itself is reported by hiredis as an I/O error in c->err. */
static inline redisReply *gw_redis_command_argv(redisContext *c, int argc, const char **argv, const size_t *argvlen) {
    sigset_t pipe_only, previous, pending;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    int blocked = pthread_sigmask(SIG_BLOCK, &pipe_only, &previous) == 0;
    redisReply *reply = (redisReply *)redisCommandArgv(c, argc, argv, argvlen);
    if (blocked) {
        if (!sigismember(&previous, SIGPIPE) && sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE)) {
            struct timespec zero = {0, 0};
            (void)sigtimedwait(&pipe_only, NULL, &zero);
        }
        pthread_sigmask(SIG_SETMASK, &previous, NULL);
    }
    return reply;
}

/* redisContext.err and errstr, read through functions so Swift does not depend on the struct's layout
   across hiredis versions. */
static inline int gw_redis_error_code(const redisContext *c) { return c->err; }
static inline const char *gw_redis_error_text(const redisContext *c) { return c->errstr; }
#endif
