// openInNetns(nsPath, filePath): opens a file from a helper thread that has
// entered the namespace. /proc/net/* (ip_vs_conn, ip_vs, ...) shows the
// namespace of the thread that opens it, so the returned fd keeps reading
// that namespace's tables from the event-loop thread.
#include <errno.h>
#include <fcntl.h>

#include "errors.h"
#include "netns.h"

namespace nl {

Napi::Value OpenInNetns(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsString()) {
    Napi::TypeError::New(env, "openInNetns(nsPath, filePath)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string nsPath = info[0].As<Napi::String>().Utf8Value();
  std::string filePath = info[1].As<Napi::String>().Utf8Value();
  NetnsResult opened = RunInNetns(nsPath, [&filePath](const char** step) {
    *step = "open";
    return open(filePath.c_str(), O_RDONLY | O_CLOEXEC);
  });
  if (opened.err != 0) {
    std::string what = "opening " + filePath + (nsPath.empty() ? "" : " in " + nsPath);
    ErrnoError(env, opened.err, opened.step, what).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Number::New(env, opened.value);
}

}  // namespace nl
