/* A control for the sanitizer recipe: an addon that leaks one block and
 * reads past another on purpose. asan.sh loads it exactly as it loads
 * nl_lvs.node (same LD_PRELOAD, same options) and fails if the reports do not
 * name it — so "0 errors in the addon" cannot come from checks that never ran. */
#include <node_api.h>
#include <stdlib.h>

static void *volatile sink;

static napi_value Leak(napi_env env, napi_callback_info info) {
  sink = malloc(4242);
  sink = NULL;
  return NULL;
}

static napi_value Overflow(napi_env env, napi_callback_info info) {
  char *volatile p = malloc(8);
  volatile char c = p[8];
  (void)c;
  free(p);
  return NULL;
}

static napi_value Init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "leak", NAPI_AUTO_LENGTH, Leak, NULL, &fn);
  napi_set_named_property(env, exports, "leak", fn);
  napi_create_function(env, "overflow", NAPI_AUTO_LENGTH, Overflow, NULL, &fn);
  napi_set_named_property(env, exports, "overflow", fn);
  return exports;
}

NAPI_MODULE(canary, Init)
