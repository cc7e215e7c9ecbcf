// sock_call: the one mode-aware primitive (CPython's sock_call_ex).
//
// A socket's mode is the timeout its JS object holds, handed in on every call:
//   < 0  blocking      the syscall once; the kernel blocks; EINTR retried
//   = 0  non-blocking  the syscall once; EAGAIN is the caller's BlockingIOError
//   > 0  timeout       a deadline on the monotonic clock, set once; poll(2) for
//                      readiness with the remaining time (ms rounded up, sliced
//                      above INT_MAX); EAGAIN or EINTR after readiness polls
//                      again with what remains; never restarts the full timeout
// The fd's O_NONBLOCK flag is never consulted: what the kernel does with a fd
// that another holder switched is exactly what the OS does (SEMANTICS §7).
#pragma once

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <cstdint>

#include "sys.h"

namespace sockmode {

// The result of a call that ran out of time: no syscall returns it.
constexpr ssize_t kTimedOut = INT64_MIN;

// The timeout value of the event-loop API (lib/loop.ts): one attempt with
// MSG_DONTWAIT whose EAGAIN is an answer ("wait for readiness"), not an error.
constexpr double kTryTimeout = -2;

// When the socket is in timeout mode, what comes first.
enum class First {
  kWait,  // poll for readiness, then the syscall (accept, connect, recv)
  kTry,   // the syscall with MSG_DONTWAIT, poll only on EAGAIN (send)
};

// The timeout of one whole call: its mode and, in timeout mode, when it ends.
struct Deadline {
  enum Mode { kBlocking, kNonBlocking, kTimed, kTry } mode;
  int64_t at_ns;  // monotonic; INT64_MAX waits forever

  // timeout_ns: kTryTimeout the event loop's attempt, other < 0 blocking,
  // 0 non-blocking, > 0 nanoseconds from now.
  static Deadline after(double timeout_ns);
  // A timed deadline ns from now; ns < 0 waits forever (poll's convention).
  static Deadline within(double ns);
  static Deadline forever() { return {kTimed, INT64_MAX}; }
  bool timed() const { return mode == kTimed; }
  bool expired() const { return mode == kTimed && at_ns != INT64_MAX && sys::monotonic_ns() >= at_ns; }
};

// The milliseconds a wait may take now: what remains of d rounded up (never
// early), sliced at INT_MAX; -1 for forever; 0 once the deadline passed.
int wait_ms(const Deadline& d);

// Runs wait(ms) (poll(2), epoll_wait(2): > 0 ready, 0 nothing, -errno) under
// a deadline: at least once, then again after EINTR, after a slice, or after
// an early wake-up, each time with what remains. Returns wait's count, 0 when
// the deadline passed, or -errno.
template <class Wait>
int wait_until(const Deadline& d, Wait&& wait) {
  for (;;) {
    int r = wait(wait_ms(d));
    if (r > 0) return r;
    if (r < 0 && r != -EINTR) return r;
    if (r == 0 && d.at_ns != INT64_MAX && sys::monotonic_ns() >= d.at_ns) return 0;
  }
}

// poll(2) under a deadline (wait_until).
inline int poll_until(pollfd* fds, nfds_t n, const Deadline& d) {
  return wait_until(d, [&](int ms) { return sys::poll(fds, n, ms); });
}

// poll_until for one fd. Any revents counts as ready: the next syscall
// reports the real error.
inline int wait_ready(int fd, short events, const Deadline& d) {
  pollfd p{fd, events, 0};
  return poll_until(&p, 1, d);
}

// Runs op(flags) through the mode described by d; op returns a result >= 0 or
// -errno, and in timeout mode (and the event loop's attempt) receives
// MSG_DONTWAIT so that it never blocks even when another holder cleared
// O_NONBLOCK on the shared description.
// Returns op's result, -errno, or kTimedOut. A closed socket (fd < 0) skips
// the wait: the syscall itself reports EBADF.
template <class Op>
ssize_t sock_call(int fd, const Deadline& d, short events, First first, Op&& op) {
  ssize_t r;
  if (!d.timed() || fd < 0) {
    int flags = d.mode == Deadline::kTry ? MSG_DONTWAIT : 0;
    do r = op(flags);
    while (r == -EINTR);
    return r;
  }
  if (first == First::kTry) {
    r = op(MSG_DONTWAIT);
    if (r != -EAGAIN && r != -EWOULDBLOCK && r != -EINTR) return r;
  }
  for (;;) {
    // Readiness that the call then finds gone (EAGAIN: another reader took
    // the data; a full AF_UNIX datagram receiver while our own buffer has
    // room) polls again, but never past the deadline (CPython's rule).
    if (d.expired()) return kTimedOut;
    int w = wait_ready(fd, events, d);
    if (w == 0) return kTimedOut;
    if (w < 0) return w;
    r = op(MSG_DONTWAIT);
    if (r != -EAGAIN && r != -EWOULDBLOCK && r != -EINTR) return r;
  }
}

}  // namespace sockmode
