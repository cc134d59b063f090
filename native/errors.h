// Errors thrown from native code look like Node's SystemError: `code`
// ('EEXIST'), negative `errno`, and the `syscall` that failed.
#pragma once
#include <napi.h>

namespace nl {

Napi::Error ErrnoError(Napi::Env env, int err, const char* syscall, const std::string& what);

}  // namespace nl
