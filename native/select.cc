#include "select.h"

#include <poll.h>

#include <vector>

#include "call.h"
#include "errors.h"
#include "views.h"

namespace sockmode {

Napi::Value Poll(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto fds = info[0].As<Napi::Int32Array>();
  auto events = info[1].As<Napi::Int32Array>();
  auto revents = info[2].As<Napi::Int32Array>();
  double timeout_ns = info[3].As<Napi::Number>().DoubleValue();
  bool nval_is_error = info[4].ToBoolean();
  size_t n = fds.ElementLength();
  if (events.ElementLength() < n || revents.ElementLength() < n)
    throw Napi::RangeError::New(env, "poll: events and revents must be as long as fds");
  std::vector<pollfd> p(n);
  for (size_t i = 0; i < n; i++) p[i] = {fds[i], short(events[i]), 0};
  int r = int(check(env, poll_until(p.data(), nfds_t(n), Deadline::within(timeout_ns)), "poll"));
  for (size_t i = 0; i < n; i++) {
    if (nval_is_error && (p[i].revents & POLLNVAL)) check(env, -EBADF, "select");
    revents[i] = p[i].revents;
  }
  return Napi::Number::New(env, r);
}

}  // namespace sockmode

#ifdef __linux__
namespace sockmode {

Napi::Value EpollCreate(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), int(check(info.Env(), sys::epoll_create(), "epoll_create1")));
}

Napi::Value EpollCtl(const Napi::CallbackInfo& info) {
  int fd = info[2].As<Napi::Number>().Int32Value();
  epoll_event ev{};
  ev.events = info[3].As<Napi::Number>().Uint32Value();
  ev.data.fd = fd;
  check(info.Env(),
        sys::epoll_ctl(info[0].As<Napi::Number>().Int32Value(), info[1].As<Napi::Number>().Int32Value(), fd,
                       &ev),
        "epoll_ctl");
  return info.Env().Undefined();
}

Napi::Value EpollWait(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int epfd = info[0].As<Napi::Number>().Int32Value();
  Deadline d = Deadline::within(info[1].As<Napi::Number>().DoubleValue());
  // The kernel writes straight into the caller's Int32Array, laid out as
  // struct epoll_event (EPOLL_EVENT_INTS ints each; the fd at
  // EPOLL_FD_INT): no allocation and no copy, whatever maxevents is.
  Bytes out = view_bytes(env, info[2]);
  if (reinterpret_cast<uintptr_t>(out.data) % alignof(epoll_event) != 0)
    throw Napi::RangeError::New(env, "epoll_wait: misaligned event buffer");
  int max = int(out.len / sizeof(epoll_event));
  if (max < 1) throw Napi::RangeError::New(env, "maxevents must be greater than 0");
  auto* events = reinterpret_cast<epoll_event*>(out.data);
  int n = wait_until(d, [&](int ms) { return sys::epoll_wait(epfd, events, max, ms); });
  return Napi::Number::New(env, int(check(env, n, "epoll_wait")));
}

}  // namespace sockmode
#endif
