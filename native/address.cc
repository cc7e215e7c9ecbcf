#include "address.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/un.h>

#include <cmath>
#include <cstddef>
#include <string>

#include "errors.h"
#include "views.h"

namespace sockmode {

namespace {

// The JS way of naming a value's type in a TypeError.
std::string type_name(Napi::Value v) {
  if (v.IsNull()) return "null";
  if (v.IsArray()) return "Array";
  if (v.IsBuffer()) return "Buffer";
  switch (v.Type()) {
    case napi_undefined:
      return "undefined";
    case napi_boolean:
      return "boolean";
    case napi_number:
      return "number";
    case napi_string:
      return "str";
    case napi_symbol:
      return "symbol";
    case napi_function:
      return "function";
    case napi_bigint:
      return "bigint";
    default:
      return "object";
  }
}

[[noreturn]] void type_error(Napi::Env env, const std::string& msg) {
  throw Napi::TypeError::New(env, msg);
}

// The bytes of a TypedArray (a Buffer included), a DataView or an
// ArrayBuffer; false for anything else.
bool view_string(Napi::Env env, Napi::Value v, std::string* out) {
  Bytes b{nullptr, 0};
  if (!try_view_bytes(env, v, &b)) {
    if (!v.IsArrayBuffer()) return false;
    auto ab = v.As<Napi::ArrayBuffer>();
    b = {static_cast<char*>(ab.Data()), ab.ByteLength()};
  }
  out->assign(b.data, b.len);
  return true;
}

std::string host_string(Napi::Env env, Napi::Value v) {
  if (v.IsString()) return v.As<Napi::String>().Utf8Value();
  std::string s;
  if (view_string(env, v, &s)) return s;
  type_error(env, "str, bytes or bytearray expected, not " + type_name(v));
}

// An integer argument, Python's way: a non-integer is a TypeError.
double integer(Napi::Env env, Napi::Value v) {
  if (!v.IsNumber()) type_error(env, "'" + type_name(v) + "' object cannot be interpreted as an integer");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || d != std::trunc(d))
    type_error(env, "'float' object cannot be interpreted as an integer");
  return d;
}

// Resolves host into ss for family (Python's setipaddr): '' is the wildcard,
// '<broadcast>' INADDR_BROADCAST, numeric hosts never touch the resolver.
void set_ip(Napi::Env env, const std::string& host, int family, sockaddr_storage* ss) {
  if (family == AF_INET) {
    auto* in = reinterpret_cast<sockaddr_in*>(ss);
    if (host.empty()) {
      in->sin_addr.s_addr = htonl(INADDR_ANY);
      return;
    }
    if (host == "<broadcast>" || host == "255.255.255.255") {
      in->sin_addr.s_addr = htonl(INADDR_BROADCAST);
      return;
    }
    if (inet_pton(AF_INET, host.c_str(), &in->sin_addr) == 1) return;
  } else {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(ss);
    if (host.empty()) {
      in6->sin6_addr = in6addr_any;
      return;
    }
    if (inet_pton(AF_INET6, host.c_str(), &in6->sin6_addr) == 1) return;
  }
  addrinfo hints{};
  hints.ai_family = family;
  addrinfo* res = nullptr;
  int e = getaddrinfo(host.c_str(), nullptr, &hints, &res);
  if (e != 0) {
    if (e == EAI_SYSTEM) throw_error(env, ErrorKind::kErrno, errno, "getaddrinfo");
    throw_error(env, ErrorKind::kGai, e, "getaddrinfo");
  }
  if (family == AF_INET)
    reinterpret_cast<sockaddr_in*>(ss)->sin_addr = reinterpret_cast<sockaddr_in*>(res->ai_addr)->sin_addr;
  else {
    auto* from = reinterpret_cast<sockaddr_in6*>(res->ai_addr);
    auto* to = reinterpret_cast<sockaddr_in6*>(ss);
    to->sin6_addr = from->sin6_addr;
    to->sin6_scope_id = from->sin6_scope_id;
  }
  freeaddrinfo(res);
}

Napi::Value ip_tuple(Napi::Env env, const sockaddr* sa) {
  char host[INET6_ADDRSTRLEN + IF_NAMESIZE + 1];
  if (sa->sa_family == AF_INET) {
    auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
    auto a = Napi::Array::New(env, 2);
    a.Set(0u, Napi::String::New(env, host));
    a.Set(1u, Napi::Number::New(env, ntohs(in->sin_port)));
    return a;
  }
  auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
  inet_ntop(AF_INET6, &in6->sin6_addr, host, INET6_ADDRSTRLEN);
  if (in6->sin6_scope_id != 0 && IN6_IS_ADDR_LINKLOCAL(&in6->sin6_addr)) {
    char name[IF_NAMESIZE];
    size_t n = strlen(host);
    if (if_indextoname(in6->sin6_scope_id, name))
      snprintf(host + n, sizeof host - n, "%%%s", name);
    else
      snprintf(host + n, sizeof host - n, "%%%u", unsigned(in6->sin6_scope_id));
  }
  auto a = Napi::Array::New(env, 4);
  a.Set(0u, Napi::String::New(env, host));
  a.Set(1u, Napi::Number::New(env, ntohs(in6->sin6_port)));
  a.Set(2u, Napi::Number::New(env, ntohl(in6->sin6_flowinfo)));
  a.Set(3u, Napi::Number::New(env, in6->sin6_scope_id));
  return a;
}

}  // namespace

