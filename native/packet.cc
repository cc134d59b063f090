#include "packet.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "errors.h"
#include "netns.h"

namespace nl {

namespace {

// Blocks copied per event-loop turn; at least one block is always taken, so
// a huge ring never stalls the loop and never starves either.
constexpr size_t kMaxBytesPerTurn = 8u << 20;
// The kernel packs V3 frames back to back inside a block; tp_frame_size only
// has to be aligned and to divide the block (it does not cap the snaplen).
constexpr uint32_t kRingFrameSize = 2048;
constexpr size_t kVlanTagBytes = 4;
constexpr size_t kMacAddressesBytes = 12;

tpacket_block_desc* BlockAt(uint8_t* ring, uint32_t blockSize, uint32_t index) {
  return reinterpret_cast<tpacket_block_desc*>(ring + static_cast<size_t>(index) * blockSize);
}

uint32_t BlockStatus(tpacket_block_desc* block) {
  // Acquire: the frame bytes the kernel wrote before flipping the status must be visible.
  return __atomic_load_n(&block->hdr.bh1.block_status, __ATOMIC_ACQUIRE);
}

void ReturnBlock(tpacket_block_desc* block) {
  __atomic_store_n(&block->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
}

bool RestoresVlan(const tpacket3_hdr* frame) {
  // The tag was offloaded to metadata; only put it back where the MAC addresses are whole.
  return (frame->tp_status & TP_STATUS_VLAN_VALID) != 0 && frame->tp_snaplen >= kMacAddressesBytes;
}

size_t FrameRecordSize(const tpacket3_hdr* frame) {
  return kPacketFrameHeader + frame->tp_snaplen + (RestoresVlan(frame) ? kVlanTagBytes : 0);
}

void PutU32(uint8_t* out, uint32_t value) { memcpy(out, &value, 4); }

// Writes one frame record (header + bytes) at `out`; returns the bytes written.
size_t CopyFrame(const tpacket3_hdr* frame, uint8_t* out) {
  const uint8_t* bytes = reinterpret_cast<const uint8_t*>(frame) + frame->tp_mac;
  // sockaddr_ll sits right after the (aligned) V3 header; see tpacket_rcv().
  const auto* sll = reinterpret_cast<const sockaddr_ll*>(reinterpret_cast<const uint8_t*>(frame) +
                                                          TPACKET_ALIGN(sizeof(tpacket3_hdr)));
  bool vlan = RestoresVlan(frame);
  uint32_t extra = vlan ? kVlanTagBytes : 0;
  uint8_t flags = 0;
  if (vlan) flags |= kPacketVlanRestored;
  if ((frame->tp_status & TP_STATUS_CSUMNOTREADY) != 0) flags |= kPacketChecksumPending;
  if ((frame->tp_status & TP_STATUS_CSUM_VALID) != 0) flags |= kPacketChecksumValid;

  PutU32(out, frame->tp_snaplen + extra);
  PutU32(out + 4, frame->tp_len + extra);
  PutU32(out + 8, frame->tp_sec);
  PutU32(out + 12, frame->tp_nsec);
  out[16] = sll->sll_pkttype;
  out[17] = flags;
  memset(out + 18, 0, 6);
  uint8_t* data = out + kPacketFrameHeader;
  if (!vlan) {
    memcpy(data, bytes, frame->tp_snaplen);
    return kPacketFrameHeader + frame->tp_snaplen;
  }
  // Put the tag back where it was on the wire, as libpcap does, so decoders see the real frame.
  uint16_t tpid = (frame->tp_status & TP_STATUS_VLAN_TPID_VALID) != 0 ? frame->hv1.tp_vlan_tpid : ETH_P_8021Q;
  uint16_t tag[2] = {htons(tpid), htons(static_cast<uint16_t>(frame->hv1.tp_vlan_tci))};
  memcpy(data, bytes, kMacAddressesBytes);
  memcpy(data + kMacAddressesBytes, tag, kVlanTagBytes);
  memcpy(data + kMacAddressesBytes + kVlanTagBytes, bytes + kMacAddressesBytes, frame->tp_snaplen - kMacAddressesBytes);
  return kPacketFrameHeader + frame->tp_snaplen + kVlanTagBytes;
}

template <typename Fn>
void ForEachFrame(tpacket_block_desc* block, Fn fn) {
  auto* base = reinterpret_cast<uint8_t*>(block);
  uint32_t count = block->hdr.bh1.num_pkts;
  uint32_t offset = block->hdr.bh1.offset_to_first_pkt;
  for (uint32_t i = 0; i < count; i++) {
    auto* frame = reinterpret_cast<tpacket3_hdr*>(base + offset);
    fn(frame);
    offset += frame->tp_next_offset;
  }
}

// Reads (and clears) the socket's pending error, e.g. ENETDOWN when the interface went down.
int PendingError(int fd) {
  int err = 0;
  socklen_t len = sizeof(err);
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) return errno;
  return err;
}

bool SetIntOption(int fd, int level, int name, int value) {
  return setsockopt(fd, level, name, &value, sizeof(value)) == 0;
}

}  // namespace

Napi::Function PacketSocket::Init(Napi::Env env) {
  return DefineClass(env, "NativePacketSocket", {
      InstanceMethod("close", &PacketSocket::Close),
      InstanceMethod("pause", &PacketSocket::Pause),
      InstanceMethod("resume", &PacketSocket::Resume),
      InstanceMethod("ref", &PacketSocket::Ref),
      InstanceMethod("unref", &PacketSocket::Unref),
      InstanceMethod("stats", &PacketSocket::Stats),
      InstanceAccessor("ifindex", &PacketSocket::GetIfindex, nullptr),
      InstanceAccessor("hardwareType", &PacketSocket::GetHardwareType, nullptr),
  });
}

// new NativePacketSocket(netnsPath, interfaceName, filterProgram, blockSize, blockCount, blockTimeoutMs, onBatch)
// JS has validated every argument; this only checks their types.
PacketSocket::PacketSocket(const Napi::CallbackInfo& info) : Napi::ObjectWrap<PacketSocket>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 7 || !info[0].IsString() || !info[1].IsString() || !info[2].IsBuffer() || !info[3].IsNumber() ||
      !info[4].IsNumber() || !info[5].IsNumber() || !info[6].IsFunction()) {
    Napi::TypeError::New(env, "NativePacketSocket(netnsPath, interface, program, blockSize, blockCount, blockTimeout, onBatch)")
        .ThrowAsJavaScriptException();
    return;
  }
  std::string nsPath = info[0].As<Napi::String>().Utf8Value();
  std::string ifname = info[1].As<Napi::String>().Utf8Value();
  Napi::Buffer<uint8_t> program = info[2].As<Napi::Buffer<uint8_t>>();
  blockSize_ = info[3].As<Napi::Number>().Uint32Value();
  blockCount_ = info[4].As<Napi::Number>().Uint32Value();
  uint32_t blockTimeout = info[5].As<Napi::Number>().Uint32Value();
  std::string what = "opening a packet tap on " + ifname + (nsPath.empty() ? "" : " in " + nsPath);

  // Protocol 0: the socket receives nothing until bind() below, so no frame
  // arrives before the filter is attached. Only the socket and the name
  // lookup need the namespace; the socket keeps it for everything after.
  int ifindex = 0;
  int hardwareType = 0;
  NetnsResult opened = RunInNetns(nsPath, [&](const char** step) {
    *step = "if_nametoindex";
    ifindex = static_cast<int>(if_nametoindex(ifname.c_str()));
    if (ifindex == 0) return -1;
    *step = "socket";
    int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return -1;
    ifreq req{};
    strncpy(req.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
    if (ioctl(fd, SIOCGIFHWADDR, &req) == 0) hardwareType = req.ifr_hwaddr.sa_family;
    return fd;
  });
  if (opened.err != 0) {
    ErrnoError(env, opened.err, opened.step, what).ThrowAsJavaScriptException();
    return;
  }
  fd_ = opened.value;
  ifindex_ = ifindex;
  hardwareType_ = hardwareType;

  auto fail = [&](const char* step) {
    int err = errno;
    Shutdown();
    ErrnoError(env, err, step, what).ThrowAsJavaScriptException();
  };

  if (!SetIntOption(fd_, SOL_PACKET, PACKET_VERSION, TPACKET_V3)) {
    fail("setsockopt(PACKET_VERSION)");
    return;
  }
  tpacket_req3 req{};
  req.tp_block_size = blockSize_;
  req.tp_block_nr = blockCount_;
  req.tp_frame_size = kRingFrameSize;
  req.tp_frame_nr = (blockSize_ / kRingFrameSize) * blockCount_;
  req.tp_retire_blk_tov = blockTimeout;
  if (setsockopt(fd_, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)) < 0) {
    fail("setsockopt(PACKET_RX_RING)");
    return;
  }
  ringBytes_ = static_cast<size_t>(blockSize_) * blockCount_;
  void* ring = mmap(nullptr, ringBytes_, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
  if (ring == MAP_FAILED) {
    fail("mmap");
    return;
  }
  ring_ = static_cast<uint8_t*>(ring);

  sock_fprog fprog{};
  fprog.len = static_cast<unsigned short>(program.Length() / sizeof(sock_filter));
  fprog.filter = reinterpret_cast<sock_filter*>(program.Data());
  if (setsockopt(fd_, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof(fprog)) < 0) {
    fail("setsockopt(SO_ATTACH_FILTER)");
    return;
  }

  sockaddr_ll local{};
  local.sll_family = AF_PACKET;
  local.sll_protocol = htons(ETH_P_ALL);
  local.sll_ifindex = ifindex_;
  if (bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof(local)) < 0) {
    fail("bind");
    return;
  }
  // Binding to an interface that is down succeeds but leaves ENETDOWN pending.
  int pending = PendingError(fd_);
  if (pending != 0) {
    errno = pending;
    fail("bind");
    return;
  }

  // Weak while idle: the JS wrapper keeps the callback alive, so a forgotten tap
  // can still be collected. watch_ holds it strongly while a consumer waits.
  onBatch_ = Napi::Weak(info[6].As<Napi::Function>());

  uv_loop_t* loop = nullptr;
  napi_get_uv_event_loop(env, &loop);
  // An idle tap must not keep the process alive; JS refs while a consumer waits.
  watch_.Start(loop, fd_, this, OnReadable, &onBatch_);
  napi_add_env_cleanup_hook(env, OnEnvCleanup, this);
  cleanupHookAdded_ = true;
}

