#include "stats.h"

#include <errno.h>
#include <linux/netlink.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "errors.h"
#include "netlink_open.h"

namespace nl {

namespace {

// The replies buffer starts with two CLOCK_MONOTONIC times, as u32 seconds
// and u32 microseconds: when the first request went out and when the last
// reply came in. Whole numbers, so JS reads them without making a heap number.
// Datagrams follow.
constexpr size_t kReplyHeader = 16;
// A dump datagram is at most SKB_WITH_OVERHEAD(32768); answers to gets are
// smaller. Each receive needs this much room, or the exchange stops with ENOSPC.
constexpr size_t kDatagramRoom = 65536;

// CLOCK_MONOTONIC as {seconds, microseconds}.
void MonotonicTime(uint32_t out[2]) {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  out[0] = static_cast<uint32_t>(ts.tv_sec);
  out[1] = static_cast<uint32_t>(ts.tv_nsec / 1000);
}

uint32_t ReadU32(const uint8_t* p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

uint16_t ReadU16(const uint8_t* p) {
  uint16_t v;
  memcpy(&v, p, 2);
  return v;
}

// 1: the datagram holds the end (DONE or ERROR) of request `seq`; 0: it is
// part of it; -1: it belongs to something else (a reply to an exchange that
// gave up), and is dropped.
int Classify(const uint8_t* data, size_t len, uint32_t seq) {
  size_t pos = 0;
  int verdict = -1;
  while (pos + NLMSG_HDRLEN <= len) {
    uint32_t msgLen = ReadU32(data + pos);
    if (msgLen < NLMSG_HDRLEN || pos + msgLen > len) break;
    if (ReadU32(data + pos + 8) != seq) return verdict == -1 ? -1 : verdict;
    uint16_t type = ReadU16(data + pos + 4);
    if (type == NLMSG_DONE || type == NLMSG_ERROR) return 1;
    verdict = 0;
    pos += NLMSG_ALIGN(msgLen);
  }
  return verdict;
}

void CleanupHook(void* arg) { static_cast<DumpChannel*>(arg)->Shutdown(); }

}  // namespace

Napi::Function DumpChannel::Init(Napi::Env env) {
  return DefineClass(env, "NativeDumpChannel", {
      InstanceMethod("setBuffers", &DumpChannel::SetBuffers),
      InstanceMethod("exchange", &DumpChannel::Exchange),
      InstanceMethod("start", &DumpChannel::Start),
      InstanceMethod("close", &DumpChannel::Close),
      InstanceAccessor("portId", &DumpChannel::GetPortId, nullptr),
      InstanceAccessor("busy", &DumpChannel::GetBusy, nullptr),
  });
}

// new NativeDumpChannel(protocol, netnsPath, receiveBuffer, timeoutMs, onDone)
DumpChannel::DumpChannel(const Napi::CallbackInfo& info) : Napi::ObjectWrap<DumpChannel>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 5 || !info[0].IsNumber() || !info[1].IsString() || !info[2].IsNumber() ||
      !info[3].IsNumber() || !info[4].IsFunction()) {
    Napi::TypeError::New(env, "NativeDumpChannel(protocol, netnsPath, rcvbuf, timeoutMs, onDone)")
        .ThrowAsJavaScriptException();
    return;
  }
  int protocol = info[0].As<Napi::Number>().Int32Value();
  std::string nsPath = info[1].As<Napi::String>().Utf8Value();
  int rcvbuf = info[2].As<Napi::Number>().Int32Value();
  timeoutMs_ = info[3].As<Napi::Number>().Int32Value();
  spare_.resize(kDatagramRoom);

  // Blocking: an exchange waits in recvmsg, bounded by SO_RCVTIMEO.
  NetlinkOpenOptions options;
  options.protocol = protocol;
  options.nsPath = nsPath;
  options.receiveBuffer = rcvbuf;
  options.nonBlocking = false;
  options.strictCheck = false;
  options.sendBuffer = false;
  NetlinkSocketInfo opened = OpenNetlink(env, options);
  if (opened.fd < 0) return;
  fd_ = opened.fd;
  portId_ = opened.portId;
  if (timeoutMs_ > 0) {
    timeval tv{};
    tv.tv_sec = timeoutMs_ / 1000;
    tv.tv_usec = (timeoutMs_ % 1000) * 1000;
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }
  // Weak while idle, so a forgotten channel can be collected and closed;
  // start() holds the callback and the wrapper until OnDone.
  onDone_ = Napi::Weak(info[4].As<Napi::Function>());
  napi_add_env_cleanup_hook(env, CleanupHook, this);
  cleanupHooked_ = true;
}

DumpChannel::~DumpChannel() { Shutdown(); }

