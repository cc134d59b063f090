// Opening a netlink socket the way every nl-lvs socket wants it: created
// inside the namespace (helper thread, see netns.h), extended acks on, large
// buffers where the caller is allowed them, bound, with its port id read back.
#pragma once
#include <napi.h>

#include <cstdint>
#include <string>

namespace nl {

// Feature bits: which best-effort options the kernel accepted.
enum : uint32_t {
  kFeatureExtAck = 1 << 0,
  kFeatureCapAck = 1 << 1,
  kFeatureStrictCheck = 1 << 2,
  kFeatureRcvbufForce = 1 << 3,
};

struct NetlinkOpenOptions {
  int protocol = 0;
  std::string nsPath;     // empty: the caller's namespace
  int receiveBuffer = 0;  // bytes; 0 keeps the default
  bool nonBlocking = true;
  bool strictCheck = true;  // NETLINK_GET_STRICT_CHK: kernel-side dump filters
  bool sendBuffer = true;   // size the send buffer for large batches too
};

struct NetlinkSocketInfo {
  int fd = -1;
  uint32_t portId = 0;
  uint32_t features = 0;
};

// On failure throws a SystemError-shaped JS exception and returns fd -1.
NetlinkSocketInfo OpenNetlink(Napi::Env env, const NetlinkOpenOptions& options);

}  // namespace nl
