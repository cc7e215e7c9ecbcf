// The socket operations: each takes the fd (and, for calls that can wait, the
// timeout its JS object holds) and runs its syscall through sock_call. No
// state lives here; errors leave through check() / throw_error().
#include "socket.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/uio.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "address.h"
#include "call.h"
#include "errors.h"
#include "sys.h"
#include "views.h"

namespace sockmode {

namespace {

// Which calls try first in timeout mode (SEMANTICS §3), settled by the
// benchmark: a send almost always finds buffer space, so polling before it is
// wasted. A recv tried first finds its reply on about half of the pinned
// request/response round trips here (the peer often runs before send(2)
// returns) and always in bulk transfer; where it finds nothing, EAGAIN costs
// one cheap syscall. Measured (bench --quick, 1 B ping-pong): poll first
// 1.16x/1.12x the C floor (socketpair/TCP), try first 1.11x/1.09x.
constexpr First kRecvFirst = First::kTry;
constexpr First kSendFirst = First::kTry;

// Receives of at most this many bytes go through the stack, then one exact copy.
constexpr size_t kStackRecv = 65536;

int fd_arg(const Napi::CallbackInfo& info) {
  return info[0].As<Napi::Number>().Int32Value();
}
int int_arg(const Napi::CallbackInfo& info, size_t i) {
  return info[i].As<Napi::Number>().Int32Value();
}
Deadline deadline_arg(const Napi::CallbackInfo& info) {
  return Deadline::after(info[1].As<Napi::Number>().DoubleValue());
}

Bytes bytes_arg(const Napi::CallbackInfo& info, size_t i) {
  return view_bytes(info.Env(), info[i]);
}

// A byte count for JS, or null for the event loop's EAGAIN.
Napi::Value count(Napi::Env env, ssize_t n) {
  return n == kAgain ? env.Null() : Napi::Number::New(env, double(n));
}

Napi::Array pair(Napi::Env env, Napi::Value a, Napi::Value b) {
  auto out = Napi::Array::New(env, 2);
  out.Set(0u, a);
  out.Set(1u, b);
  return out;
}

// iovecs over an array of views (sendmsg, recvmsg_into).
std::vector<iovec> iovecs(const Napi::CallbackInfo& info, size_t i) {
  auto list = info[i].As<Napi::Array>();
  std::vector<iovec> iov(list.Length());
  for (uint32_t k = 0; k < iov.size(); k++) {
    Bytes b = view_bytes(info.Env(), list.Get(k));
    iov[k] = {b.data, b.len};
  }
  return iov;
}

// Where a receive of n bytes lands: the stack for small n, then one exact
// copy into a new Buffer; a Buffer of n (V8 reports allocation failure)
// otherwise, handed over whole when filled.
class RecvBuffer {
 public:
  RecvBuffer(Napi::Env env, size_t n) : env_(env), n_(n) {
    if (n > kStackRecv) big_ = Napi::Buffer<char>::New(env, n);
  }
  char* data() { return big_.IsEmpty() ? stack_ : big_.Data(); }
  // got may exceed n (MSG_TRUNC reports a datagram's full length): only the
  // n bytes that were written are returned.
  Napi::Buffer<char> take(size_t got) {
    if (got > n_) got = n_;
    if (!big_.IsEmpty() && got == n_) return big_;
    return Napi::Buffer<char>::Copy(env_, data(), got);
  }

