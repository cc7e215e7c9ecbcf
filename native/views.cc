#include "views.h"

namespace sockmode {

namespace {
size_t element_size(napi_typedarray_type t) {
  switch (t) {
    case napi_int16_array:
    case napi_uint16_array:
      return 2;
    case napi_int32_array:
    case napi_uint32_array:
    case napi_float32_array:
      return 4;
    case napi_float64_array:
    case napi_bigint64_array:
    case napi_biguint64_array:
      return 8;
    default:
      return 1;
  }
}
}  // namespace

bool try_view_bytes(napi_env env, napi_value v, Bytes* out) {
  bool is = false;
  void* data = nullptr;
  size_t len = 0;
  if (napi_is_typedarray(env, v, &is) == napi_ok && is) {
    napi_typedarray_type t;
    NAPI_THROW_IF_FAILED(env, napi_get_typedarray_info(env, v, &t, &len, &data, nullptr, nullptr), false);
    *out = {static_cast<char*>(data), len * element_size(t)};
    return true;
  }
  if (napi_is_dataview(env, v, &is) == napi_ok && is) {
    NAPI_THROW_IF_FAILED(env, napi_get_dataview_info(env, v, &len, &data, nullptr, nullptr), false);
    *out = {static_cast<char*>(data), len};
    return true;
  }
  return false;
}

Bytes view_bytes(napi_env env, napi_value v) {
  Bytes b{nullptr, 0};
  if (!try_view_bytes(env, v, &b)) throw Napi::TypeError::New(env, "a bytes-like object is required");
  return b;
}

}  // namespace sockmode
