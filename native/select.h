// Readiness for many fds: the wait behind sockmode/select.
#pragma once

#include <napi.h>

namespace sockmode {

// poll(fds: Int32Array, events: Int32Array, revents: Int32Array, timeoutNs,
//      nvalIsError) -> number of ready fds.
// timeoutNs < 0 waits forever. Fills revents. With nvalIsError, an fd that is
// not open (POLLNVAL) raises OSError [Errno 9], as select(2) does.
Napi::Value Poll(const Napi::CallbackInfo& info);

}  // namespace sockmode
