#include "loop.h"

#include <uv.h>

#include <unordered_set>

#include "errors.h"

namespace sockmode {

struct Watch;

// The open handles of one environment, closed by its cleanup hook.
struct Watches {
  std::unordered_set<Watch*> open;
};

struct Watch {
  uv_poll_t handle;
  Napi::FunctionReference callback;
  Napi::Env env;
  Watches* owner;
  bool closing = false;
};

namespace {

void on_closed(uv_handle_t* h) { delete static_cast<Watch*>(h->data); }

void close_watch(Watch* w) {
  if (w->closing) return;
  w->closing = true;
  w->owner->open.erase(w);
  w->callback.Reset();
  uv_poll_stop(&w->handle);  // libuv forgets the fd now, while it is still ours
  uv_close(reinterpret_cast<uv_handle_t*>(&w->handle), on_closed);
}

void on_ready(uv_poll_t* h, int status, int events) {
  auto* w = static_cast<Watch*>(h->data);
  if (w->closing) return;
  Napi::Env env = w->env;
  Napi::HandleScope scope(env);
  // status < 0 (a libuv error, -errno) goes to JS as a positive errno.
  w->callback.MakeCallback(env.Global(), {Napi::Number::New(env, status < 0 ? -status : 0), Napi::Number::New(env, events)});
}

Watch* watch_of(const Napi::CallbackInfo& info) {
  auto* w = info[0].As<Napi::External<Watch>>().Data();
  if (w->closing) throw Napi::Error::New(info.Env(), "poll handle already closed");
  return w;
}

int uv_events(const Napi::Value& v) {
  int e = v.As<Napi::Number>().Int32Value();
  return (e & 1 ? UV_READABLE : 0) | (e & 2 ? UV_WRITABLE : 0);
}

}  // namespace

Napi::Value PollWatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  int events = uv_events(info[1]);
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr)
    throw Napi::Error::New(env, "no event loop in this environment");
  auto* owner = env.GetInstanceData<InstanceData>()->watches;
  auto* w = new Watch{uv_poll_t{}, Napi::Persistent(info[2].As<Napi::Function>()), env, owner};
  w->handle.data = w;
  int r = uv_poll_init_socket(loop, &w->handle, fd);
  if (r != 0) {
    delete w;  // never initialized: nothing for libuv to close
    check(env, r, "uv_poll_init");
  }
  owner->open.insert(w);
  r = uv_poll_start(&w->handle, events, on_ready);
  if (r != 0) {
    close_watch(w);
    check(env, r, "uv_poll_start");
  }
  return Napi::External<Watch>::New(env, w);
}

Napi::Value PollUpdate(const Napi::CallbackInfo& info) {
  Watch* w = watch_of(info);
  check(info.Env(), uv_poll_start(&w->handle, uv_events(info[1]), on_ready), "uv_poll_start");
  return info.Env().Undefined();
}

Napi::Value PollClose(const Napi::CallbackInfo& info) {
  auto* w = info[0].As<Napi::External<Watch>>().Data();
  close_watch(w);
  return info.Env().Undefined();
}

void InitLoop(Napi::Env env) {
  auto* data = env.GetInstanceData<InstanceData>();
  data->watches = new Watches();
  env.AddCleanupHook([data]() {
    // The environment is going away (a worker terminated, or exit): close
    // every handle; libuv runs their close callbacks while it tears down.
    Watches* ws = data->watches;
    while (!ws->open.empty()) close_watch(*ws->open.begin());
    delete ws;
    data->watches = nullptr;
  });
}

}  // namespace sockmode