void DumpChannel::Shutdown() {
  if (worker_.joinable()) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_one();
    worker_.join();
  }
  if (async_ != nullptr) {
    async_->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(async_), [](uv_handle_t* h) { delete reinterpret_cast<uv_async_t*>(h); });
    async_ = nullptr;
  }
  if (busy_) {
    busy_ = false;
    // The pending start() will never complete; let the wrapper and callback be collected.
    onDone_.Unref();
    Unref();
  }
  if (fd_ >= 0) {
    close(fd_);
    fd_ = -1;
  }
  if (cleanupHooked_) {
    cleanupHooked_ = false;
    napi_remove_env_cleanup_hook(Env(), CleanupHook, this);
  }
}

// setBuffers(requests: Uint8Array, replies: Uint8Array) -> 0 or -EBUSY.
Napi::Value DumpChannel::SetBuffers(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (busy_) return Napi::Number::New(env, -EBUSY);
  if (info.Length() < 2 || !info[0].IsTypedArray() || !info[1].IsTypedArray()) {
    Napi::TypeError::New(env, "setBuffers(requests: Uint8Array, replies: Uint8Array)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Uint8Array requests = info[0].As<Napi::Uint8Array>();
  Napi::Uint8Array replies = info[1].As<Napi::Uint8Array>();
  if (replies.ByteLength() < kReplyHeader + kDatagramRoom) {
    Napi::RangeError::New(env, "setBuffers: the replies buffer needs at least 80 KiB").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  // Held so the memory stays valid while the worker thread writes to it.
  requests_ = Napi::Persistent(requests.As<Napi::Object>());
  replies_ = Napi::Persistent(replies.As<Napi::Object>());
  requestData_ = requests.Data();
  requestCapacity_ = requests.ByteLength();
  replyData_ = replies.Data();
  replyCapacity_ = replies.ByteLength();
  return Napi::Number::New(env, 0);
}

// Up to two datagrams in one recvmmsg: the first into `into` (waiting for
// it, bounded by SO_RCVTIMEO), the second into `spare` only if the kernel
// already has it (MSG_WAITFORONE). A dump's last part and its NLMSG_DONE are
// two datagrams, the second made as the first is read, so one syscall takes
// both, as the C floor does: with recvmsg a dump took two, and 10k
// destination dumps paid 10k more syscalls, dear under UML. Returns how many
// slots were filled (a datagram from anyone but the kernel reads as length 0),
// or -errno.
int DumpChannel::Receive(uint8_t* into, size_t room, uint8_t* spare, size_t spareRoom, Received got[2]) {
  sockaddr_nl from[2]{};
  iovec iov[2]{{into, room}, {spare, spareRoom}};
  mmsghdr msgs[2]{};
  for (int i = 0; i < 2; i++) {
    msgs[i].msg_hdr.msg_name = &from[i];
    msgs[i].msg_hdr.msg_namelen = sizeof(from[i]);
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  for (;;) {
    int n = recvmmsg(fd_, msgs, 2, MSG_WAITFORONE, nullptr);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : -errno;
    }
    for (int i = 0; i < 2; i++) {
      bool fromKernel = i < n && from[i].nl_pid == 0;  // only the kernel may talk to us
      got[i].length = fromKernel ? msgs[i].msg_len : 0;
      got[i].truncated = fromKernel && (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
    }
    return n;
  }
}

void DumpChannel::DrainStale() {
  std::vector<uint8_t> scratch(kDatagramRoom);
  while (recv(fd_, scratch.data(), scratch.size(), MSG_DONTWAIT) > 0 || errno == EINTR) {
  }
  stale_ = false;
}

int64_t DumpChannel::Run(size_t requestOffset, size_t requestBytes) {
  if (fd_ < 0) return -EBADF;
  if (requestData_ == nullptr || requestOffset > requestCapacity_ || requestBytes > requestCapacity_ - requestOffset) return -EINVAL;
  if (stale_) DrainStale();
  uint32_t started[2];
  MonotonicTime(started);
  size_t pos = kReplyHeader;
  size_t off = requestOffset;
  const size_t requestEnd = requestOffset + requestBytes;
  int64_t failure = 0;
  std::vector<uint8_t> overflow;  // only used once the replies buffer is full
  while (off + NLMSG_HDRLEN <= requestEnd) {
    uint32_t len = ReadU32(requestData_ + off);
    if (len < NLMSG_HDRLEN || off + len > requestEnd) return -EINVAL;
    uint32_t seq = ReadU32(requestData_ + off + 8);
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    ssize_t sent;
    do {
      sent = sendto(fd_, requestData_ + off, len, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof(kernel));
    } while (sent < 0 && errno == EINTR);
    if (sent < 0) return -errno;
    off += NLMSG_ALIGN(len);
    for (bool done = false; !done;) {
      bool full = failure != 0 || replyCapacity_ - pos < kDatagramRoom;
      if (full && failure == 0) failure = -ENOSPC;
      if (full && overflow.empty()) overflow.resize(kDatagramRoom);
      uint8_t* into = full ? overflow.data() : replyData_ + pos;
      Received got[2];
      int n = Receive(into, full ? overflow.size() : replyCapacity_ - pos, spare_.data(), spare_.size(), got);
      if (n < 0) {
        stale_ = true;
        return n;
      }
      for (int k = 0; k < 2 && !done; k++) {
        if (got[k].length == 0) continue;
        if (got[k].truncated) {
          stale_ = true;
          return -EMSGSIZE;
        }
        uint8_t* data = k == 0 ? into : spare_.data();
        int verdict = Classify(data, got[k].length, seq);
        if (verdict < 0) continue;
        if (failure == 0) {
          // Replies stay back to back in the replies buffer; the spare one is copied there.
          if (data != replyData_ + pos) {
            if (replyCapacity_ - pos < NLMSG_ALIGN(got[k].length)) failure = -ENOSPC;
            else memcpy(replyData_ + pos, data, got[k].length);
          }
          if (failure == 0) pos += NLMSG_ALIGN(got[k].length);
        }
        done = verdict == 1;
      }
    }
    // Out of room: the request that overflowed was drained; skip the rest.
    if (failure != 0) return failure;
  }
  uint32_t finished[2];
  MonotonicTime(finished);
  memcpy(replyData_, started, 8);
  memcpy(replyData_ + 8, finished, 8);
  return static_cast<int64_t>(pos);
}

namespace {
// Two non-negative whole numbers (offset, bytes), or false.
bool RangeArgs(const Napi::CallbackInfo& info, size_t* offset, size_t* bytes) {
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsNumber()) return false;
  int64_t o = info[0].As<Napi::Number>().Int64Value();
  int64_t b = info[1].As<Napi::Number>().Int64Value();
  if (o < 0 || b < 0) return false;
  *offset = static_cast<size_t>(o);
  *bytes = static_cast<size_t>(b);
  return true;
}
}  // namespace

// exchange(requestOffset, requestBytes) -> bytes of replies (header included), or -errno. Runs inline.
Napi::Value DumpChannel::Exchange(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (busy_) return Napi::Number::New(env, -EBUSY);
  size_t offset, bytes;
  if (!RangeArgs(info, &offset, &bytes)) return Napi::Number::New(env, -EINVAL);
  return Napi::Number::New(env, static_cast<double>(Run(offset, bytes)));
}

void DumpChannel::WorkerLoop() {
  for (;;) {
    size_t offset, bytes;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [this] { return jobReady_ || stopping_; });
      if (stopping_) return;
      jobReady_ = false;
      offset = jobOffset_;
      bytes = jobBytes_;
    }
    int64_t result = Run(offset, bytes);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      result_ = result;
    }
    uv_async_send(async_);
  }
}

