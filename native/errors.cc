#include "errors.h"

#include <netdb.h>
#include <string.h>

#include <string>

#include "call.h"

namespace sockmode {

namespace {
std::string describe(ErrorKind kind, int code) {
  if (kind == ErrorKind::kGai) return gai_strerror(code);
  if (kind == ErrorKind::kTimeout) return "timed out";
  char buf[256];
#if defined(__GLIBC__) && defined(_GNU_SOURCE)
  return strerror_r(code, buf, sizeof buf);  // GNU: returns the text
#else
  if (strerror_r(code, buf, sizeof buf) != 0) return "Unknown error " + std::to_string(code);
  return buf;
#endif
}
}  // namespace

namespace {
[[noreturn]] void raise(Napi::Env env, ErrorKind kind, int code, const std::string& text,
                        const char* syscall) {
  auto* data = env.GetInstanceData<InstanceData>();
  if (data == nullptr || data->error_factory.IsEmpty()) {
    // Only reachable when the binding is used without lib/ (no factory yet).
    std::string msg = kind == ErrorKind::kErrno || kind == ErrorKind::kGai
                          ? "[Errno " + std::to_string(code) + "] " + text
                          : text;
    throw Napi::Error::New(env, msg);
  }
  Napi::Value err = data->error_factory.Call({
      Napi::Number::New(env, int(kind)),
      Napi::Number::New(env, code),
      Napi::String::New(env, text),
      syscall ? Napi::Value(Napi::String::New(env, syscall)) : env.Undefined(),
  });
  throw Napi::Error(env, err);
}
}  // namespace

void throw_error(Napi::Env env, ErrorKind kind, int code, const char* syscall) {
  raise(env, kind, code, describe(kind, code), syscall);
}

void throw_message(Napi::Env env, const char* text) {
  raise(env, ErrorKind::kMessage, 0, text, nullptr);
}

ssize_t check(Napi::Env env, ssize_t r, const char* syscall) {
  if (r >= 0) return r;
  if (r == kTimedOut) throw_error(env, ErrorKind::kTimeout, 0, nullptr);
  throw_error(env, ErrorKind::kErrno, int(-r), syscall);
}

ssize_t check(Napi::Env env, ssize_t r, const char* syscall, const Deadline& d) {
  if (d.mode == Deadline::kTry && (r == -EAGAIN || r == -EWOULDBLOCK)) return kAgain;
  return check(env, r, syscall);
}

Napi::Value StrError(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), describe(ErrorKind::kErrno, info[0].As<Napi::Number>().Int32Value()));
}

Napi::Value GaiStrError(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), describe(ErrorKind::kGai, info[0].As<Napi::Number>().Int32Value()));
}

Napi::Value SetErrorFactory(const Napi::CallbackInfo& info) {
  auto* data = info.Env().GetInstanceData<InstanceData>();
  data->error_factory = Napi::Persistent(info[0].As<Napi::Function>());
  return info.Env().Undefined();
}

}  // namespace sockmode
