// The memory behind JS byte views, read one way for every caller: a
// TypedArray (a Buffer included, over an ArrayBuffer or a SharedArrayBuffer)
// or a DataView. One napi_get_*_info call each, which also gives the data
// pointer already moved by the view's byte offset.
#pragma once

#include <napi.h>

#include <cstddef>

namespace sockmode {

struct Bytes {
  char* data;
  size_t len;  // bytes, not elements
};

// True with *out set for a TypedArray or a DataView; false for anything else.
bool try_view_bytes(napi_env env, napi_value v, Bytes* out);

// As try_view_bytes; anything else is a TypeError (the JS layer has already
// turned it into Python's TypeError, so this only guards the binding).
Bytes view_bytes(napi_env env, napi_value v);

}  // namespace sockmode
