// Thin syscall helpers: each returns its result, or -errno on failure (libuv
// style), so callers never read the thread's errno after another call.
// No state; every fd this file creates is close-on-exec.
#pragma once

#include <poll.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <cstdint>

namespace sockmode {
namespace sys {

// Flags every send carries: no SIGPIPE, ever (send(2) MSG_NOSIGNAL).
#ifdef MSG_NOSIGNAL
constexpr int kSendFlags = MSG_NOSIGNAL;
#else
constexpr int kSendFlags = 0;  // SO_NOSIGPIPE is set at creation instead
#endif

int64_t monotonic_ns();

int socket(int family, int type, int proto);
int socketpair(int family, int type, int proto, int fds[2]);
int set_nonblocking(int fd, bool on);  // ioctl(FIONBIO), fcntl where missing
int get_fl(int fd);                    // fcntl(F_GETFL)
int dup_cloexec(int fd);               // fcntl(F_DUPFD_CLOEXEC)
int close(int fd);                     // once, never retried on EINTR
int bind(int fd, const sockaddr* sa, socklen_t len);
int listen(int fd, int backlog);
int accept(int fd, sockaddr* sa, socklen_t* len);  // accept4(SOCK_CLOEXEC)
int connect(int fd, const sockaddr* sa, socklen_t len);
int shutdown(int fd, int how);
int getsockname(int fd, sockaddr* sa, socklen_t* len);
int getpeername(int fd, sockaddr* sa, socklen_t* len);
int getsockopt(int fd, int level, int opt, void* val, socklen_t* len);
int setsockopt(int fd, int level, int opt, const void* val, socklen_t len);
int so_error(int fd);  // getsockopt(SO_ERROR): the pending error, or -errno
// recvfrom(2); sa may be null (then it is recv(2)).
ssize_t recvfrom(int fd, void* buf, size_t n, int flags, sockaddr* sa, socklen_t* len);
// sendto(2) with MSG_NOSIGNAL; sa may be null (then it is send(2)).
ssize_t sendto(int fd, const void* buf, size_t n, int flags, const sockaddr* sa, socklen_t len);
ssize_t recvmsg(int fd, msghdr* msg, int flags);        // adds MSG_CMSG_CLOEXEC
ssize_t sendmsg(int fd, const msghdr* msg, int flags);  // adds MSG_NOSIGNAL
int poll(pollfd* fds, nfds_t n, int timeout_ms);

}  // namespace sys
}  // namespace sockmode

#ifdef __linux__
#include <sys/epoll.h>

namespace sockmode {
namespace sys {
int epoll_create();  // epoll_create1(EPOLL_CLOEXEC)
int epoll_ctl(int epfd, int op, int fd, epoll_event* ev);
int epoll_wait(int epfd, epoll_event* events, int max, int timeout_ms);
}  // namespace sys
}  // namespace sockmode
#endif