SockAddr to_sockaddr(Napi::Env env, int family, Napi::Value addr, const char* call) {
  SockAddr out;
  memset(&out.ss, 0, sizeof out.ss);
  if (family == AF_UNIX) {
    std::string path;
    if (addr.IsString())
      path = addr.As<Napi::String>().Utf8Value();
    else if (!view_string(env, addr, &path))
      type_error(env, std::string(call) + "(): AF_UNIX address must be str or bytes, not " + type_name(addr));
    auto* un = reinterpret_cast<sockaddr_un*>(&out.ss);
    // A path name needs room for its terminating NUL; an abstract name
    // (leading NUL, Linux) is exactly its bytes and may fill sun_path; an
    // empty one asks the kernel to autobind (CPython's rule).
    bool abstract = path.empty() || path[0] == '\0';
    if (path.size() > sizeof un->sun_path - (abstract ? 0 : 1)) {
      throw_message(env, "AF_UNIX path too long");  // errno None, as in CPython
    }
    un->sun_family = AF_UNIX;
    memcpy(un->sun_path, path.data(), path.size());
    out.len = socklen_t(offsetof(sockaddr_un, sun_path) + path.size() + (abstract ? 0 : 1));
    return out;
  }
  if (family != AF_INET && family != AF_INET6) {
    throw_error(env, ErrorKind::kErrno, EAFNOSUPPORT, call);
  }
  const char* fam = family == AF_INET ? "AF_INET" : "AF_INET6";
  if (!addr.IsArray())
    type_error(env, std::string(call) + "(): " + fam + " address must be tuple, not " + type_name(addr));
  auto a = addr.As<Napi::Array>();
  uint32_t n = a.Length();
  if (family == AF_INET && n != 2) type_error(env, "AF_INET address must be a pair (host, port)");
  if (family == AF_INET6 && (n < 2 || n > 4))
    type_error(env, "AF_INET6 address must be a tuple (host, port[, flowinfo[, scopeid]])");
  std::string host = host_string(env, a.Get(0u));
  double port = integer(env, a.Get(1u));
  double flowinfo = n > 2 ? integer(env, a.Get(2u)) : 0;
  double scope_id = n > 3 ? integer(env, a.Get(3u)) : 0;
  out.ss.ss_family = sa_family_t(family);
  set_ip(env, host, family, &out.ss);  // the host is resolved first, as in CPython
  if (port < 0 || port > 65535)
    throw Napi::RangeError::New(env, std::string(call) + "(): port must be 0-65535.");
  if (family == AF_INET) {
    auto* in = reinterpret_cast<sockaddr_in*>(&out.ss);
    in->sin_port = htons(uint16_t(port));
    out.len = sizeof(sockaddr_in);
  } else {
    if (flowinfo < 0 || flowinfo > 0xfffff)
      throw Napi::RangeError::New(env, std::string(call) + "(): flowinfo must be 0-1048575.");
    if (scope_id < 0 || scope_id > 4294967295.0)
      throw Napi::RangeError::New(env, std::string(call) + "(): scope_id must be 0-4294967295.");
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&out.ss);
    in6->sin6_port = htons(uint16_t(port));
    in6->sin6_flowinfo = htonl(uint32_t(flowinfo));
    if (n > 3) in6->sin6_scope_id = uint32_t(scope_id);
    out.len = sizeof(sockaddr_in6);
  }
  return out;
}

Napi::Value from_sockaddr(Napi::Env env, const sockaddr* sa, socklen_t len) {
  if (len == 0) return env.Null();  // no address (recvfrom on a connected stream), as CPython's None
  if (len < socklen_t(sizeof(sa_family_t))) return Napi::String::New(env, "");
  switch (sa->sa_family) {
    case AF_INET:
    case AF_INET6:
      return ip_tuple(env, sa);
    case AF_UNIX: {
      auto* un = reinterpret_cast<const sockaddr_un*>(sa);
      size_t n = len > offsetof(sockaddr_un, sun_path) ? len - offsetof(sockaddr_un, sun_path) : 0;
      if (n == 0) return Napi::String::New(env, "");
      if (un->sun_path[0] == '\0') return Napi::Buffer<char>::Copy(env, un->sun_path, n);  // abstract
      return Napi::String::New(env, un->sun_path, strnlen(un->sun_path, n));
    }
    default: {
      // Python gives (family, raw bytes) for families it does not know.
      auto a = Napi::Array::New(env, 2);
      a.Set(0u, Napi::Number::New(env, sa->sa_family));
      size_t off = offsetof(sockaddr, sa_data);
      a.Set(1u, Napi::Buffer<char>::Copy(env, sa->sa_data, len > off ? len - off : 0));
      return a;
    }
  }
}

