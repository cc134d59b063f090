// A netlink socket owned by native code: opening (optionally inside another
// network namespace), batched sends, and non-blocking receives, driven by a
// uv_poll handle on the event loop or called from JS right after a send.
// Everything protocol-level (sequence numbers, acks, dumps, attributes) lives
// in TypeScript: this class only moves bytes, and crosses into JS once per
// batch of datagrams.
#pragma once
#include <napi.h>
#include <uv.h>

#include <cstdint>
#include <vector>

#include "fd_watch.h"

namespace nl {

struct ReadArea;

class Socket : public Napi::ObjectWrap<Socket> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit Socket(const Napi::CallbackInfo& info);
  ~Socket() override;

  // Closes the socket; used by close(), the GC finalizer and env teardown.
  void Shutdown();

 private:
  Napi::Value Send(const Napi::CallbackInfo& info);
  Napi::Value Receive(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value Ref(const Napi::CallbackInfo& info);
  Napi::Value Unref(const Napi::CallbackInfo& info);
  Napi::Value AddMembership(const Napi::CallbackInfo& info);
  Napi::Value DropMembership(const Napi::CallbackInfo& info);
  Napi::Value SetReceiveBuffer(const Napi::CallbackInfo& info);
  Napi::Value SetLanding(const Napi::CallbackInfo& info);
  Napi::Value GetPortId(const Napi::CallbackInfo& info);
  Napi::Value GetFd(const Napi::CallbackInfo& info);
  Napi::Value GetFeatures(const Napi::CallbackInfo& info);
  Napi::Value GetDropped(const Napi::CallbackInfo& info);

  static void OnReadable(uv_poll_t* handle, int status, int events);
  // Reads what is queued into out_; returns the socket error seen, or 0.
  int Fill();
  void Deliver(int error);
  Napi::Value TakeFrames(Napi::Env env);

  int fd_ = -1;
  uint32_t portId_ = 0;
  uint32_t features_ = 0;      // bit per socket option the kernel accepted
  uint64_t dropped_ = 0;       // datagrams dropped because a non-kernel port sent them
  FdWatch watch_;
  Napi::FunctionReference onBatch_;
  // Where reads land (recvmmsg slots) and are framed for JS: shared by every
  // socket of this environment (see ReadArea in socket.cc).
  struct ReadArea* area_ = nullptr;
  bool plainAcksOnly_ = false;  // out_ holds plain acks alone (see TakeFrames)
  // JS's reused buffer for plain acks: valid until the next read.
  Napi::Reference<Napi::Buffer<uint8_t>> landingRef_;
  uint8_t* landing_ = nullptr;
  size_t landingLength_ = 0;
};

// Frame header in front of each datagram handed to JS: u32 length, u32 flags.
enum : uint32_t { kFrameTruncated = 1 << 0 };

}  // namespace nl
