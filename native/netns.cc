#include "netns.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <thread>

namespace nl {

NetnsResult RunInNetns(const std::string& nsPath, const std::function<int(const char** step)>& work) {
  NetnsResult result;
  auto body = [&]() {
    const char* step = "";
    if (!nsPath.empty()) {
      int nsfd = open(nsPath.c_str(), O_RDONLY | O_CLOEXEC);
      if (nsfd < 0) {
        result.err = errno;
        result.step = "open";
        return;
      }
      // setns() changes only this thread, which ends right after the work;
      // the event-loop thread never leaves its namespace.
      int rc = setns(nsfd, CLONE_NEWNET);
      int setnsErr = errno;
      close(nsfd);
      if (rc < 0) {
        result.err = setnsErr;
        result.step = "setns";
        return;
      }
    }
    int value = work(&step);
    if (value < 0) {
      result.err = errno;
      result.step = step;
      return;
    }
    result.value = value;
  };
  if (nsPath.empty()) {
    body();
  } else {
    std::thread helper(body);
    helper.join();
  }
  return result;
}

}  // namespace nl