 private:
  Napi::Env env_;
  size_t n_;
  Napi::Buffer<char> big_;
  char stack_[kStackRecv];
};

// recv/recvfrom into a new Buffer: (fd, timeoutNs, n, flags).
Napi::Value recv_buffer(const Napi::CallbackInfo& info, SockAddr* from, const char* name) {
  Napi::Env env = info.Env();
  int fd = fd_arg(info);
  Deadline d = deadline_arg(info);
  size_t n = size_t(info[2].As<Napi::Number>().DoubleValue());
  int flags = int_arg(info, 3);
  RecvBuffer buf(env, n);
  char* p = buf.data();
  if (from) from->len = sizeof from->ss;
  ssize_t r = sock_call(fd, d, POLLIN, kRecvFirst, [&](int f) {
    if (from) from->len = sizeof from->ss;
    return sys::recvfrom(fd, p, n, flags | f, from ? from->sa() : nullptr, from ? &from->len : nullptr);
  });
  ssize_t got = check(env, r, name, d);
  if (got == kAgain) return env.Null();
  return buf.take(size_t(got));
}

// recv_into/recvfrom_into: (fd, timeoutNs, view, nbytes, flags) -> bytes.
ssize_t recv_view(const Napi::CallbackInfo& info, SockAddr* from, const char* name) {
  int fd = fd_arg(info);
  Deadline d = deadline_arg(info);
  Bytes b = bytes_arg(info, 2);
  size_t n = size_t(info[3].As<Napi::Number>().DoubleValue());
  int flags = int_arg(info, 4);
  if (from) from->len = sizeof from->ss;
  ssize_t r = sock_call(fd, d, POLLIN, kRecvFirst, [&](int f) {
    if (from) from->len = sizeof from->ss;
    return sys::recvfrom(fd, b.data, n, flags | f, from ? from->sa() : nullptr, from ? &from->len : nullptr);
  });
  return check(info.Env(), r, name, d);
}

// send/sendto: (fd, timeoutNs, view, flags, ...) -> bytes sent.
ssize_t send_view(const Napi::CallbackInfo& info, const SockAddr* to, const char* name) {
  int fd = fd_arg(info);
  Deadline d = deadline_arg(info);
  Bytes b = bytes_arg(info, 2);
  int flags = int_arg(info, 3);
  const sockaddr* sa = to ? reinterpret_cast<const sockaddr*>(&to->ss) : nullptr;
  socklen_t len = to ? to->len : 0;
  ssize_t r = sock_call(fd, d, POLLOUT, kSendFirst,
                        [&](int f) { return sys::sendto(fd, b.data, b.len, flags | f, sa, len); });
  return check(info.Env(), r, name, d);
}

// Closes the fds of every SCM_RIGHTS message in msg: a receive whose result
// cannot reach JS must not leak what it received.
void close_received_fds(msghdr* msg) {
  for (cmsghdr* c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t end = std::min<size_t>(
        size_t(reinterpret_cast<char*>(c) - static_cast<char*>(msg->msg_control)) + c->cmsg_len,
        msg->msg_controllen);
    size_t data = size_t(reinterpret_cast<char*>(CMSG_DATA(c)) - static_cast<char*>(msg->msg_control));
    for (size_t off = data; off + sizeof(int) <= end; off += sizeof(int)) {
      int fd;
      memcpy(&fd, static_cast<char*>(msg->msg_control) + off, sizeof fd);
      sys::close(fd);
    }
  }
}

// The ancillary data of a received message as [level, type, Buffer][]; a
// message the control buffer cut short (MSG_CTRUNC) keeps the bytes that
// arrived, so every fd the kernel installed is returned.
Napi::Array ancdata_of(Napi::Env env, msghdr* msg) {
  auto out = Napi::Array::New(env);
  if (msg->msg_controllen < sizeof(cmsghdr)) return out;
  char* base = static_cast<char*>(msg->msg_control);
  uint32_t i = 0;
  for (cmsghdr* c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
    size_t off = size_t(reinterpret_cast<char*>(c) - base);
    size_t data = size_t(reinterpret_cast<char*>(CMSG_DATA(c)) - base);
    size_t end = std::min<size_t>(off + c->cmsg_len, msg->msg_controllen);
    auto item = Napi::Array::New(env, 3);
    item.Set(0u, c->cmsg_level);
    item.Set(1u, c->cmsg_type);
    item.Set(2u, Napi::Buffer<char>::Copy(env, base + data, end > data ? end - data : 0));
    out.Set(i++, item);
    if (off + c->cmsg_len > msg->msg_controllen) break;  // cut short: the last one
  }
  return out;
}

// recvmsg(2) through the mode into iov; `result(got)` makes the first item.
template <class Result>
Napi::Value recvmsg_through(const Napi::CallbackInfo& info, iovec* iov, size_t niov, int ancbufsize,
                            int flags, Result&& result) {
  Napi::Env env = info.Env();
  int fd = fd_arg(info);
  Deadline d = deadline_arg(info);
  std::vector<char> control(size_t(ancbufsize), 0);
  SockAddr from;
  msghdr msg{};
  ssize_t r = sock_call(fd, d, POLLIN, kRecvFirst, [&](int f) {
    msg = msghdr{};
    msg.msg_name = from.sa();
    msg.msg_namelen = sizeof from.ss;
    msg.msg_iov = iov;
    msg.msg_iovlen = niov;
    msg.msg_control = ancbufsize ? control.data() : nullptr;
    msg.msg_controllen = size_t(ancbufsize);
    return sys::recvmsg(fd, &msg, flags | f);
  });
  ssize_t n = check(env, r, "recvmsg", d);
  if (n == kAgain) return env.Null();
  size_t got = size_t(n);
  try {
    auto out = Napi::Array::New(env, 4);
    out.Set(0u, result(got));
    out.Set(1u, ancdata_of(env, &msg));
    out.Set(2u, msg.msg_flags);
    out.Set(3u, from_sockaddr(env, from.sa(), msg.msg_namelen));
    return out;
  } catch (...) {
    close_received_fds(&msg);
    throw;
  }
}

Napi::Value address_of(Napi::Env env, int fd, int (*get)(int, sockaddr*, socklen_t*), const char* name) {
  SockAddr a;
  a.len = sizeof a.ss;
  memset(&a.ss, 0, sizeof a.ss);
  check(env, get(fd, a.sa(), &a.len), name);
  return from_sockaddr(env, a.sa(), a.len);
}

// connect(2) through the mode (CPython's internal_connect): returns 0, -errno
// or kTimedOut. Timeout mode waits for EINPROGRESS to settle; blocking mode
// waits without limit only after EINTR, when the connection goes on in the
// background; then SO_ERROR tells the outcome (EISCONN is success).
ssize_t connect_through(int fd, const Deadline& d, const SockAddr& a) {
  int r = sys::connect(fd, reinterpret_cast<const sockaddr*>(&a.ss), a.len);
  if (r == 0) return 0;
  // After EINTR the connection goes on in the background: blocking mode waits
  // for it; the non-blocking modes report it (the event loop waits for
  // writability, as for EINPROGRESS).
  bool wait = r == -EINTR ? (d.mode == Deadline::kBlocking || d.timed()) : (d.timed() && r == -EINPROGRESS);
  if (!wait) return r;
  return sock_call(fd, d.timed() ? d : Deadline::forever(), POLLOUT, First::kWait, [fd](int) -> ssize_t {
    int err = sys::so_error(fd);
    if (err == EISCONN) return 0;
    return err > 0 ? -err : err;
  });
}

}  // namespace

// socket(family, type, proto) -> fd; close-on-exec.
Napi::Value Socket(const Napi::CallbackInfo& info) {
  int fd =
      int(check(info.Env(), sys::socket(int_arg(info, 0), int_arg(info, 1), int_arg(info, 2)), "socket"));
  return Napi::Number::New(info.Env(), fd);
}

// socketpair(family, type, proto) -> [fd, fd]; close-on-exec.
Napi::Value SocketPair(const Napi::CallbackInfo& info) {
  int fds[2];
  check(info.Env(), sys::socketpair(int_arg(info, 0), int_arg(info, 1), int_arg(info, 2), fds), "socketpair");
  auto a = Napi::Array::New(info.Env(), 2);
  a.Set(0u, fds[0]);
  a.Set(1u, fds[1]);
  return a;
}

// setblocking(fd, blocking): one ioctl(FIONBIO), every time.
Napi::Value SetBlocking(const Napi::CallbackInfo& info) {
  check(info.Env(), sys::set_nonblocking(fd_arg(info), !info[1].As<Napi::Boolean>().Value()), "ioctl");
  return info.Env().Undefined();
}

// getfl(fd) -> fcntl(F_GETFL) flags: how a test or the demo reads O_NONBLOCK.
Napi::Value GetFl(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), int(check(info.Env(), sys::get_fl(fd_arg(info)), "fcntl")));
}

