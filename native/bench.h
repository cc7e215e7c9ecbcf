// The benchmark's native parts (sockmode bench): the C floor, the same loops
// as the JS contenders written in C with blocking syscalls, and the peer that
// every contender talks to. Compiled into the addon, so no compiler is needed
// at run time. Not part of the public API.
#pragma once

#include <napi.h>

namespace sockmode {

// bench_pin(cpu) -> bool: pins the calling thread (the main thread: the
// process's JS) to one CPU, sched_setaffinity(2); false where unsupported.
Napi::Value BenchPin(const Napi::CallbackInfo& info);
// bench_pingpong(fd, size, rounds) -> seconds for `rounds` round trips of
// `size` bytes: send(2) it all, recv(2) it all back.
Napi::Value BenchPingPong(const Napi::CallbackInfo& info);
// bench_bulk(fd, bufsize, total) -> seconds to recv(2) `total` bytes into one
// reused buffer of `bufsize` bytes.
Napi::Value BenchBulk(const Napi::CallbackInfo& info);
// bench_connect(family, address, count) -> seconds for `count` times
// socket(2), connect(2), close(2).
Napi::Value BenchConnect(const Napi::CallbackInfo& info);
// bench_peer(controlFd): serves commands from the control socket until it
// closes (runs in a process of its own; blocks).
Napi::Value BenchPeer(const Napi::CallbackInfo& info);

}  // namespace sockmode
