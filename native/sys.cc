#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

namespace sockmode {
namespace sys {

namespace {
inline int ret(int r) {
  return r < 0 ? -errno : r;
}
inline ssize_t ret(ssize_t r) {
  return r < 0 ? -errno : r;
}

#if !defined(MSG_NOSIGNAL) && defined(SO_NOSIGPIPE)
inline int nosigpipe(int fd) {
  int one = 1;
  if (fd >= 0) ::setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
  return fd;
}
#else
inline int nosigpipe(int fd) {
  return fd;
}
#endif

#ifndef SOCK_CLOEXEC
int set_cloexec(int fd) {
  if (fd >= 0 && ::fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
    int e = errno;
    ::close(fd);
    errno = e;
    return -1;
  }
  return fd;
}
#endif
}  // namespace

int64_t monotonic_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

int socket(int family, int type, int proto) {
#ifdef SOCK_CLOEXEC
  return ret(nosigpipe(::socket(family, type | SOCK_CLOEXEC, proto)));
#else
  return ret(nosigpipe(set_cloexec(::socket(family, type, proto))));
#endif
}

int socketpair(int family, int type, int proto, int fds[2]) {
#ifdef SOCK_CLOEXEC
  int r = ret(::socketpair(family, type | SOCK_CLOEXEC, proto, fds));
#else
  int r = ret(::socketpair(family, type, proto, fds));
  if (r == 0 && (set_cloexec(fds[0]) < 0 || set_cloexec(fds[1]) < 0)) r = -errno;
#endif
  if (r == 0) {
    nosigpipe(fds[0]);
    nosigpipe(fds[1]);
  }
  return r;
}

int set_nonblocking(int fd, bool on) {
#ifdef FIONBIO
  int arg = on ? 1 : 0;
  return ret(::ioctl(fd, FIONBIO, &arg));
#else
  int fl = ::fcntl(fd, F_GETFL);
  if (fl < 0) return -errno;
  return ret(::fcntl(fd, F_SETFL, on ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK)));
#endif
}

int get_fl(int fd) {
  return ret(::fcntl(fd, F_GETFL));
}

int dup_cloexec(int fd) {
  return ret(::fcntl(fd, F_DUPFD_CLOEXEC, 0));
}

int close(int fd) {
  return ret(::close(fd));
}

int bind(int fd, const sockaddr* sa, socklen_t len) {
  return ret(::bind(fd, sa, len));
}

int listen(int fd, int backlog) {
  return ret(::listen(fd, backlog));
}

int accept(int fd, sockaddr* sa, socklen_t* len) {
#if defined(__linux__) || defined(__FreeBSD__) || defined(__OpenBSD__) || defined(__NetBSD__)
  return ret(nosigpipe(::accept4(fd, sa, len, SOCK_CLOEXEC)));
#else
  return ret(nosigpipe(set_cloexec(::accept(fd, sa, len))));
#endif
}

int connect(int fd, const sockaddr* sa, socklen_t len) {
  return ret(::connect(fd, sa, len));
}

int shutdown(int fd, int how) {
  return ret(::shutdown(fd, how));
}

int getsockname(int fd, sockaddr* sa, socklen_t* len) {
  return ret(::getsockname(fd, sa, len));
}

int getpeername(int fd, sockaddr* sa, socklen_t* len) {
  return ret(::getpeername(fd, sa, len));
}

int getsockopt(int fd, int level, int opt, void* val, socklen_t* len) {
  return ret(::getsockopt(fd, level, opt, val, len));
}

int setsockopt(int fd, int level, int opt, const void* val, socklen_t len) {
  return ret(::setsockopt(fd, level, opt, val, len));
}

int so_error(int fd) {
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) return -errno;
  return err;
}

ssize_t recvfrom(int fd, void* buf, size_t n, int flags, sockaddr* sa, socklen_t* len) {
  return ret(::recvfrom(fd, buf, n, flags, sa, len));
}

ssize_t sendto(int fd, const void* buf, size_t n, int flags, const sockaddr* sa, socklen_t len) {
  return ret(::sendto(fd, buf, n, flags | kSendFlags, sa, len));
}

ssize_t recvmsg(int fd, msghdr* msg, int flags) {
#ifdef MSG_CMSG_CLOEXEC
  flags |= MSG_CMSG_CLOEXEC;  // received fds are close-on-exec from the start
#endif
  ssize_t r = ret(::recvmsg(fd, msg, flags));
#ifdef MSG_CMSG_CLOEXEC
  msg->msg_flags &= ~MSG_CMSG_CLOEXEC;  // the kernel echoes it; it is ours, not the message's
#endif
  return r;
}

ssize_t sendmsg(int fd, const msghdr* msg, int flags) {
  return ret(::sendmsg(fd, msg, flags | kSendFlags));
}

int poll(pollfd* fds, nfds_t n, int timeout_ms) {
  return ret(::poll(fds, n, timeout_ms));
}

}  // namespace sys
}  // namespace sockmode

#ifdef __linux__
namespace sockmode {
namespace sys {
int epoll_create() {
  return ret(::epoll_create1(EPOLL_CLOEXEC));
}
int epoll_ctl(int epfd, int op, int fd, epoll_event* ev) {
  return ret(::epoll_ctl(epfd, op, fd, ev));
}
int epoll_wait(int epfd, epoll_event* events, int max, int timeout_ms) {
  return ret(::epoll_wait(epfd, events, max, timeout_ms));
}
}  // namespace sys
}  // namespace sockmode
#endif
