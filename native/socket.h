// The socket operations exported to lib/native.ts. Arguments are positional
// and already validated by the JS layer; `timeoutNs` is the mode (< 0
// blocking, 0 non-blocking, > 0 nanoseconds).
#pragma once

#include <napi.h>

namespace sockmode {

Napi::Value Socket(const Napi::CallbackInfo& info);
Napi::Value SocketPair(const Napi::CallbackInfo& info);
Napi::Value SetBlocking(const Napi::CallbackInfo& info);
Napi::Value GetFl(const Napi::CallbackInfo& info);
Napi::Value SockInfo(const Napi::CallbackInfo& info);
Napi::Value Dup(const Napi::CallbackInfo& info);
Napi::Value Close(const Napi::CallbackInfo& info);
Napi::Value Bind(const Napi::CallbackInfo& info);
Napi::Value Listen(const Napi::CallbackInfo& info);
Napi::Value Accept(const Napi::CallbackInfo& info);
Napi::Value Connect(const Napi::CallbackInfo& info);
Napi::Value Recv(const Napi::CallbackInfo& info);
Napi::Value RecvInto(const Napi::CallbackInfo& info);
Napi::Value Send(const Napi::CallbackInfo& info);
Napi::Value RecvFrom(const Napi::CallbackInfo& info);
Napi::Value RecvFromInto(const Napi::CallbackInfo& info);
Napi::Value SendTo(const Napi::CallbackInfo& info);
Napi::Value SendMsg(const Napi::CallbackInfo& info);
Napi::Value RecvMsg(const Napi::CallbackInfo& info);
Napi::Value RecvMsgInto(const Napi::CallbackInfo& info);
Napi::Value CmsgLen(const Napi::CallbackInfo& info);
Napi::Value CmsgSpace(const Napi::CallbackInfo& info);
Napi::Value SendAll(const Napi::CallbackInfo& info);
Napi::Value Shutdown(const Napi::CallbackInfo& info);
Napi::Value GetSockName(const Napi::CallbackInfo& info);
Napi::Value GetPeerName(const Napi::CallbackInfo& info);
Napi::Value SetSockOpt(const Napi::CallbackInfo& info);
Napi::Value GetSockOpt(const Napi::CallbackInfo& info);

}  // namespace sockmode
