#include "bench.h"

#ifdef __linux__
#include <sched.h>
#endif
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "address.h"
#include "errors.h"
#include "sys.h"

namespace sockmode {

namespace {

double seconds_since(int64_t t0) {
  return double(sys::monotonic_ns() - t0) / 1e9;
}

// send(2) all of buf; -errno on failure.
ssize_t send_all(int fd, const char* buf, size_t n) {
  size_t off = 0;
  while (off < n) {
    ssize_t r = sys::sendto(fd, buf + off, n - off, 0, nullptr, 0);
    if (r == -EINTR) continue;
    if (r < 0) return r;
    off += size_t(r);
  }
  return ssize_t(off);
}

// recv(2) exactly n bytes; 0 at end of stream; -errno on failure.
ssize_t recv_all(int fd, char* buf, size_t n) {
  size_t off = 0;
  while (off < n) {
    ssize_t r = sys::recvfrom(fd, buf + off, n - off, 0, nullptr, nullptr);
    if (r == -EINTR) continue;
    if (r <= 0) return r;
    off += size_t(r);
  }
  return ssize_t(off);
}

// The peer's commands (lib/bench.ts writes them): one struct and at most one fd.
struct Command {
  char op;  // 'e' echo, 's' source, 'E'/'S' accept one then echo/source, 'A' accept and close `count`
  uint8_t pad[3];
  uint32_t size;   // source: bytes per send
  uint64_t count;  // source: total bytes; 'A': connections
};

void echo(int fd) {
  std::vector<char> buf(1 << 16);
  for (;;) {
    ssize_t r = sys::recvfrom(fd, buf.data(), buf.size(), 0, nullptr, nullptr);
    if (r == -EINTR) continue;
    if (r <= 0 || send_all(fd, buf.data(), size_t(r)) < 0) return;
  }
}

void source(int fd, size_t size, uint64_t total) {
  std::vector<char> buf(size, 'x');
  for (uint64_t sent = 0; sent < total;) {
    size_t n = size_t(std::min<uint64_t>(size, total - sent));
    if (send_all(fd, buf.data(), n) < 0) return;
    sent += n;
  }
}

int accept_one(int listener) {
  for (;;) {
    int c = sys::accept(listener, nullptr, nullptr);
    if (c != -EINTR) return c;
  }
}

void serve(const Command& cmd, int fd) {
  switch (cmd.op) {
    case 'e':
      echo(fd);
      break;
    case 's':
      source(fd, cmd.size, cmd.count);
      break;
    case 'E':
    case 'S': {
      int c = accept_one(fd);
      if (c < 0) break;
      int one = 1;
      sys::setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      if (cmd.op == 'E')
        echo(c);
      else
        source(c, cmd.size, cmd.count);
      sys::close(c);
      break;
    }
    case 'A':
      for (uint64_t i = 0; i < cmd.count; i++) {
        int c = accept_one(fd);
        if (c < 0) break;
        sys::close(c);
      }
      break;
  }
}

}  // namespace

Napi::Value BenchPin(const Napi::CallbackInfo& info) {
#ifdef __linux__
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(info[0].As<Napi::Number>().Int32Value(), &set);
  return Napi::Boolean::New(info.Env(), sched_setaffinity(0, sizeof set, &set) == 0);
#else
  return Napi::Boolean::New(info.Env(), false);
#endif
}

Napi::Value BenchPingPong(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  size_t size = info[1].As<Napi::Number>().Uint32Value();
  int64_t rounds = info[2].As<Napi::Number>().Int64Value();
  std::vector<char> out(size, 'p'), in(size);
  int64_t t0 = sys::monotonic_ns();
  for (int64_t i = 0; i < rounds; i++) {
    check(env, send_all(fd, out.data(), size), "send");
    if (check(env, recv_all(fd, in.data(), size), "recv") == 0) throw Napi::Error::New(env, "peer closed");
  }
  return Napi::Number::New(env, seconds_since(t0));
}

Napi::Value BenchBulk(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  size_t bufsize = info[1].As<Napi::Number>().Uint32Value();
  double total = info[2].As<Napi::Number>().DoubleValue();
  std::vector<char> buf(bufsize);
  double got = 0;
  int64_t t0 = sys::monotonic_ns();
  while (got < total) {
    ssize_t r = sys::recvfrom(fd, buf.data(), bufsize, 0, nullptr, nullptr);
    if (r == -EINTR) continue;
    if (check(env, r, "recv") == 0) throw Napi::Error::New(env, "peer closed");
    got += double(r);
  }
  return Napi::Number::New(env, seconds_since(t0));
}

Napi::Value BenchConnect(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int family = info[0].As<Napi::Number>().Int32Value();
  SockAddr a = to_sockaddr(env, family, info[1], "connect");
  int64_t count = info[2].As<Napi::Number>().Int64Value();
  int64_t t0 = sys::monotonic_ns();
  for (int64_t i = 0; i < count; i++) {
    int fd = int(check(env, sys::socket(family, SOCK_STREAM, 0), "socket"));
    int r = sys::connect(fd, a.sa(), a.len);
    sys::close(fd);
    check(env, r, "connect");
  }
  return Napi::Number::New(env, seconds_since(t0));
}

Napi::Value BenchPeer(const Napi::CallbackInfo& info) {
  int control = info[0].As<Napi::Number>().Int32Value();
  for (;;) {
    Command cmd{};
    iovec iov{&cmd, sizeof cmd};
    alignas(cmsghdr) char cbuf[CMSG_SPACE(sizeof(int))];
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = cbuf;
    msg.msg_controllen = sizeof cbuf;
    ssize_t r = sys::recvmsg(control, &msg, MSG_WAITALL);
    if (r == -EINTR) continue;
    if (r <= 0) break;  // the bench is done
    int fd = -1;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    if (c && c->cmsg_type == SCM_RIGHTS) memcpy(&fd, CMSG_DATA(c), sizeof fd);
    serve(cmd, fd);
    if (fd >= 0) sys::close(fd);
    char done = 'd';
    if (send_all(control, &done, 1) < 0) break;
  }
  return info.Env().Undefined();
}

}  // namespace sockmode
