#ifndef MUSTER_READER_H
#define MUSTER_READER_H
#include <node_api.h>
void register_reader(napi_env env, napi_value exports);
#endif
