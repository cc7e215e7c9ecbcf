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
  if (timeout_ns < 0) return {kBlocking, 0};
  if (timeout_ns == 0) return {kNonBlocking, 0};
  return within(timeout_ns);
}

int poll_until(pollfd* fds, nfds_t n, const Deadline& d) {
  const bool finite = d.at_ns != INT64_MAX;
  for (;;) {
    int ms = -1;
    if (finite) {
      int64_t left = d.at_ns - sys::monotonic_ns();
      int64_t left_ms = left <= 0 ? 0 : (left + 999999) / 1000000;  // rounded up: never early
      ms = left_ms > INT_MAX ? INT_MAX : int(left_ms);                // a slice; loop for more
    }
    int r = sys::poll(fds, n, ms);
    if (r > 0) return r;
    if (r < 0 && r != -EINTR) return r;
    // EINTR, a slice that ended, or an early wake-up: poll again with what
    // remains; the first poll always happens, so a passed deadline still
    // reports readiness that is already there.
    if (r == 0 && finite && sys::monotonic_ns() >= d.at_ns) return 0;
  }
}

}  // namespace sockmode
