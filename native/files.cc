// openInNetns(nsPath, filePath): opens a file from a helper thread that has
// entered the namespace, and the fd keeps reading that namespace's view from
// the event-loop thread. For per-namespace /proc tables open
// /proc/thread-self/net/... : /proc/net is /proc/self/net, which follows the
// process's main thread, not the thread that opened it. Per-namespace sysctls
// (/proc/sys/net/...) are opened writable the same way.
#include <errno.h>
#include <fcntl.h>

#include "errors.h"
#include "netns.h"

namespace nl {

Napi::Value OpenInNetns(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsString()) {
    Napi::TypeError::New(env, "openInNetns(nsPath, filePath, writable?)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string nsPath = info[0].As<Napi::String>().Utf8Value();
  std::string filePath = info[1].As<Napi::String>().Utf8Value();
  // Writable: /proc/sys/net/* entries bind to the namespace of the opener too.
  int flags = (info.Length() > 2 && info[2].ToBoolean().Value() ? O_WRONLY : O_RDONLY) | O_CLOEXEC;
  NetnsResult opened = RunInNetns(nsPath, [&filePath, flags](const char** step) {
    *step = "open";
    return open(filePath.c_str(), flags);
  });
  if (opened.err != 0) {
    std::string what = "opening " + filePath + (nsPath.empty() ? "" : " in " + nsPath);
    ErrnoError(env, opened.err, opened.step, what).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Number::New(env, opened.value);
}

}  // namespace nl
