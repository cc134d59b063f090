#include "netlink_open.h"

#include <errno.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include "errors.h"
#include "netns.h"

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_GET_STRICT_CHK
#define NETLINK_GET_STRICT_CHK 12
#endif

namespace nl {

namespace {
bool SetIntOption(int fd, int level, int name, int value) {
  return setsockopt(fd, level, name, &value, sizeof(value)) == 0;
}
}  // namespace

NetlinkSocketInfo OpenNetlink(Napi::Env env, const NetlinkOpenOptions& o) {
  NetlinkSocketInfo s;
  int type = SOCK_RAW | SOCK_CLOEXEC | (o.nonBlocking ? SOCK_NONBLOCK : 0);
  NetnsResult opened = RunInNetns(o.nsPath, [&o, type](const char** step) {
    *step = "socket";
    return socket(AF_NETLINK, type, o.protocol);
  });
  if (opened.err != 0) {
    std::string what = o.nsPath.empty() ? "opening a netlink socket" : "opening a netlink socket in " + o.nsPath;
    ErrnoError(env, opened.err, opened.step, what).ThrowAsJavaScriptException();
    return s;
  }
  int fd = opened.value;
  // Each option is best effort: older kernels lack some, and JS reads `features`.
  if (SetIntOption(fd, SOL_NETLINK, NETLINK_EXT_ACK, 1)) s.features |= kFeatureExtAck;
  if (SetIntOption(fd, SOL_NETLINK, NETLINK_CAP_ACK, 1)) s.features |= kFeatureCapAck;
  if (o.strictCheck && SetIntOption(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, 1)) s.features |= kFeatureStrictCheck;
  if (o.receiveBuffer > 0) {
    // FORCE needs CAP_NET_ADMIN and passes rmem_max; plain SO_RCVBUF is capped by it.
    if (SetIntOption(fd, SOL_SOCKET, SO_RCVBUFFORCE, o.receiveBuffer)) {
      s.features |= kFeatureRcvbufForce;
    } else {
      SetIntOption(fd, SOL_SOCKET, SO_RCVBUF, o.receiveBuffer);
    }
    // The kernel runs every message of a sendmsg before returning; a large
    // batch needs a send buffer to match.
    int sndbuf = o.receiveBuffer / 4;
    if (o.sendBuffer && !SetIntOption(fd, SOL_SOCKET, SO_SNDBUFFORCE, sndbuf)) {
      SetIntOption(fd, SOL_SOCKET, SO_SNDBUF, sndbuf);
    }
  }
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  if (bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof(local)) < 0) {
    int err = errno;
    close(fd);
    ErrnoError(env, err, "bind", "binding a netlink socket").ThrowAsJavaScriptException();
    return s;
  }
  socklen_t len = sizeof(local);
  getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len);
  s.fd = fd;
  s.portId = local.nl_pid;
  return s;
}

}  // namespace nl
