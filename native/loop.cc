#include "loop.h"

#include <uv.h>

#include <unordered_set>

#include "errors.h"

namespace sockmode {

struct Watch;

// The handles of one environment. Its async cleanup hook closes the open
// ones and holds the environment's teardown until their close callbacks ran:
// after that, Node may unload this library, callbacks included.
struct Watches {
  std::unordered_set<Watch*> open;
  size_t closing = 0;
  napi_async_cleanup_hook_handle teardown = nullptr;
};

struct Watch {
  uv_poll_t handle;
  Napi::FunctionReference callback;
  Napi::Env env;
  Watches* owner;
  bool closing = false;
};

namespace {

void on_closed(uv_handle_t* h) {
  auto* w = static_cast<Watch*>(h->data);
  Watches* ws = w->owner;
  delete w;
  if (--ws->closing == 0 && ws->teardown != nullptr) {
    napi_remove_async_cleanup_hook(ws->teardown);  // the environment may go on
    delete ws;
  }
}

void close_watch(Watch* w) {
  if (w->closing) return;
  w->closing = true;
  w->owner->open.erase(w);
  w->owner->closing++;
  w->callback.Reset();
  uv_poll_stop(&w->handle);  // libuv forgets the fd now, while it is still ours
  uv_close(reinterpret_cast<uv_handle_t*>(&w->handle), on_closed);
}

// Runs in a libuv callback, outside any N-API call: nothing here may throw a
// C++ exception (it would abort the process), so it speaks raw N-API. While a
// worker is being terminated the calls fail, and there is nothing to deliver.
void on_ready(uv_poll_t* h, int status, int events) {
  auto* w = static_cast<Watch*>(h->data);
  if (w->closing) return;
  napi_env env = w->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value fn, global, argv[2], result;
  // status < 0 (a libuv error, -errno) goes to JS as a positive errno.
  if (napi_get_reference_value(env, w->callback, &fn) == napi_ok && fn != nullptr &&
      napi_get_global(env, &global) == napi_ok &&
      napi_create_int32(env, status < 0 ? -status : 0, &argv[0]) == napi_ok &&
      napi_create_int32(env, events, &argv[1]) == napi_ok) {
    if (napi_make_callback(env, nullptr, global, fn, 2, argv, &result) == napi_pending_exception) {
      // An exception from the JS callback is an uncaught exception (Node's rule).
      napi_value exc;
      if (napi_get_and_clear_last_exception(env, &exc) == napi_ok) napi_fatal_exception(env, exc);
    }
  }
  napi_close_handle_scope(env, scope);
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
  if (owner == nullptr) throw Napi::Error::New(env, "the environment is shutting down");
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
  napi_add_async_cleanup_hook(
      env,
      [](napi_async_cleanup_hook_handle handle, void* arg) {
        // The environment is going away (a worker terminated, or exit).
        auto* data = static_cast<InstanceData*>(arg);
        Watches* ws = data->watches;
        data->watches = nullptr;
        ws->teardown = handle;
        while (!ws->open.empty()) close_watch(*ws->open.begin());
        if (ws->closing == 0) {
          napi_remove_async_cleanup_hook(handle);
          delete ws;
        }
      },
      data, nullptr);
}

}  // namespace sockmode
