// The few Linux calls the socket event loop needs that Swift's Glibc module does not offer
// (epoll, eventfd), wrapped so Swift sees plain integers instead of packed structs and macros.
#ifndef C_SOCKET_LOOP_H
#define C_SOCKET_LOOP_H

#include <stdint.h>

#ifdef __linux__
#include <sys/socket.h>

/// Readiness flags as the loop sees them.
enum {
    CSL_READABLE = 1,
    CSL_WRITABLE = 2,
    /// Error or hang-up: the next read or write tells which.
    CSL_BROKEN = 4,
};

/// A new epoll instance (close-on-exec), or -1 with errno.
int csl_epoll_create(void);

/// Adds (`add` != 0) or changes the interest of `fd`: readable, and writable when `writable` != 0.
/// `token` comes back with its events. Returns 0, or -1 with errno.
int csl_epoll_watch(int epoll, int fd, int add, int writable, uint64_t token);

/// Stops watching `fd`. Returns 0, or -1 with errno.
int csl_epoll_unwatch(int epoll, int fd);

/// Waits up to `timeout_nanos` (-1: without limit) for at most `capacity` events, written to
/// `tokens` and `flags` (CSL_ flags). Returns the number of events, or -1 with errno (EINTR included).
int csl_epoll_wait(int epoll, uint64_t *tokens, uint32_t *flags, int capacity, int64_t timeout_nanos);

/// A non-blocking eventfd for wake-ups, or -1 with errno.
int csl_eventfd(void);

/// A non-blocking, close-on-exec TCP socket for `ipv6` or IPv4, with TCP_NODELAY (requests are
/// written whole; Nagle would hold back the next one) and SO_REUSEADDR. -1 with errno on failure.
int csl_tcp_socket(int ipv6);

/// Starts connecting `fd` to the numeric address `ip` (IPv4 or IPv6 text) and `port`.
/// Returns 0 (connected or in progress) or an errno value.
int csl_connect(int fd, int ipv6, const char *ip, int port);

/// The socket's pending error (SO_ERROR): 0 once a connect succeeded.
int csl_socket_error(int fd);

/// Asks the kernel to note when each packet of `fd` arrived (SO_TIMESTAMPNS). Returns 0, or -1 with errno.
int csl_enable_receive_times(int fd);

/// recv(2) that also gives, in `arrived_nanos`, when the last packet it read reached the kernel
/// (CLOCK_REALTIME nanoseconds; 0 when the kernel gave no time).
long csl_recv_timed(int fd, void *bytes, unsigned long count, int64_t *arrived_nanos);

/// CLOCK_REALTIME in nanoseconds: the clock of the arrival times above.
int64_t csl_realtime_nanos(void);

/// Names the calling thread (up to 15 bytes), for top -H and perf.
void csl_name_thread(const char *name);

/// send(2) without SIGPIPE (a server that closed the connection must not end the process); send
/// and recv also skip the file layer that write and read go through.
static inline long csl_send(int fd, const void *bytes, unsigned long count) {
    return send(fd, bytes, count, MSG_NOSIGNAL);
}

static inline long csl_recv(int fd, void *bytes, unsigned long count) {
    return recv(fd, bytes, count, 0);
}

#endif
#endif
