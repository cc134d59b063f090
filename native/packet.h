// A packet tap: an AF_PACKET socket bound to one interface (optionally inside
// another network namespace) with a TPACKET_V3 receive ring and a classic BPF
// filter compiled by libpcap. Native code only moves bytes: each event-loop
// wakeup copies the frames of every ready ring block into one Buffer, returns
// the blocks to the kernel and crosses into JS once. Decoding is TypeScript.
#pragma once
#include <napi.h>
#include <uv.h>

#include <cstdint>

#include "fd_watch.h"

namespace nl {

class PacketSocket : public Napi::ObjectWrap<PacketSocket> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit PacketSocket(const Napi::CallbackInfo& info);
  ~PacketSocket() override;

  // Unmaps the ring and closes the socket; used by close(), the GC finalizer and env teardown.
  void Shutdown();

 private:
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value Pause(const Napi::CallbackInfo& info);
  Napi::Value Resume(const Napi::CallbackInfo& info);
  Napi::Value Ref(const Napi::CallbackInfo& info);
  Napi::Value Unref(const Napi::CallbackInfo& info);
  Napi::Value Stats(const Napi::CallbackInfo& info);
  Napi::Value GetIfindex(const Napi::CallbackInfo& info);
  Napi::Value GetHardwareType(const Napi::CallbackInfo& info);

  static void OnReadable(uv_poll_t* handle, int status, int events);
  static void OnEnvCleanup(void* arg);
  void Drain();
  void Deliver(Napi::Value batch, int error);
  void ReadKernelStats();

  int fd_ = -1;
  int ifindex_ = 0;
  int hardwareType_ = 0;  // ARPHRD_* of the interface
  uint8_t* ring_ = nullptr;
  size_t ringBytes_ = 0;
  uint32_t blockSize_ = 0;
  uint32_t blockCount_ = 0;
  uint32_t nextBlock_ = 0;  // blocks are handed over and returned in ring order
  FdWatch watch_;
  bool cleanupHookAdded_ = false;
  // PACKET_STATISTICS resets on every read, so the totals live here.
  uint64_t packets_ = 0;
  uint64_t drops_ = 0;
  uint64_t freezes_ = 0;
  Napi::FunctionReference onBatch_;
};

// Compiles a tcpdump expression for Ethernet frames with libpcap:
// compilePacketFilter(expression, snaplen) -> Buffer of struct sock_filter, or
// a string with pcap's error message.
Napi::Value CompilePacketFilter(const Napi::CallbackInfo& info);

// Per-frame header in a batch, little-endian, followed by `caplen` bytes:
//   u32 caplen, u32 wire length, u32 seconds, u32 nanoseconds,
//   u8 sll_pkttype, u8 flags, u16 zero, u32 zero.
constexpr size_t kPacketFrameHeader = 24;
enum : uint8_t {
  kPacketVlanRestored = 1 << 0,    // an offloaded VLAN tag was put back into the bytes
  kPacketChecksumPending = 1 << 1,  // TP_STATUS_CSUMNOTREADY: checksum left to the NIC
  kPacketChecksumValid = 1 << 2,    // TP_STATUS_CSUM_VALID: the NIC checked it
};

}  // namespace nl
