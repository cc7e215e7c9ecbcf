#include "call.h"

#include <climits>
#include <cmath>

namespace sockmode {

Deadline Deadline::after(double timeout_ns) {
  if (timeout_ns < 0) return {kBlocking, 0};
  if (timeout_ns == 0) return {kNonBlocking, 0};
  int64_t now = sys::monotonic_ns();
  // The JS layer caps timeouts below 2**63 ns; saturate rather than overflow.
  if (!(timeout_ns < double(INT64_MAX - now))) return {kTimed, INT64_MAX};
  return {kTimed, now + int64_t(std::ceil(timeout_ns))};
}

int wait_ready(int fd, short events, const Deadline& d) {
  pollfd p{fd, events, 0};
  for (;;) {
    int ms = -1;
    if (d.at_ns != INT64_MAX) {
      int64_t left = d.at_ns - sys::monotonic_ns();
      if (left <= 0) return 0;
      int64_t left_ms = (left + 999999) / 1000000;  // rounded up: never early
      ms = left_ms > INT_MAX ? INT_MAX : int(left_ms);  // a slice; loop for more
    }
    int r = sys::poll(&p, 1, ms);
    if (r > 0) return 1;
    if (r < 0 && r != -EINTR) return r;
    // 0: a slice ended or the deadline passed; EINTR: retry with what remains
  }
}

}  // namespace sockmode
