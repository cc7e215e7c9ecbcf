#include "select.h"

#include <poll.h>

#include <vector>

#include "call.h"
#include "errors.h"

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