// start(requestOffset, requestBytes) -> 0, or -errno (-EBUSY while one runs). onDone(result) follows.
Napi::Value DumpChannel::Start(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (fd_ < 0) return Napi::Number::New(env, -EBADF);
  if (busy_) return Napi::Number::New(env, -EBUSY);
  size_t offset, bytes;
  if (!RangeArgs(info, &offset, &bytes)) return Napi::Number::New(env, -EINVAL);
  if (async_ == nullptr) {
    uv_loop_t* loop = nullptr;
    napi_get_uv_event_loop(env, &loop);
    async_ = new uv_async_t();
    uv_async_init(loop, async_, OnDone);
    async_->data = this;
    uv_unref(reinterpret_cast<uv_handle_t*>(async_));
  }
  if (!worker_.joinable()) worker_ = std::thread(&DumpChannel::WorkerLoop, this);
  busy_ = true;
  // Both held strongly while the exchange runs, so its completion always finds them.
  Ref();
  onDone_.Ref();
  uv_ref(reinterpret_cast<uv_handle_t*>(async_));  // keep the process alive until it ends
  {
    std::lock_guard<std::mutex> lock(mutex_);
    jobOffset_ = offset;
    jobBytes_ = bytes;
    jobReady_ = true;
  }
  wake_.notify_one();
  return Napi::Number::New(env, 0);
}

void DumpChannel::OnDone(uv_async_t* handle) {
  auto* self = static_cast<DumpChannel*>(handle->data);
  if (self == nullptr || !self->busy_) return;
  int64_t result;
  {
    std::lock_guard<std::mutex> lock(self->mutex_);
    result = self->result_;
  }
  self->busy_ = false;
  uv_unref(reinterpret_cast<uv_handle_t*>(handle));
  Napi::Env env = self->Env();
  Napi::HandleScope scope(env);
  Napi::Object receiver = self->Value();
  Napi::Function callback = self->onDone_.Value();
  self->onDone_.Unref();
  self->Unref();
  if (callback.IsEmpty()) return;
  callback.MakeCallback(receiver, {Napi::Number::New(env, static_cast<double>(result))});
  if (env.IsExceptionPending()) {
    Napi::Error err = env.GetAndClearPendingException();
    napi_fatal_exception(env, err.Value());
  }
}

Napi::Value DumpChannel::Close(const Napi::CallbackInfo& info) {
  Shutdown();
  return info.Env().Undefined();
}

Napi::Value DumpChannel::GetPortId(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), portId_); }
Napi::Value DumpChannel::GetBusy(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), busy_); }

}  // namespace nl
