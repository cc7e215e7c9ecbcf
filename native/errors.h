// The one error helper. Every failure of a syscall, of the resolver, or of a
// timeout becomes a JS error here, built by the factory that lib/errors.ts
// registers at load (set_error_factory), so the errno -> class table exists
// once, in TypeScript.
#pragma once

#include <napi.h>
#include <sys/types.h>

namespace sockmode {

// kMessage: an OSError with no errno, its text given (CPython's OSError(str)).
enum class ErrorKind { kErrno = 0, kTimeout = 1, kGai = 2, kMessage = 3 };

struct Watches;

// Per-environment state (worker threads each have their own): the error
// factory, and the event-loop watches of native/loop.cc.
struct InstanceData {
  Napi::FunctionReference error_factory;
  Watches* watches = nullptr;
};

// Throws the JS error for kind/code; `syscall` names the failing call.
[[noreturn]] void throw_error(Napi::Env env, ErrorKind kind, int code, const char* syscall);

// Throws OSError(text) with errno null.
[[noreturn]] void throw_message(Napi::Env env, const char* text);

// The result of a syscall helper or of sock_call: returned when >= 0, thrown
// as OSError(errno) when negative, as TimeoutError('timed out') for kTimedOut.
ssize_t check(Napi::Env env, ssize_t r, const char* syscall);

// check() for a call made through d: in the event loop's attempt
// (Deadline::kTry) EAGAIN is returned as kAgain, for the caller to answer
// null ("wait for readiness") instead of throwing BlockingIOError.
constexpr ssize_t kAgain = INT64_MIN + 1;
struct Deadline;
ssize_t check(Napi::Env env, ssize_t r, const char* syscall, const Deadline& d);

// strerror(errno) -> the OS's text for errno (strerror(3)).
Napi::Value StrError(const Napi::CallbackInfo& info);

// gai_strerror(code) -> the resolver's text for an EAI_* code (gai_strerror(3)).
Napi::Value GaiStrError(const Napi::CallbackInfo& info);

// set_error_factory(fn: (kind, code, strerror, syscall) => Error): undefined
Napi::Value SetErrorFactory(const Napi::CallbackInfo& info);

}  // namespace sockmode
