#ifndef MUSTER_SEND_H
#define MUSTER_SEND_H
#include <node_api.h>
void register_send(napi_env env, napi_value exports);
#endif
