// Readiness for many fds: the waits behind sockmode/select and selectors.
#pragma once

#include <napi.h>

namespace sockmode {

// poll(fds: Int32Array, events: Int32Array, revents: Int32Array, timeoutNs,
//      nvalIsError) -> number of ready fds.
// timeoutNs < 0 waits forever. Fills revents. With nvalIsError, an fd that is
// not open (POLLNVAL) raises OSError [Errno 9], as select(2) does.
Napi::Value Poll(const Napi::CallbackInfo& info);

#ifdef __linux__
// epoll_create(flags) -> epfd, close-on-exec.
Napi::Value EpollCreate(const Napi::CallbackInfo& info);
// epoll_ctl(epfd, op, fd, events); the event's data is the fd.
Napi::Value EpollCtl(const Napi::CallbackInfo& info);
// epoll_wait(epfd, timeoutNs, out: Int32Array) -> n; the kernel fills out
// with n struct epoll_event (constants EPOLL_EVENT_INTS, EPOLL_FD_INT); at
// most out.byteLength / sizeof(epoll_event) events.
Napi::Value EpollWait(const Napi::CallbackInfo& info);
#endif

}  // namespace sockmode
