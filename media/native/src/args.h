/*
 * Argument reading, results and errors shared by the addon's source files:
 * every function throws ERR_MUSTER_NATIVE with a readable message on bad input.
 */
#ifndef MUSTER_ARGS_H
#define MUSTER_ARGS_H
#include <node_api.h>
#include <stddef.h>
#include <stdint.h>

static inline napi_value throw_error(napi_env env, const char *message) {
  napi_throw_error(env, "ERR_MUSTER_NATIVE", message);
  return NULL;
}

static inline int get_i32(napi_env env, napi_value v, int32_t *out) {
  return napi_get_value_int32(env, v, out) == napi_ok;
}

static inline int get_buffer(napi_env env, napi_value v, uint8_t **data, size_t *length) {
  void *d;
  if (napi_get_buffer_info(env, v, &d, length) != napi_ok) return 0;
  *data = d;
  return 1;
}

static inline napi_value int32_value(napi_env env, int32_t value) {
  napi_value result;
  napi_create_int32(env, value, &result);
  return result;
}
#endif
