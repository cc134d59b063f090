#include "socket.h"

#include <errno.h>
#include <linux/netlink.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <set>
#include <string>

#include "errors.h"
#include "netlink_open.h"

namespace nl {

namespace {

// Dump replies are at most 32 KiB per datagram (the kernel caps its dump skb
// at SKB_WITH_OVERHEAD(32768)); a larger datagram is flagged as truncated.
constexpr size_t kSlotSize = 32768;
constexpr unsigned kSlots = 64;
// Work bounded per event-loop turn, so a huge dump never stalls the loop.
constexpr size_t kMaxBytesPerTurn = 4u << 20;
constexpr unsigned kMaxDatagramsPerTurn = 8192;

}  // namespace

// Where every socket of an environment reads: the recvmmsg slots and the
// framed copy handed to JS. One per environment, not per socket: a read is
// framed and handed over (copied into the landing buffer or a new Buffer)
// before anything else can run on this thread, so no socket's data outlives
// its Fill(). Per socket, each new handle's first read touched 2 MiB of
// fresh zeroed slots, 512 page faults (~75 ms under UML, where a fault costs
// ~150 us). The slots are not zeroed: the kernel writes what is read.
struct ReadArea {
  std::unique_ptr<uint8_t[]> slots{new uint8_t[kSlotSize * kSlots]};
  std::vector<uint8_t> out;  // framed datagrams handed to JS
};

namespace {

// Sockets still open in this environment, closed by the teardown hook, and
// the read area they share.
struct EnvState {
  std::set<Socket*> open;
  Napi::FunctionReference constructor;
  ReadArea area;
};

void CleanupEnv(void* arg) {
  auto* state = static_cast<EnvState*>(arg);
  // Shutdown() erases from the set, so iterate over a copy.
  std::set<Socket*> open = state->open;
  for (Socket* socket : open) socket->Shutdown();
}

EnvState* GetState(Napi::Env env) {
  auto* state = env.GetInstanceData<EnvState>();
  if (state == nullptr) {
    state = new EnvState();
    env.SetInstanceData<EnvState>(state);
    napi_add_env_cleanup_hook(env, CleanupEnv, state);
  }
  return state;
}

bool SetIntOption(int fd, int level, int name, int value) {
  return setsockopt(fd, level, name, &value, sizeof(value)) == 0;
}

void PutU32(std::vector<uint8_t>& out, uint32_t value) {
  uint8_t bytes[4];
  memcpy(bytes, &value, 4);
  out.insert(out.end(), bytes, bytes + 4);
}

// Whether a datagram holds only plain acks (NLMSG_ERROR with error 0): what
// JS reads and lets go at once, so they may land in the reused buffer.
bool OnlyPlainAcks(const uint8_t* data, size_t len) {
  size_t at = 0;
  while (at + NLMSG_HDRLEN <= len) {
    nlmsghdr h;
    memcpy(&h, data + at, sizeof(h));
    if (h.nlmsg_type != NLMSG_ERROR || h.nlmsg_len < NLMSG_HDRLEN + 4 || at + h.nlmsg_len > len) return false;
    int32_t error;
    memcpy(&error, data + at + NLMSG_HDRLEN, 4);
    if (error != 0) return false;
    at += NLMSG_ALIGN(h.nlmsg_len);
  }
  return at >= len;
}

}  // namespace

Napi::Function Socket::Init(Napi::Env env) {
  Napi::Function cls = DefineClass(env, "NativeSocket", {
      InstanceMethod("send", &Socket::Send),
      InstanceMethod("receive", &Socket::Receive),
      InstanceMethod("close", &Socket::Close),
      InstanceMethod("ref", &Socket::Ref),
      InstanceMethod("unref", &Socket::Unref),
      InstanceMethod("addMembership", &Socket::AddMembership),
      InstanceMethod("dropMembership", &Socket::DropMembership),
      InstanceMethod("setReceiveBuffer", &Socket::SetReceiveBuffer),
      InstanceMethod("setLanding", &Socket::SetLanding),
      InstanceAccessor("portId", &Socket::GetPortId, nullptr),
      InstanceAccessor("fd", &Socket::GetFd, nullptr),
      InstanceAccessor("features", &Socket::GetFeatures, nullptr),
      InstanceAccessor("dropped", &Socket::GetDropped, nullptr),
  });
  GetState(env)->constructor = Napi::Persistent(cls);
  return cls;
}

// new NativeSocket(protocol, netnsPath, receiveBufferBytes, onBatch)
Socket::Socket(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Socket>(info) {
  Napi::Env env = info.Env();
  area_ = &GetState(env)->area;
  if (info.Length() < 4 || !info[0].IsNumber() || !info[1].IsString() || !info[2].IsNumber() ||
      !info[3].IsFunction()) {
    Napi::TypeError::New(env, "NativeSocket(protocol, netnsPath, rcvbuf, onBatch)").ThrowAsJavaScriptException();
    return;
  }
  int protocol = info[0].As<Napi::Number>().Int32Value();
  std::string nsPath = info[1].As<Napi::String>().Utf8Value();
  int rcvbuf = info[2].As<Napi::Number>().Int32Value();

  NetlinkOpenOptions options;
  options.protocol = protocol;
  options.nsPath = nsPath;
  options.receiveBuffer = rcvbuf;
  NetlinkSocketInfo opened = OpenNetlink(env, options);
  if (opened.fd < 0) return;
  fd_ = opened.fd;
  portId_ = opened.portId;
  features_ = opened.features;

  // Weak while idle: the JS wrapper keeps the callback alive. A strong reference
  // would make every socket a GC root, so a forgotten socket would never close.
  // watch_ holds it strongly while a request or a reader waits.
  onBatch_ = Napi::Weak(info[3].As<Napi::Function>());

  uv_loop_t* loop = nullptr;
  napi_get_uv_event_loop(env, &loop);
  // Idle sockets must not keep the process alive; JS refs while a request waits.
  watch_.Start(loop, fd_, this, OnReadable, &onBatch_);
  GetState(env)->open.insert(this);
}

Socket::~Socket() { Shutdown(); }

void Socket::Shutdown() {
  if (fd_ < 0) return;
  watch_.Close();
  close(fd_);
  fd_ = -1;
  if (auto* state = Env().GetInstanceData<EnvState>()) state->open.erase(this);
}

void Socket::OnReadable(uv_poll_t* handle, int status, int events) {
  auto* self = static_cast<Socket*>(handle->data);
  if (self == nullptr) return;
  // libuv stops the handle on POLLERR. For netlink that is how the kernel
  // signals ENOBUFS (a pending sk_err): reading clears it and reports it, so
  // restart polling and drain; only a persistent error stops us.
  if (status < 0) self->watch_.Resume();
  int err = self->Fill();
  if (!self->area_->out.empty() || err != 0) self->Deliver(err);
  if (status < 0 && err != 0 && err != ENOBUFS) self->watch_.Pause();
}

// Reads whatever is queued (bounded per turn) into the read area, keeping only
// datagrams from the kernel (port id 0), each framed as [u32 length][u32
// flags][bytes].
int Socket::Fill() {
  std::vector<uint8_t>& out = area_->out;
  uint8_t* slots = area_->slots.get();
  out.clear();
  plainAcksOnly_ = true;
  mmsghdr msgs[kSlots];
  iovec iov[kSlots];
  sockaddr_nl from[kSlots];
  int error = 0;
  unsigned datagrams = 0;
  while (fd_ >= 0 && out.size() < kMaxBytesPerTurn && datagrams < kMaxDatagramsPerTurn) {
    for (unsigned i = 0; i < kSlots; i++) {
      iov[i].iov_base = slots + i * kSlotSize;
      iov[i].iov_len = kSlotSize;
      memset(&msgs[i].msg_hdr, 0, sizeof(msgs[i].msg_hdr));
      msgs[i].msg_hdr.msg_name = &from[i];
      msgs[i].msg_hdr.msg_namelen = sizeof(from[i]);
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    int n = recvmmsg(fd_, msgs, kSlots, MSG_DONTWAIT, nullptr);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      error = errno;
      // ENOBUFS means the kernel dropped messages (overrun); the queue itself
      // is intact, so report it and keep reading.
      if (error == ENOBUFS) continue;
      break;
    }
    for (int i = 0; i < n; i++) {
      if (from[i].nl_pid != 0) {
        dropped_++;  // only the kernel may talk to us
        continue;
      }
      uint32_t flags = 0;
      size_t len = msgs[i].msg_len;
      if ((msgs[i].msg_hdr.msg_flags & MSG_TRUNC) != 0 || len > kSlotSize) {
        flags |= kFrameTruncated;
        if (len > kSlotSize) len = kSlotSize;
      }
      PutU32(out, static_cast<uint32_t>(len));
      PutU32(out, flags);
      const uint8_t* data = slots + i * kSlotSize;
      if (plainAcksOnly_ && (flags != 0 || !OnlyPlainAcks(data, len))) plainAcksOnly_ = false;
      out.insert(out.end(), data, data + len);
      datagrams++;
    }
    // Fewer than asked for: recvmmsg stopped at EAGAIN, the queue is empty.
    // Skipping the read that would say so saves a syscall per wake-up (one
    // request, one ack); epoll is level-triggered, so later datagrams wake us.
    if (n < static_cast<int>(kSlots)) break;
  }
  return error;
}

void Socket::Deliver(int error) {
  Napi::Env env = Env();
  Napi::HandleScope scope(env);
  if (onBatch_.IsEmpty() || onBatch_.Value().IsEmpty()) {
    area_->out.clear();
    return;
  }
  Napi::Value batch = TakeFrames(env);
  onBatch_.MakeCallback(Value(), {batch, Napi::Number::New(env, error)});
  if (env.IsExceptionPending()) {
    Napi::Error err = env.GetAndClearPendingException();
    napi_fatal_exception(env, err.Value());
  }
}

// send(buffer) -> bytes sent, or -errno. One sendmsg carries a whole batch.
Napi::Value Socket::Send(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (fd_ < 0) return Napi::Number::New(env, -EBADF);
  if (info.Length() < 1 || !info[0].IsTypedArray()) {
    Napi::TypeError::New(env, "send(Uint8Array)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Uint8Array data = info[0].As<Napi::Uint8Array>();
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  ssize_t sent;
  do {
    sent = sendto(fd_, data.Data(), data.ByteLength(), 0, reinterpret_cast<sockaddr*>(&kernel), sizeof(kernel));
  } while (sent < 0 && errno == EINTR);
  return Napi::Number::New(env, sent < 0 ? -errno : static_cast<double>(sent));
}

// receive() -> the framed datagrams queued now, null when there are none, or
// [frames | null, errno] when reading hit a socket error. The kernel runs a
// netlink request inside the sendmsg that carries it, so right after send()
// its answer is usually queued: reading it here, without waiting for the
// event loop's poll, saves an epoll wait and a loop turn per request.
Napi::Value Socket::Receive(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (fd_ < 0) return env.Null();
  int err = Fill();
  Napi::Value frames = TakeFrames(env);
  if (err == 0) return frames;
  Napi::Array both = Napi::Array::New(env, 2);
  both.Set(0u, frames);
  both.Set(1u, Napi::Number::New(env, err));
  return both;
}

// What Fill() read, for JS: null when nothing; the byte count when it is
// only plain acks and fits the landing buffer (copied there: a 50k-request
// batch's acks then make no Buffer, malloc or finalizer per read); a fresh
// Buffer otherwise, which JS may keep.
Napi::Value Socket::TakeFrames(Napi::Env env) {
  std::vector<uint8_t>& out = area_->out;
  Napi::Value frames;
  if (out.empty()) {
    frames = env.Null();
  } else if (plainAcksOnly_ && landing_ != nullptr && out.size() <= landingLength_) {
    memcpy(landing_, out.data(), out.size());
    frames = Napi::Number::New(env, static_cast<double>(out.size()));
  } else {
    frames = Napi::Buffer<uint8_t>::Copy(env, out.data(), out.size());
  }
  out.clear();
  return frames;
}

// setLanding(buffer): where reads of plain acks are copied (see TakeFrames).
Napi::Value Socket::SetLanding(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsBuffer()) {
    Napi::TypeError::New(env, "setLanding(Buffer)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto buffer = info[0].As<Napi::Buffer<uint8_t>>();
  // Held here too, so its memory stays while this socket may write to it.
  landingRef_ = Napi::Persistent(buffer);
  landing_ = buffer.Data();
  landingLength_ = buffer.Length();
  return env.Undefined();
}

Napi::Value Socket::Close(const Napi::CallbackInfo& info) {
  Shutdown();
  return info.Env().Undefined();
}

Napi::Value Socket::Ref(const Napi::CallbackInfo& info) {
  watch_.Ref();
  return info.Env().Undefined();
}

Napi::Value Socket::Unref(const Napi::CallbackInfo& info) {
  watch_.Unref();
  return info.Env().Undefined();
}

Napi::Value Socket::AddMembership(const Napi::CallbackInfo& info) {
  int group = info[0].As<Napi::Number>().Int32Value();
  bool ok = fd_ >= 0 && SetIntOption(fd_, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, group);
  return Napi::Number::New(info.Env(), ok ? 0 : (fd_ < 0 ? -EBADF : -errno));
}

Napi::Value Socket::DropMembership(const Napi::CallbackInfo& info) {
  int group = info[0].As<Napi::Number>().Int32Value();
  bool ok = fd_ >= 0 && SetIntOption(fd_, SOL_NETLINK, NETLINK_DROP_MEMBERSHIP, group);
  return Napi::Number::New(info.Env(), ok ? 0 : (fd_ < 0 ? -EBADF : -errno));
}

// setReceiveBuffer(bytes) -> the size the kernel granted, or -errno.
Napi::Value Socket::SetReceiveBuffer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (fd_ < 0) return Napi::Number::New(env, -EBADF);
  int bytes = info[0].As<Napi::Number>().Int32Value();
  if (!SetIntOption(fd_, SOL_SOCKET, SO_RCVBUFFORCE, bytes) && !SetIntOption(fd_, SOL_SOCKET, SO_RCVBUF, bytes)) {
    return Napi::Number::New(env, -errno);
  }
  int granted = 0;
  socklen_t len = sizeof(granted);
  getsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &granted, &len);
  return Napi::Number::New(env, granted);
}

Napi::Value Socket::GetPortId(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), portId_); }
Napi::Value Socket::GetFd(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), fd_); }
Napi::Value Socket::GetFeatures(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), features_); }
Napi::Value Socket::GetDropped(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(dropped_));
}

}  // namespace nl
