// Module init: per-environment instance data, the functions and the
// platform's constants. Safe to load in several worker threads at once: there
// is no process-global mutable state.
#include <fcntl.h>
#include <napi.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include "address.h"
#include "errors.h"
#include "select.h"
#include "socket.h"

namespace sockmode {
namespace {

Napi::Object Constants(Napi::Env env) {
  auto c = Napi::Object::New(env);
#define C(name) c.Set(#name, Napi::Number::New(env, name))
  C(AF_INET); C(AF_INET6); C(AF_UNIX); C(AF_UNSPEC);
  C(SOCK_STREAM); C(SOCK_DGRAM); C(SOCK_SEQPACKET); C(SOCK_RAW);
#ifdef SOCK_NONBLOCK
  C(SOCK_NONBLOCK); C(SOCK_CLOEXEC);
#endif
  C(SOL_SOCKET); C(SO_REUSEADDR); C(SO_ERROR); C(SO_TYPE); C(SO_RCVBUF); C(SO_SNDBUF);
  C(SO_KEEPALIVE); C(SO_LINGER); C(SO_RCVTIMEO); C(SO_SNDTIMEO); C(SO_BROADCAST); C(SO_ACCEPTCONN);
#ifdef SO_REUSEPORT
  C(SO_REUSEPORT);
#endif
#ifdef SO_DOMAIN
  C(SO_DOMAIN);
#endif
#ifdef SO_PROTOCOL
  C(SO_PROTOCOL);
#endif
  C(IPPROTO_IP); C(IPPROTO_TCP); C(IPPROTO_UDP); C(IPPROTO_IPV6);
  C(TCP_NODELAY); C(IPV6_V6ONLY);
  C(MSG_PEEK); C(MSG_DONTWAIT); C(MSG_WAITALL); C(MSG_OOB);
#ifdef MSG_NOSIGNAL
  C(MSG_NOSIGNAL);
#endif
  C(SHUT_RD); C(SHUT_WR); C(SHUT_RDWR);
  C(SOMAXCONN);
  C(AI_PASSIVE); C(AI_CANONNAME); C(AI_NUMERICHOST); C(AI_NUMERICSERV); C(AI_ADDRCONFIG);
  C(AI_V4MAPPED); C(AI_ALL);
  C(EAI_AGAIN); C(EAI_BADFLAGS); C(EAI_FAIL); C(EAI_FAMILY); C(EAI_MEMORY); C(EAI_NONAME);
  C(EAI_SERVICE); C(EAI_SOCKTYPE); C(EAI_SYSTEM); C(EAI_OVERFLOW);
#ifdef EAI_NODATA
  C(EAI_NODATA);
#endif
#ifdef EAI_ADDRFAMILY
  C(EAI_ADDRFAMILY);
#endif
  C(O_NONBLOCK);
  C(POLLIN); C(POLLPRI); C(POLLOUT); C(POLLERR); C(POLLHUP); C(POLLNVAL);
#ifdef POLLRDHUP
  C(POLLRDHUP);
#endif
#undef C
  return c;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  env.SetInstanceData(new InstanceData());
  struct {
    const char* name;
    Napi::Value (*fn)(const Napi::CallbackInfo&);
  } fns[] = {
      {"set_error_factory", SetErrorFactory},
      {"socket", Socket},
      {"socketpair", SocketPair},
      {"setblocking", SetBlocking},
      {"getfl", GetFl},
      {"sockinfo", SockInfo},
      {"dup", Dup},
      {"close", Close},
      {"bind", Bind},
      {"listen", Listen},
      {"accept", Accept},
      {"connect", Connect},
      {"recv", Recv},
      {"recv_into", RecvInto},
      {"send", Send},
      {"sendall", SendAll},
      {"shutdown", Shutdown},
      {"getsockname", GetSockName},
      {"getpeername", GetPeerName},
      {"setsockopt", SetSockOpt},
      {"getsockopt", GetSockOpt},
      {"getaddrinfo", GetAddrInfo},
      {"poll", Poll},
  };
  for (auto& f : fns) exports.Set(f.name, Napi::Function::New(env, f.fn, f.name));
  exports.Set("constants", Constants(env));
  return exports;
}

}  // namespace
}  // namespace sockmode

static Napi::Object InitSockmode(Napi::Env env, Napi::Object exports) { return sockmode::Init(env, exports); }

NODE_API_MODULE(sockmode, InitSockmode)
