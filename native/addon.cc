// Module init: per-environment instance data, the functions and the
// platform's constants. Safe to load in several worker threads at once: there
// is no process-global mutable state.
#include <errno.h>
#include <fcntl.h>
#include <napi.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#ifdef __linux__
#include <sys/epoll.h>
#endif

#include "address.h"
#include "bench.h"
#include "call.h"
#include "errors.h"
#include "loop.h"
#include "select.h"
#include "socket.h"

namespace sockmode {
namespace {

Napi::Object Constants(Napi::Env env) {
  auto c = Napi::Object::New(env);
#define C(name) c.Set(#name, Napi::Number::New(env, name))
  C(AF_INET);
  C(AF_INET6);
  C(AF_UNIX);
  C(AF_UNSPEC);
  C(SOCK_STREAM);
  C(SOCK_DGRAM);
  C(SOCK_SEQPACKET);
  C(SOCK_RAW);
#ifdef SOCK_NONBLOCK
  C(SOCK_NONBLOCK);
  C(SOCK_CLOEXEC);
#endif
  C(SOL_SOCKET);
  C(SO_REUSEADDR);
  C(SO_ERROR);
  C(SO_TYPE);
  C(SO_RCVBUF);
  C(SO_SNDBUF);
  C(SO_KEEPALIVE);
  C(SO_LINGER);
  C(SO_RCVTIMEO);
  C(SO_SNDTIMEO);
  C(SO_BROADCAST);
  C(SO_ACCEPTCONN);
#ifdef SO_REUSEPORT
  C(SO_REUSEPORT);
#endif
#ifdef SO_DOMAIN
  C(SO_DOMAIN);
#endif
#ifdef SO_PROTOCOL
  C(SO_PROTOCOL);
#endif
  C(IPPROTO_IP);
  C(IPPROTO_TCP);
  C(IPPROTO_UDP);
  C(IPPROTO_IPV6);
  C(TCP_NODELAY);
  C(IPV6_V6ONLY);
  C(MSG_PEEK);
  C(MSG_DONTWAIT);
  C(MSG_WAITALL);
  C(MSG_OOB);
#ifdef MSG_NOSIGNAL
  C(MSG_NOSIGNAL);
#endif
  C(SHUT_RD);
  C(SHUT_WR);
  C(SHUT_RDWR);
  C(SOMAXCONN);
  C(AI_PASSIVE);
  C(AI_CANONNAME);
  C(AI_NUMERICHOST);
  C(AI_NUMERICSERV);
  C(AI_ADDRCONFIG);
  C(AI_V4MAPPED);
  C(AI_ALL);
  C(EAI_AGAIN);
  C(EAI_BADFLAGS);
  C(EAI_FAIL);
  C(EAI_FAMILY);
  C(EAI_MEMORY);
  C(EAI_NONAME);
  C(EAI_SERVICE);
  C(EAI_SOCKTYPE);
  C(EAI_SYSTEM);
  C(EAI_OVERFLOW);
#ifdef EAI_NODATA
  C(EAI_NODATA);
#endif
#ifdef EAI_ADDRFAMILY
  C(EAI_ADDRFAMILY);
#endif
  C(O_NONBLOCK);
  c.Set("TRY_TIMEOUT", Napi::Number::New(env, kTryTimeout));
  C(POLLIN);
  C(POLLPRI);
  C(POLLOUT);
  C(POLLERR);
  C(POLLHUP);
  C(POLLNVAL);
#ifdef POLLRDHUP
  C(POLLRDHUP);
#endif
#ifdef __linux__
  C(EPOLLIN);
  C(EPOLLOUT);
  C(EPOLLPRI);
  C(EPOLLERR);
  C(EPOLLHUP);
  C(EPOLLRDHUP);
  C(EPOLLET);
  C(EPOLLONESHOT);
  C(EPOLLEXCLUSIVE);
  C(EPOLLRDNORM);
  C(EPOLLRDBAND);
  C(EPOLLWRNORM);
  C(EPOLLWRBAND);
  C(EPOLLMSG);
  C(EPOLL_CTL_ADD);
  C(EPOLL_CTL_MOD);
  C(EPOLL_CTL_DEL);
  C(EPOLL_CLOEXEC);
  // The layout of struct epoll_event in 32-bit ints, for reading epoll_wait's
  // results in place (packed, 3 ints, on x86-64; 4 on other ABIs).
  c.Set("EPOLL_EVENT_INTS", Napi::Number::New(env, sizeof(epoll_event) / 4));
  c.Set("EPOLL_FD_INT", Napi::Number::New(env, offsetof(epoll_event, data) / 4));
#endif
  C(SCM_RIGHTS);
  C(MSG_TRUNC);
  C(MSG_CTRUNC);
#ifdef MSG_CMSG_CLOEXEC
  C(MSG_CMSG_CLOEXEC);
#endif
#ifdef SCM_CREDENTIALS
  C(SCM_CREDENTIALS);
  C(SO_PASSCRED);
  C(SO_PEERCRED);
#endif
  C(IP_TTL);
  C(IP_TOS);
  C(IP_MULTICAST_TTL);
  C(IP_MULTICAST_LOOP);
  C(IP_MULTICAST_IF);
  C(IP_ADD_MEMBERSHIP);
  C(IP_DROP_MEMBERSHIP);
  C(IPV6_JOIN_GROUP);
  C(IPV6_LEAVE_GROUP);
  C(IPV6_MULTICAST_HOPS);
  C(IPV6_MULTICAST_LOOP);
  C(IPV6_MULTICAST_IF);
  C(IPV6_UNICAST_HOPS);
  C(INADDR_ANY);
  C(INADDR_BROADCAST);
  C(INADDR_LOOPBACK);
  C(INADDR_NONE);
#undef C
  return c;
}

// Every errno name the platform defines, by number; where two names share a
// number the one Python's errno.errorcode gives comes first (EAGAIN,
// EDEADLOCK, ENOTSUP). lib/errors.ts reads names and classes from here, so
// numbers Node's os.constants lacks (ESHUTDOWN, EHOSTDOWN...) are named too.
Napi::Object Errnos(Napi::Env env) {
  auto c = Napi::Object::New(env);
#define E(name) c.Set(#name, Napi::Number::New(env, name))
#ifdef EAGAIN
  E(EAGAIN);
#endif
#ifdef EDEADLOCK
  E(EDEADLOCK);
#endif
#ifdef ENOTSUP
  E(ENOTSUP);
#endif
#ifdef E2BIG
  E(E2BIG);
#endif
#ifdef EACCES
  E(EACCES);
#endif
#ifdef EADDRINUSE
  E(EADDRINUSE);
#endif
#ifdef EADDRNOTAVAIL
  E(EADDRNOTAVAIL);
#endif
#ifdef EADV
  E(EADV);
#endif
#ifdef EAFNOSUPPORT
  E(EAFNOSUPPORT);
#endif
#ifdef EALREADY
  E(EALREADY);
#endif
#ifdef EBADE
  E(EBADE);
#endif
#ifdef EBADF
  E(EBADF);
#endif
#ifdef EBADFD
  E(EBADFD);
#endif
#ifdef EBADMSG
  E(EBADMSG);
#endif
#ifdef EBADR
  E(EBADR);
#endif
#ifdef EBADRQC
  E(EBADRQC);
#endif
#ifdef EBADSLT
  E(EBADSLT);
#endif
#ifdef EBFONT
  E(EBFONT);
#endif
#ifdef EBUSY
  E(EBUSY);
#endif
#ifdef ECANCELED
  E(ECANCELED);
#endif
#ifdef ECHILD
  E(ECHILD);
#endif
#ifdef ECHRNG
  E(ECHRNG);
#endif
#ifdef ECOMM
  E(ECOMM);
#endif
#ifdef ECONNABORTED
  E(ECONNABORTED);
#endif
#ifdef ECONNREFUSED
  E(ECONNREFUSED);
#endif
#ifdef ECONNRESET
  E(ECONNRESET);
#endif
#ifdef EDEADLK
  E(EDEADLK);
#endif
#ifdef EDESTADDRREQ
  E(EDESTADDRREQ);
#endif
#ifdef EDOM
  E(EDOM);
#endif
#ifdef EDOTDOT
  E(EDOTDOT);
#endif
#ifdef EDQUOT
  E(EDQUOT);
#endif
#ifdef EEXIST
  E(EEXIST);
#endif
#ifdef EFAULT
  E(EFAULT);
#endif
#ifdef EFBIG
  E(EFBIG);
#endif
#ifdef EHOSTDOWN
  E(EHOSTDOWN);
#endif
#ifdef EHOSTUNREACH
  E(EHOSTUNREACH);
#endif
#ifdef EIDRM
  E(EIDRM);
#endif
#ifdef EILSEQ
  E(EILSEQ);
#endif
#ifdef EINPROGRESS
  E(EINPROGRESS);
#endif
#ifdef EINTR
  E(EINTR);
#endif
#ifdef EINVAL
  E(EINVAL);
#endif
#ifdef EIO
  E(EIO);
#endif
#ifdef EISCONN
  E(EISCONN);
#endif
#ifdef EISDIR
  E(EISDIR);
#endif
#ifdef EISNAM
  E(EISNAM);
#endif
#ifdef EKEYEXPIRED
  E(EKEYEXPIRED);
#endif
#ifdef EKEYREJECTED
  E(EKEYREJECTED);
#endif
#ifdef EKEYREVOKED
  E(EKEYREVOKED);
#endif
#ifdef EL2HLT
  E(EL2HLT);
#endif
#ifdef EL2NSYNC
  E(EL2NSYNC);
#endif
#ifdef EL3HLT
  E(EL3HLT);
#endif
#ifdef EL3RST
  E(EL3RST);
#endif
#ifdef ELIBACC
  E(ELIBACC);
#endif
#ifdef ELIBBAD
  E(ELIBBAD);
#endif
#ifdef ELIBEXEC
  E(ELIBEXEC);
#endif
#ifdef ELIBMAX
  E(ELIBMAX);
#endif
#ifdef ELIBSCN
  E(ELIBSCN);
#endif
#ifdef ELNRNG
  E(ELNRNG);
#endif
#ifdef ELOOP
  E(ELOOP);
#endif
#ifdef EMEDIUMTYPE
  E(EMEDIUMTYPE);
#endif
#ifdef EMFILE
  E(EMFILE);
#endif
#ifdef EMLINK
  E(EMLINK);
#endif
#ifdef EMSGSIZE
  E(EMSGSIZE);
#endif
#ifdef EMULTIHOP
  E(EMULTIHOP);
#endif
#ifdef ENAMETOOLONG
  E(ENAMETOOLONG);
#endif
#ifdef ENAVAIL
  E(ENAVAIL);
#endif
#ifdef ENETDOWN
  E(ENETDOWN);
#endif
#ifdef ENETRESET
  E(ENETRESET);
#endif
#ifdef ENETUNREACH
  E(ENETUNREACH);
#endif
#ifdef ENFILE
  E(ENFILE);
#endif
#ifdef ENOANO
  E(ENOANO);
#endif
#ifdef ENOBUFS
  E(ENOBUFS);
#endif
#ifdef ENOCSI
  E(ENOCSI);
#endif
#ifdef ENODATA
  E(ENODATA);
#endif
#ifdef ENODEV
  E(ENODEV);
#endif
#ifdef ENOENT
  E(ENOENT);
#endif
#ifdef ENOEXEC
  E(ENOEXEC);
#endif
#ifdef ENOKEY
  E(ENOKEY);
#endif
#ifdef ENOLCK
  E(ENOLCK);
#endif
#ifdef ENOLINK
  E(ENOLINK);
#endif
#ifdef ENOMEDIUM
  E(ENOMEDIUM);
#endif
#ifdef ENOMEM
  E(ENOMEM);
#endif
#ifdef ENOMSG
  E(ENOMSG);
#endif
#ifdef ENONET
  E(ENONET);
#endif
#ifdef ENOPKG
  E(ENOPKG);
#endif
#ifdef ENOPROTOOPT
  E(ENOPROTOOPT);
#endif
#ifdef ENOSPC
  E(ENOSPC);
#endif
#ifdef ENOSR
  E(ENOSR);
#endif
#ifdef ENOSTR
  E(ENOSTR);
#endif
#ifdef ENOSYS
  E(ENOSYS);
#endif
#ifdef ENOTBLK
  E(ENOTBLK);
#endif
#ifdef ENOTCONN
  E(ENOTCONN);
#endif
#ifdef ENOTDIR
  E(ENOTDIR);
#endif
#ifdef ENOTEMPTY
  E(ENOTEMPTY);
#endif
#ifdef ENOTNAM
  E(ENOTNAM);
#endif
#ifdef ENOTRECOVERABLE
  E(ENOTRECOVERABLE);
#endif
#ifdef ENOTSOCK
  E(ENOTSOCK);
#endif
#ifdef ENOTTY
  E(ENOTTY);
#endif
#ifdef ENOTUNIQ
  E(ENOTUNIQ);
#endif
#ifdef ENXIO
  E(ENXIO);
#endif
#ifdef EOPNOTSUPP
  E(EOPNOTSUPP);
#endif
#ifdef EOVERFLOW
  E(EOVERFLOW);
#endif
#ifdef EOWNERDEAD
  E(EOWNERDEAD);
#endif
#ifdef EPERM
  E(EPERM);
#endif
#ifdef EPFNOSUPPORT
  E(EPFNOSUPPORT);
#endif
#ifdef EPIPE
  E(EPIPE);
#endif
#ifdef EPROTO
  E(EPROTO);
#endif
#ifdef EPROTONOSUPPORT
  E(EPROTONOSUPPORT);
#endif
#ifdef EPROTOTYPE
  E(EPROTOTYPE);
#endif
#ifdef ERANGE
  E(ERANGE);
#endif
#ifdef EREMCHG
  E(EREMCHG);
#endif
#ifdef EREMOTE
  E(EREMOTE);
#endif
#ifdef EREMOTEIO
  E(EREMOTEIO);
#endif
#ifdef ERESTART
  E(ERESTART);
#endif
#ifdef ERFKILL
  E(ERFKILL);
#endif
#ifdef EROFS
  E(EROFS);
#endif
#ifdef ESHUTDOWN
  E(ESHUTDOWN);
#endif
#ifdef ESOCKTNOSUPPORT
  E(ESOCKTNOSUPPORT);
#endif
#ifdef ESPIPE
  E(ESPIPE);
#endif
#ifdef ESRCH
  E(ESRCH);
#endif
#ifdef ESRMNT
  E(ESRMNT);
#endif
#ifdef ESTALE
  E(ESTALE);
#endif
#ifdef ESTRPIPE
  E(ESTRPIPE);
#endif
#ifdef ETIME
  E(ETIME);
#endif
#ifdef ETIMEDOUT
  E(ETIMEDOUT);
#endif
#ifdef ETOOMANYREFS
  E(ETOOMANYREFS);
#endif
#ifdef ETXTBSY
  E(ETXTBSY);
#endif
#ifdef EUCLEAN
  E(EUCLEAN);
#endif
#ifdef EUNATCH
  E(EUNATCH);
#endif
#ifdef EUSERS
  E(EUSERS);
#endif
#ifdef EWOULDBLOCK
  E(EWOULDBLOCK);
#endif
#ifdef EXDEV
  E(EXDEV);
#endif
#ifdef EXFULL
  E(EXFULL);
#endif
#undef E
  return c;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  env.SetInstanceData(new InstanceData());
  InitLoop(env);
  struct {
    const char* name;
    Napi::Value (*fn)(const Napi::CallbackInfo&);
  } fns[] = {
      {"set_error_factory", SetErrorFactory},
      {"strerror", StrError},
      {"gai_strerror", GaiStrError},
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
      {"recvfrom", RecvFrom},
      {"recvfrom_into", RecvFromInto},
      {"sendto", SendTo},
      {"sendmsg", SendMsg},
      {"recvmsg", RecvMsg},
      {"recvmsg_into", RecvMsgInto},
      {"cmsg_len", CmsgLen},
      {"cmsg_space", CmsgSpace},
      {"shutdown", Shutdown},
      {"getsockname", GetSockName},
      {"getpeername", GetPeerName},
      {"setsockopt", SetSockOpt},
      {"getsockopt", GetSockOpt},
      {"getaddrinfo", GetAddrInfo},
      {"inet_aton", InetAton},
      {"inet_pton", InetPton},
      {"inet_ntop", InetNtop},
      {"poll", Poll},
      {"bench_pin", BenchPin},
      {"bench_pingpong", BenchPingPong},
      {"bench_bulk", BenchBulk},
      {"bench_connect", BenchConnect},
      {"bench_peer", BenchPeer},
      {"poll_watch", PollWatch},
      {"poll_update", PollUpdate},
      {"poll_close", PollClose},
#ifdef __linux__
      {"epoll_create", EpollCreate},
      {"epoll_ctl", EpollCtl},
      {"epoll_wait", EpollWait},
#endif
  };
  for (auto& f : fns) exports.Set(f.name, Napi::Function::New(env, f.fn, f.name));
  exports.Set("constants", Constants(env));
  exports.Set("errno", Errnos(env));
  return exports;
}

}  // namespace
}  // namespace sockmode

static Napi::Object InitSockmode(Napi::Env env, Napi::Object exports) {
  return sockmode::Init(env, exports);
}

NODE_API_MODULE(sockmode, InitSockmode)