// sockinfo(fd) -> [family, type, proto] read from the fd (SO_DOMAIN, SO_TYPE,
// SO_PROTOCOL): EBADF for a closed fd, ENOTSOCK for a non-socket.
Napi::Value SockInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = fd_arg(info);
  int v[3] = {0, 0, 0};
  socklen_t len = sizeof(int);
  check(env, sys::getsockopt(fd, SOL_SOCKET, SO_TYPE, &v[1], &len), "getsockopt");
#ifdef SO_DOMAIN
  len = sizeof(int);
  check(env, sys::getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v[0], &len), "getsockopt");
#else
  SockAddr a;
  a.len = sizeof a.ss;
  check(env, sys::getsockname(fd, a.sa(), &a.len), "getsockname");
  v[0] = a.ss.ss_family;
#endif
#ifdef SO_PROTOCOL
  len = sizeof(int);
  check(env, sys::getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &v[2], &len), "getsockopt");
#endif
  auto a = Napi::Array::New(env, 3);
  for (uint32_t i = 0; i < 3; i++) a.Set(i, v[i]);
  return a;
}

// dup(fd) -> a new fd on the same open file description, close-on-exec.
Napi::Value Dup(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), int(check(info.Env(), sys::dup_cloexec(fd_arg(info)), "dup")));
}

