// The addon's export table. One .cc per feature; this file only wires them up.
#include <napi.h>

#include "packet.h"
#include "socket.h"
#include "stats.h"

namespace nl {
Napi::Value OpenInNetns(const Napi::CallbackInfo& info);
}

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("NativeSocket", nl::Socket::Init(env));
  exports.Set("openInNetns", Napi::Function::New(env, nl::OpenInNetns, "openInNetns"));
  exports.Set("NativePacketSocket", nl::PacketSocket::Init(env));
  exports.Set("compilePacketFilter", Napi::Function::New(env, nl::CompilePacketFilter, "compilePacketFilter"));
  exports.Set("NativeDumpChannel", nl::DumpChannel::Init(env));
  return exports;
}

NODE_API_MODULE(nl_lvs, Init)
