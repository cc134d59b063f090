// A netlink socket for the stats reader's hot path (lib/hotpath/stats-reader.ts).
// JS hands it two buffers once: requests (whole netlink messages, sequence
// numbers already set) and replies. Each exchange sends the requests of a
// byte range one by one and lands every reply datagram straight in the replies buffer, until
// the request's NLMSG_DONE or NLMSG_ERROR. Nothing is allocated on either
// side per exchange: JS reads the replies with plain integer reads.
// An exchange runs inline (exchange) or on the channel's own thread (start),
// so the kernel work of a large poll does not hold up the event loop.
#pragma once
#include <napi.h>
#include <uv.h>

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace nl {

class DumpChannel : public Napi::ObjectWrap<DumpChannel> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit DumpChannel(const Napi::CallbackInfo& info);
  ~DumpChannel() override;

  void Shutdown();

 private:
  Napi::Value SetBuffers(const Napi::CallbackInfo& info);
  Napi::Value Exchange(const Napi::CallbackInfo& info);
  Napi::Value Start(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value GetPortId(const Napi::CallbackInfo& info);
  Napi::Value GetBusy(const Napi::CallbackInfo& info);

  // The exchange itself: no N-API, safe on any thread. Bytes of replies or -errno.
  int64_t Run(size_t requestOffset, size_t requestBytes);
  struct Received {
    size_t length;  // 0: no datagram from the kernel in this slot
    bool truncated;
  };
  int Receive(uint8_t* into, size_t room, uint8_t* spare, size_t spareRoom, Received got[2]);
  void DrainStale();
  void WorkerLoop();
  static void OnDone(uv_async_t* handle);

  int fd_ = -1;
  uint32_t portId_ = 0;
  int timeoutMs_ = 0;
  bool busy_ = false;
  bool stale_ = false;  // a previous exchange gave up: replies may still be queued

  Napi::ObjectReference requests_;
  Napi::ObjectReference replies_;
  uint8_t* requestData_ = nullptr;
  size_t requestCapacity_ = 0;
  uint8_t* replyData_ = nullptr;
  size_t replyCapacity_ = 0;
  std::vector<uint8_t> spare_;  // a second datagram's landing place (see Receive)
  Napi::FunctionReference onDone_;

  // The worker thread, started on the first start().
  std::thread worker_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool jobReady_ = false;
  bool stopping_ = false;
  size_t jobOffset_ = 0;
  size_t jobBytes_ = 0;
  int64_t result_ = 0;
  uv_async_t* async_ = nullptr;  // freed in the uv_close callback
  bool cleanupHooked_ = false;
};

}  // namespace nl
