#ifndef GW_CEPOLL_SHIM_H
#define GW_CEPOLL_SHIM_H
/* epoll and eventfd for the curl multi loop (Sources/GatewayCore/Upstream/CurlMultiLoop.swift). struct
   epoll_event is packed on x86-64 and holds a union; these wrappers keep both out of Swift. Linux only, like
   the gateway. */
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

/* epoll_ctl with the fd itself as the event's data. op: EPOLL_CTL_ADD / _MOD / _DEL. */
static inline int gw_epoll_control(int ep, int op, int fd, uint32_t events) {
    struct epoll_event ev;
    ev.events = events;
    ev.data.u64 = 0;
    ev.data.fd = fd;
    return epoll_ctl(ep, op, fd, &ev);
}

/* Waits up to timeout_ms (-1: forever) and writes at most `max` (<= 256) ready fds and their event masks. */
static inline int gw_epoll_wait(int ep, int *fds, uint32_t *masks, int max, int timeout_ms) {
    struct epoll_event events[256];
    if (max > 256) max = 256;
    int n = epoll_wait(ep, events, max, timeout_ms);
    for (int i = 0; i < n; i++) {
        fds[i] = events[i].data.fd;
        masks[i] = events[i].events;
    }
    return n;
}

static inline int gw_eventfd_signal(int fd) {
    uint64_t one = 1;
    return (int)write(fd, &one, sizeof one);
}

static inline int gw_eventfd_drain(int fd) {
    uint64_t count;
    return (int)read(fd, &count, sizeof count);
}
#endif