PacketSocket::~PacketSocket() { Shutdown(); }

void PacketSocket::OnEnvCleanup(void* arg) {
  auto* self = static_cast<PacketSocket*>(arg);
  self->cleanupHookAdded_ = false;  // Node drops the hook once it has run
  self->Shutdown();
}

void PacketSocket::Shutdown() {
  if (cleanupHookAdded_) {
    napi_remove_env_cleanup_hook(Env(), OnEnvCleanup, this);
    cleanupHookAdded_ = false;
  }
  watch_.Close();
  if (fd_ >= 0) ReadKernelStats();  // the last counts would go with the socket
  if (ring_ != nullptr) {
    munmap(ring_, ringBytes_);
    ring_ = nullptr;
  }
  if (fd_ >= 0) {
    close(fd_);
    fd_ = -1;
  }
}

void PacketSocket::ReadKernelStats() {
  tpacket_stats_v3 st{};
  socklen_t len = sizeof(st);
  if (getsockopt(fd_, SOL_PACKET, PACKET_STATISTICS, &st, &len) < 0) return;
  // tp_packets already includes the drops (packet_getsockopt adds them).
  packets_ += st.tp_packets;
  drops_ += st.tp_drops;
  freezes_ += st.tp_freeze_q_cnt;
}

void PacketSocket::OnReadable(uv_poll_t* handle, int status, int events) {
  auto* self = static_cast<PacketSocket*>(handle->data);
  if (self == nullptr) return;
  if (status < 0) {
    // libuv has stopped the handle (it reports POLLERR as UV_EBADF); the socket's own error says more.
    self->watch_.Pause();
    int err = self->fd_ >= 0 ? PendingError(self->fd_) : 0;
    Napi::HandleScope scope(self->Env());
    self->Deliver(self->Env().Null(), err != 0 ? err : -status);
    return;
  }
  self->Drain();
}

