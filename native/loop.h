// Readiness on the event loop: one uv_poll handle per watched fd, from the
// environment's own loop (never uv_default_loop()), so it works in every
// worker thread. Isolated here so another runtime could swap it.
//
// A handle lives only while the JS layer has waiters on the fd: it is closed
// (and libuv stops watching the fd) before the fd can be closed, so a reused
// fd number is never touched.
#pragma once

#include <napi.h>

namespace sockmode {

// poll_watch(fd, events, callback(status, events)) -> handle
//   events: 1 readable, 2 writable (UV_READABLE | UV_WRITABLE). Throws OSError
//   [Errno 17] when this loop already watches fd (another owner, such as a
//   net.Socket). The handle keeps the process alive while it watches.
Napi::Value PollWatch(const Napi::CallbackInfo& info);
// poll_update(handle, events): changes what is watched (events != 0).
Napi::Value PollUpdate(const Napi::CallbackInfo& info);
// poll_close(handle): stops watching now and frees the handle.
Napi::Value PollClose(const Napi::CallbackInfo& info);

// Registers the environment's cleanup: every open handle is closed when the
// environment (a worker thread, or the process) goes away.
void InitLoop(Napi::Env env);

}  // namespace sockmode
