#define _GNU_SOURCE
#include "CSocketLoop.h"

#ifdef __linux__
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int csl_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

int csl_epoll_watch(int epoll, int fd, int add, int writable, uint64_t token) {
    struct epoll_event event;
    memset(&event, 0, sizeof event);
    event.events = EPOLLIN | (writable ? EPOLLOUT : 0);
    event.data.u64 = token;
    return epoll_ctl(epoll, add ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &event);
}

int csl_epoll_unwatch(int epoll, int fd) {
    struct epoll_event unused;
    memset(&unused, 0, sizeof unused);
    return epoll_ctl(epoll, EPOLL_CTL_DEL, fd, &unused);
}

int csl_epoll_wait(int epoll, uint64_t *tokens, uint32_t *flags, int capacity, int64_t timeout_nanos) {
    struct epoll_event events[256];
    if (capacity > 256) capacity = 256;
    // epoll_pwait2 takes nanoseconds; epoll_wait's milliseconds would put arrivals up to 1 ms late.
    // Kernels before 5.11 (and valgrind) lack it: there the wait is rounded up to the millisecond.
    static int no_pwait2 = 0;
    int count = -1;
    if (timeout_nanos < 0) {
        count = epoll_wait(epoll, events, capacity, -1);
    } else {
        if (!__atomic_load_n(&no_pwait2, __ATOMIC_RELAXED)) {
            struct timespec timeout = { (time_t)(timeout_nanos / 1000000000), (long)(timeout_nanos % 1000000000) };
            count = epoll_pwait2(epoll, events, capacity, &timeout, NULL);
            if (count < 0 && errno == ENOSYS) __atomic_store_n(&no_pwait2, 1, __ATOMIC_RELAXED);
        }
        if (__atomic_load_n(&no_pwait2, __ATOMIC_RELAXED)) {
            int64_t millis = (timeout_nanos + 999999) / 1000000;
            count = epoll_wait(epoll, events, capacity, millis > 0x7fffffff ? 0x7fffffff : (int)millis);
        }
    }
    for (int i = 0; i < count; i++) {
        uint32_t e = events[i].events;
        tokens[i] = events[i].data.u64;
        flags[i] = ((e & EPOLLIN) ? CSL_READABLE : 0) | ((e & EPOLLOUT) ? CSL_WRITABLE : 0)
                 | ((e & (EPOLLERR | EPOLLHUP)) ? CSL_BROKEN : 0);
    }
    return count;
}

int csl_eventfd(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

int csl_tcp_socket(int ipv6) {
    int fd = socket(ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    return fd;
}

int csl_connect(int fd, int ipv6, const char *ip, int port) {
    struct sockaddr_storage storage;
    memset(&storage, 0, sizeof storage);
    struct sockaddr_in *v4 = (struct sockaddr_in *)&storage;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&storage;
    int family = ipv6 ? AF_INET6 : AF_INET;
    // sin_family and sin6_family, sin_port and sin6_port share their places.
    v4->sin_family = (sa_family_t)family;
    v4->sin_port = htons((uint16_t)port);
    if (inet_pton(family, ip, ipv6 ? (void *)&v6->sin6_addr : (void *)&v4->sin_addr) != 1) return EINVAL;
    socklen_t length = ipv6 ? sizeof *v6 : sizeof *v4;
    if (connect(fd, (struct sockaddr *)&storage, length) == 0 || errno == EINPROGRESS) return 0;
    return errno;
}

int csl_enable_receive_times(int fd) {
    int one = 1;
    return setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
}

long csl_recv_timed(int fd, void *bytes, unsigned long count, int64_t *arrived_nanos) {
    struct iovec part = { bytes, count };
    union {
        char space[CMSG_SPACE(sizeof(struct timespec))];
        struct cmsghdr align;
    } control;
    struct msghdr message;
    memset(&message, 0, sizeof message);
    message.msg_iov = &part;
    message.msg_iovlen = 1;
    message.msg_control = control.space;
    message.msg_controllen = sizeof control.space;
    *arrived_nanos = 0;
    long result = recvmsg(fd, &message, 0);
    if (result <= 0) return result;
    for (struct cmsghdr *item = CMSG_FIRSTHDR(&message); item; item = CMSG_NXTHDR(&message, item)) {
        if (item->cmsg_level == SOL_SOCKET && item->cmsg_type == SCM_TIMESTAMPNS) {
            struct timespec stamp;
            memcpy(&stamp, CMSG_DATA(item), sizeof stamp);
            *arrived_nanos = (int64_t)stamp.tv_sec * 1000000000 + stamp.tv_nsec;
        }
    }
    return result;
}

int64_t csl_realtime_nanos(void) {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}

void csl_name_thread(const char *name) { prctl(PR_SET_NAME, name, 0, 0, 0); }

int csl_socket_error(int fd) {
    int error = 0;
    socklen_t length = sizeof error;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) return errno;
    return error;
}
#endif