// Takes the ready blocks in ring order (bounded per turn), copies their frames
// into one Buffer, gives the blocks back and hands the Buffer to JS.
void PacketSocket::Drain() {
  if (ring_ == nullptr) return;
  size_t total = 0;
  uint32_t ready = 0;
  while (ready < blockCount_ && (ready == 0 || total < kMaxBytesPerTurn)) {
    tpacket_block_desc* block = BlockAt(ring_, blockSize_, (nextBlock_ + ready) % blockCount_);
    if ((BlockStatus(block) & TP_STATUS_USER) == 0) break;
    ForEachFrame(block, [&](const tpacket3_hdr* frame) { total += FrameRecordSize(frame); });
    ready++;
  }
  if (ready == 0) return;

  Napi::Env env = Env();
  Napi::HandleScope scope(env);
  Napi::Buffer<uint8_t> batch = Napi::Buffer<uint8_t>::New(env, total);
  uint8_t* out = batch.Data();
  for (uint32_t i = 0; i < ready; i++) {
    tpacket_block_desc* block = BlockAt(ring_, blockSize_, nextBlock_);
    ForEachFrame(block, [&](const tpacket3_hdr* frame) { out += CopyFrame(frame, out); });
    ReturnBlock(block);
    nextBlock_ = (nextBlock_ + 1) % blockCount_;
  }
  Deliver(batch, 0);
}

