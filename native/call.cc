#include "call.h"

#include <climits>
#include <cmath>

namespace sockmode {

Deadline Deadline::within(double ns) {
  if (ns < 0) return forever();
  int64_t now = sys::monotonic_ns();
  // The JS layer caps timeouts below 2**63 ns; saturate rather than overflow.
  if (!(ns < double(INT64_MAX - now))) return forever();
  return {kTimed, now + int64_t(std::ceil(ns))};
}

Deadline Deadline::after(double timeout_ns) {
  if (timeout_ns == kTryTimeout) return {kTry, 0};
  if (timeout_ns < 0) return {kBlocking, 0};
  if (timeout_ns == 0) return {kNonBlocking, 0};
  return within(timeout_ns);
}

int wait_ms(const Deadline& d) {
  if (d.at_ns == INT64_MAX) return -1;
  int64_t left = d.at_ns - sys::monotonic_ns();
  if (left <= 0) return 0;
  int64_t ms = (left + 999999) / 1000000;   // rounded up: never early
  return ms > INT_MAX ? INT_MAX : int(ms);  // a slice: the caller waits again
}

}  // namespace sockmode