Napi::Value GetAddrInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string host, port;
  bool has_host = !info[0].IsNull() && !info[0].IsUndefined();
  if (has_host) host = host_string(env, info[0]);
  bool has_port = !info[1].IsNull() && !info[1].IsUndefined();
  if (has_port) {
    if (info[1].IsNumber()) {
      double p = integer(env, info[1]);
      if (!(p > -9.2e18 && p < 9.2e18))
        throw Napi::RangeError::New(env, "Python int too large to convert to C long");
      port = std::to_string(int64_t(p));
    } else if (info[1].IsString() || info[1].IsTypedArray() || info[1].IsDataView()) {
      port = host_string(env, info[1]);
    } else {
      throw Napi::TypeError::New(env, "getaddrinfo() argument 2 must be integer or string");
    }
  }
  addrinfo hints{};
  hints.ai_family = info[2].As<Napi::Number>().Int32Value();
  hints.ai_socktype = info[3].As<Napi::Number>().Int32Value();
  hints.ai_protocol = info[4].As<Napi::Number>().Int32Value();
  hints.ai_flags = info[5].As<Napi::Number>().Int32Value();
  addrinfo* res = nullptr;
  int e = getaddrinfo(has_host ? host.c_str() : nullptr, has_port ? port.c_str() : nullptr, &hints, &res);
  if (e != 0) {
    if (e == EAI_SYSTEM) throw_error(env, ErrorKind::kErrno, errno, "getaddrinfo");
    throw_error(env, ErrorKind::kGai, e, "getaddrinfo");
  }
  auto list = Napi::Array::New(env);
  uint32_t i = 0;
  try {
    for (addrinfo* p = res; p; p = p->ai_next) {
      auto t = Napi::Array::New(env, 5);
      t.Set(0u, Napi::Number::New(env, p->ai_family));
      t.Set(1u, Napi::Number::New(env, p->ai_socktype));
      t.Set(2u, Napi::Number::New(env, p->ai_protocol));
      t.Set(3u, Napi::String::New(env, p->ai_canonname ? p->ai_canonname : ""));
      t.Set(4u, from_sockaddr(env, p->ai_addr, p->ai_addrlen));
      list.Set(i++, t);
    }
  } catch (...) {
    freeaddrinfo(res);
    throw;
  }
  freeaddrinfo(res);
  return list;
}

}  // namespace sockmode

namespace sockmode {

// inet_aton(text) -> Buffer(4); OSError('illegal IP address string passed to inet_aton').
Napi::Value InetAton(const Napi::CallbackInfo& info) {
  std::string text = info[0].As<Napi::String>().Utf8Value();
  in_addr a;
  if (inet_aton(text.c_str(), &a) == 0)
    throw_message(info.Env(), "illegal IP address string passed to inet_aton");
  return Napi::Buffer<char>::Copy(info.Env(), reinterpret_cast<char*>(&a), sizeof a);
}

// inet_pton(family, text) -> Buffer(4 or 16); OSError('illegal IP address
// string passed to inet_pton') (errno null, as CPython) when the text is no
// address of that family, OSError [Errno 97] for an unknown family.
Napi::Value InetPton(const Napi::CallbackInfo& info) {
  int family = info[0].As<Napi::Number>().Int32Value();
  std::string text = info[1].As<Napi::String>().Utf8Value();
  unsigned char buf[sizeof(in6_addr)];
  int r = inet_pton(family, text.c_str(), buf);
  if (r < 0) throw_error(info.Env(), ErrorKind::kErrno, errno, "inet_pton");
  if (r == 0) throw_message(info.Env(), "illegal IP address string passed to inet_pton");
  return Napi::Buffer<char>::Copy(info.Env(), reinterpret_cast<char*>(buf), family == AF_INET ? 4 : 16);
}

// inet_ntop(family, packed) -> text; the JS layer checks the packed length.
Napi::Value InetNtop(const Napi::CallbackInfo& info) {
  int family = info[0].As<Napi::Number>().Int32Value();
  auto packed = info[1].As<Napi::Buffer<char>>();
  char text[INET6_ADDRSTRLEN];
  if (inet_ntop(family, packed.Data(), text, sizeof text) == nullptr)
    throw_error(info.Env(), ErrorKind::kErrno, errno, "inet_ntop");
  return Napi::String::New(info.Env(), text);
}

}  // namespace sockmode
