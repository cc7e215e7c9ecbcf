// JS addresses <-> struct sockaddr (SEMANTICS §8). JS arrays stand for
// Python's tuples: AF_INET [host, port], AF_INET6 [host, port, flowinfo?,
// scope_id?], AF_UNIX a path string or Buffer (a leading NUL byte is Linux's
// abstract namespace).
#pragma once

#include <napi.h>
#include <sys/socket.h>

namespace sockmode {

struct SockAddr {
  sockaddr_storage ss;
  socklen_t len;
  sockaddr* sa() { return reinterpret_cast<sockaddr*>(&ss); }
};

// Parses addr for `family`, resolving a host name with getaddrinfo(3) when it
// is not numeric. `call` names the Python method in messages ("connect").
// Throws TypeError (shape), RangeError (port, flowinfo), OSError (AF_UNIX path
// too long) or gaierror (resolver).
SockAddr to_sockaddr(Napi::Env env, int family, Napi::Value addr, const char* call);

// The JS form of a kernel address; `len` as the kernel returned it.
Napi::Value from_sockaddr(Napi::Env env, const sockaddr* sa, socklen_t len);

// getaddrinfo(host, port, family, type, proto, flags) ->
//   [family, type, proto, canonname, sockaddr][]; throws gaierror.
Napi::Value GetAddrInfo(const Napi::CallbackInfo& info);

// inet_aton(3), inet_pton(3), inet_ntop(3) as Python's socket functions.
Napi::Value InetAton(const Napi::CallbackInfo& info);
Napi::Value InetPton(const Napi::CallbackInfo& info);
Napi::Value InetNtop(const Napi::CallbackInfo& info);

}  // namespace sockmode