// close(fd): once, never retried; ECONNRESET is not an error (CPython).
Napi::Value Close(const Napi::CallbackInfo& info) {
  int r = sys::close(fd_arg(info));
  if (r != -ECONNRESET) check(info.Env(), r, "close");
  return info.Env().Undefined();
}

// bind(fd, family, address)
Napi::Value Bind(const Napi::CallbackInfo& info) {
  SockAddr a = to_sockaddr(info.Env(), int_arg(info, 1), info[2], "bind");
  check(info.Env(), sys::bind(fd_arg(info), a.sa(), a.len), "bind");
  return info.Env().Undefined();
}

// listen(fd, backlog)
Napi::Value Listen(const Napi::CallbackInfo& info) {
  check(info.Env(), sys::listen(fd_arg(info), int_arg(info, 1)), "listen");
  return info.Env().Undefined();
}

// accept(fd, timeoutNs) -> [fd, address]; accept4(SOCK_CLOEXEC).
Napi::Value Accept(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = fd_arg(info);
  SockAddr a;
  memset(&a.ss, 0, sizeof a.ss);
  Deadline d = deadline_arg(info);
  ssize_t r = check(env,
                    sock_call(fd, d, POLLIN, First::kWait,
                              [&](int) -> ssize_t {
                                a.len = sizeof a.ss;
                                return sys::accept(fd, a.sa(), &a.len);
                              }),
                    "accept", d);
  if (r == kAgain) return env.Null();
  int conn = int(r);
  try {
    auto out = Napi::Array::New(env, 2);
    out.Set(0u, conn);
    out.Set(1u, from_sockaddr(env, a.sa(), a.len));
    return out;
  } catch (...) {
    sys::close(conn);
    throw;
  }
}

// connect(fd, timeoutNs, family, address, ex) -> 0. With ex (connect_ex) the
// errno is returned instead of thrown, and the library's timeout is EAGAIN.
Napi::Value Connect(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Deadline d = deadline_arg(info);
  SockAddr a = to_sockaddr(env, int_arg(info, 2), info[3], info[4].ToBoolean() ? "connect_ex" : "connect");
  ssize_t r = connect_through(fd_arg(info), d, a);
  if (info[4].ToBoolean()) return Napi::Number::New(env, r == kTimedOut ? EWOULDBLOCK : int(-r));
  check(env, r, "connect");
  return Napi::Number::New(env, 0);
}

// recv(fd, timeoutNs, n, flags) -> Buffer of the bytes received.
Napi::Value Recv(const Napi::CallbackInfo& info) {
  return recv_buffer(info, nullptr, "recv");
}

