// Runs a piece of work inside another network namespace without touching the
// calling thread: a short-lived helper thread enters the namespace with setns()
// and the work runs there. Sockets and /proc/net files opened by that work stay
// bound to the namespace after the thread exits.
#pragma once
#include <functional>
#include <string>

namespace nl {

struct NetnsResult {
  int value = -1;         // what the work returned (a file descriptor, usually)
  int err = 0;            // errno of the step that failed, 0 on success
  const char* step = "";  // which syscall failed: "open" (namespace path), "setns", or the work's own
};

// Runs `work` in the namespace at `nsPath` (empty: the caller's namespace, run
// inline). `work` returns a value >= 0 or sets errno and returns -1, naming its
// syscall through `step`.
NetnsResult RunInNetns(const std::string& nsPath, const std::function<int(const char** step)>& work);

}  // namespace nl