void PacketSocket::Deliver(Napi::Value batch, int error) {
  Napi::Env env = Env();
  if (onBatch_.IsEmpty() || onBatch_.Value().IsEmpty()) return;
  onBatch_.MakeCallback(Value(), {batch, Napi::Number::New(env, error)});
  if (env.IsExceptionPending()) {
    Napi::Error err = env.GetAndClearPendingException();
    napi_fatal_exception(env, err.Value());
  }
}

Napi::Value PacketSocket::Close(const Napi::CallbackInfo& info) {
  Shutdown();
  return info.Env().Undefined();
}

// Backpressure: with polling stopped the ring fills and the kernel drops
// (counted in stats), so JS never buffers without bound.
Napi::Value PacketSocket::Pause(const Napi::CallbackInfo& info) {
  watch_.Pause();
  return info.Env().Undefined();
}

Napi::Value PacketSocket::Resume(const Napi::CallbackInfo& info) {
  if (!watch_.polling()) watch_.Resume();
  return info.Env().Undefined();
}

Napi::Value PacketSocket::Ref(const Napi::CallbackInfo& info) {
  watch_.Ref();
  return info.Env().Undefined();
}

Napi::Value PacketSocket::Unref(const Napi::CallbackInfo& info) {
  watch_.Unref();
  return info.Env().Undefined();
}

// stats() -> { packets, drops, freezes } as bigints, totals since open.
Napi::Value PacketSocket::Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (fd_ >= 0) ReadKernelStats();
  Napi::Object out = Napi::Object::New(env);
  out.Set("packets", Napi::BigInt::New(env, static_cast<uint64_t>(packets_)));
  out.Set("drops", Napi::BigInt::New(env, static_cast<uint64_t>(drops_)));
  out.Set("freezes", Napi::BigInt::New(env, static_cast<uint64_t>(freezes_)));
  return out;
}

Napi::Value PacketSocket::GetIfindex(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), ifindex_); }
Napi::Value PacketSocket::GetHardwareType(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), hardwareType_);
}

Napi::Value CompilePacketFilter(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsNumber()) {
    Napi::TypeError::New(env, "compilePacketFilter(expression, snaplen)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string expression = info[0].As<Napi::String>().Utf8Value();
  int snaplen = info[1].As<Napi::Number>().Int32Value();
  // A dead handle: compile for Ethernet frames without opening any device.
  pcap_t* pcap = pcap_open_dead(DLT_EN10MB, snaplen);
  if (pcap == nullptr) return Napi::String::New(env, "pcap_open_dead failed");
  bpf_program program{};
  if (pcap_compile(pcap, &program, expression.c_str(), 1, PCAP_NETMASK_UNKNOWN) < 0) {
    std::string message = pcap_geterr(pcap);
    pcap_close(pcap);
    return Napi::String::New(env, message);
  }
  // struct bpf_insn and the kernel's struct sock_filter share one layout.
  static_assert(sizeof(bpf_insn) == sizeof(sock_filter), "classic BPF instruction layouts differ");
  Napi::Buffer<uint8_t> out = Napi::Buffer<uint8_t>::Copy(
      env, reinterpret_cast<const uint8_t*>(program.bf_insns), program.bf_len * sizeof(bpf_insn));
  pcap_freecode(&program);
  pcap_close(pcap);
  return out;
}

}  // namespace nl
