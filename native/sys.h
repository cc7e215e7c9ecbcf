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
ssize_t recv(int fd, void* buf, size_t n, int flags);
ssize_t send(int fd, const void* buf, size_t n, int flags);
int poll(pollfd* fds, nfds_t n, int timeout_ms);

}  // namespace sys
}  // namespace sockmode