// recvfrom(fd, timeoutNs, n, flags) -> [Buffer, address | null]
Napi::Value RecvFrom(const Napi::CallbackInfo& info) {
  SockAddr from;
  Napi::Value data = recv_buffer(info, &from, "recvfrom");
  if (data.IsNull()) return data;
  return pair(info.Env(), data, from_sockaddr(info.Env(), from.sa(), from.len));
}

// recv_into(fd, timeoutNs, view, nbytes, flags) -> bytes received, written
// straight into the caller's memory.
Napi::Value RecvInto(const Napi::CallbackInfo& info) {
  return count(info.Env(), recv_view(info, nullptr, "recv_into"));
}

// recvfrom_into(fd, timeoutNs, view, nbytes, flags) -> [bytes, address | null]
Napi::Value RecvFromInto(const Napi::CallbackInfo& info) {
  SockAddr from;
  ssize_t n = recv_view(info, &from, "recvfrom_into");
  if (n == kAgain) return info.Env().Null();
  return pair(info.Env(), count(info.Env(), n), from_sockaddr(info.Env(), from.sa(), from.len));
}

// send(fd, timeoutNs, view, flags) -> bytes sent; MSG_NOSIGNAL always.
Napi::Value Send(const Napi::CallbackInfo& info) {
  return count(info.Env(), send_view(info, nullptr, "send"));
}

// sendto(fd, timeoutNs, view, flags, family, address) -> bytes sent
Napi::Value SendTo(const Napi::CallbackInfo& info) {
  SockAddr to = to_sockaddr(info.Env(), int_arg(info, 4), info[5], "sendto");
  return count(info.Env(), send_view(info, &to, "sendto"));
}

// sendall(fd, timeoutNs, view, flags): one deadline for the whole call; an
// empty view still issues one send(2). In the event loop's attempt it sends
// what the kernel takes now and returns that count.
Napi::Value SendAll(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = fd_arg(info);
  Deadline d = deadline_arg(info);
  Bytes b = bytes_arg(info, 2);
  int flags = int_arg(info, 3);
  size_t off = 0;
  do {
    if (d.expired()) check(env, kTimedOut, "sendall");
    ssize_t r = check(
        env,
        sock_call(fd, d, POLLOUT, kSendFirst,
                  [&](int f) { return sys::sendto(fd, b.data + off, b.len - off, flags | f, nullptr, 0); }),
        "sendall", d);
    if (r == kAgain) break;
    off += size_t(r);
  } while (off < b.len);
  return d.mode == Deadline::kTry ? Napi::Number::New(env, double(off)) : env.Undefined();
}

// sendmsg(fd, timeoutNs, buffers: View[], ancdata: [level, type, View][],
//         flags, family, address | undefined) -> bytes sent
Napi::Value SendMsg(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = fd_arg(info);
  Deadline d = deadline_arg(info);
  std::vector<iovec> iov = iovecs(info, 2);
  auto anc = info[3].As<Napi::Array>();
  int flags = int_arg(info, 4);
  SockAddr to;
  bool has_to = !info[6].IsUndefined() && !info[6].IsNull();
  if (has_to) to = to_sockaddr(env, int_arg(info, 5), info[6], "sendmsg");
  size_t space = 0;
  for (uint32_t i = 0; i < anc.Length(); i++) {
    space += CMSG_SPACE(view_bytes(env, anc.Get(i).As<Napi::Array>().Get(2u)).len);
  }
  std::vector<char> control(space, 0);
  msghdr msg{};
  msg.msg_iov = iov.data();
  msg.msg_iovlen = iov.size();
  msg.msg_name = has_to ? to.sa() : nullptr;
  msg.msg_namelen = has_to ? to.len : 0;
  msg.msg_control = space ? control.data() : nullptr;
  msg.msg_controllen = space;
  cmsghdr* c = space ? CMSG_FIRSTHDR(&msg) : nullptr;
  for (uint32_t i = 0; i < anc.Length(); i++, c = CMSG_NXTHDR(&msg, c)) {
    auto item = anc.Get(i).As<Napi::Array>();
    Bytes data = view_bytes(env, item.Get(2u));
    c->cmsg_level = item.Get(0u).As<Napi::Number>().Int32Value();
    c->cmsg_type = item.Get(1u).As<Napi::Number>().Int32Value();
    c->cmsg_len = CMSG_LEN(data.len);
    if (data.len) memcpy(CMSG_DATA(c), data.data, data.len);  // an empty item may have no memory
  }
  ssize_t r = sock_call(fd, d, POLLOUT, kSendFirst, [&](int f) { return sys::sendmsg(fd, &msg, flags | f); });
  return count(env, check(env, r, "sendmsg", d));
}

// recvmsg(fd, timeoutNs, bufsize, ancbufsize, flags)
//   -> [Buffer, ancdata: [level, type, Buffer][], msg_flags, address | null]
Napi::Value RecvMsg(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  size_t n = size_t(info[2].As<Napi::Number>().DoubleValue());
  RecvBuffer buf(env, n);
  iovec iov{buf.data(), n};
  return recvmsg_through(info, &iov, 1, int_arg(info, 3), int_arg(info, 4),
                         [&](size_t got) { return buf.take(got); });
}

// recvmsg_into(fd, timeoutNs, buffers: View[], ancbufsize, flags)
//   -> [bytes, ancdata, msg_flags, address | null]
Napi::Value RecvMsgInto(const Napi::CallbackInfo& info) {
  std::vector<iovec> iov = iovecs(info, 2);
  return recvmsg_through(info, iov.data(), iov.size(), int_arg(info, 3), int_arg(info, 4),
                         [&](size_t got) { return Napi::Number::New(info.Env(), double(got)); });
}

// cmsg_len(n) -> CMSG_LEN(n); cmsg_space(n) -> CMSG_SPACE(n). The JS layer
// checks the range.
Napi::Value CmsgLen(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), double(CMSG_LEN(size_t(info[0].As<Napi::Number>().DoubleValue()))));
}
Napi::Value CmsgSpace(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), double(CMSG_SPACE(size_t(info[0].As<Napi::Number>().DoubleValue()))));
}

// shutdown(fd, how)
Napi::Value Shutdown(const Napi::CallbackInfo& info) {
  check(info.Env(), sys::shutdown(fd_arg(info), int_arg(info, 1)), "shutdown");
  return info.Env().Undefined();
}

// getsockname(fd) -> address
Napi::Value GetSockName(const Napi::CallbackInfo& info) {
  return address_of(info.Env(), fd_arg(info), sys::getsockname, "getsockname");
}

// getpeername(fd) -> address
Napi::Value GetPeerName(const Napi::CallbackInfo& info) {
  return address_of(info.Env(), fd_arg(info), sys::getpeername, "getpeername");
}

// setsockopt(fd, level, opt, value: integer | bytes-like)
Napi::Value SetSockOpt(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int r;
  if (info[3].IsNumber()) {
    int v = info[3].As<Napi::Number>().Int32Value();
    r = sys::setsockopt(fd_arg(info), int_arg(info, 1), int_arg(info, 2), &v, sizeof v);
  } else {
    Bytes b = bytes_arg(info, 3);
    r = sys::setsockopt(fd_arg(info), int_arg(info, 1), int_arg(info, 2), b.data, socklen_t(b.len));
  }
  check(env, r, "setsockopt");
  return env.Undefined();
}

// getsockopt(fd, level, opt, buflen) -> integer when buflen is 0, else a
// Buffer of what the kernel wrote (buflen 1..1024, checked by the JS layer).
Napi::Value GetSockOpt(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int buflen = int_arg(info, 3);
  if (buflen == 0) {
    int v = 0;
    socklen_t len = sizeof v;
    check(env, sys::getsockopt(fd_arg(info), int_arg(info, 1), int_arg(info, 2), &v, &len), "getsockopt");
    return Napi::Number::New(env, v);
  }
  char buf[1024];
  socklen_t len = socklen_t(buflen);
  check(env, sys::getsockopt(fd_arg(info), int_arg(info, 1), int_arg(info, 2), buf, &len), "getsockopt");
  return Napi::Buffer<char>::Copy(env, buf, len);
}

}  // namespace sockmode
