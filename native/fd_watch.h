// Watching an fd for readability on the event loop (uv_poll), shared by the
// netlink socket and the packet tap: start unref'd (an idle socket must not
// keep the process alive), pause/resume for backpressure, ref while a request
// waits, and a close that frees the handle only once libuv is done with it.
//
// The JS callback the socket delivers to is held weakly while idle, so a
// forgotten socket can be collected and closed. While ref'd it is held
// strongly: a waiting promise is reachable only through that callback (its
// owner keeps the resolver), and a caller may keep nothing else. Without
// this, a GC during `for await (const b of PacketTap.open(...))` collected
// the tap and the await never settled.
#pragma once
#include <napi.h>
#include <uv.h>

namespace nl {

class FdWatch {
 public:
  // Starts watching `fd`; `owner` comes back as handle->data in the callback.
  // `callback` is the weak reference to the JS function batches go to.
  void Start(uv_loop_t* loop, int fd, void* owner, uv_poll_cb onReadable, Napi::FunctionReference* callback) {
    callback_js_ = callback;
    handle_ = new uv_poll_t();
    uv_poll_init(loop, handle_, fd);
    handle_->data = owner;
    callback_ = onReadable;
    uv_poll_start(handle_, UV_READABLE, onReadable);
    uv_unref(reinterpret_cast<uv_handle_t*>(handle_));
    polling_ = true;
  }
  void Pause() {
    if (handle_ != nullptr && polling_) uv_poll_stop(handle_);
    polling_ = false;
  }
  // Also restarts a handle that libuv stopped itself (on POLLERR).
  void Resume() {
    if (handle_ != nullptr) uv_poll_start(handle_, UV_READABLE, callback_);
    polling_ = handle_ != nullptr;
  }
  void Ref() {
    if (handle_ == nullptr) return;
    uv_ref(reinterpret_cast<uv_handle_t*>(handle_));
    Hold(true);
  }
  void Unref() {
    if (handle_ == nullptr) return;
    uv_unref(reinterpret_cast<uv_handle_t*>(handle_));
    Hold(false);
  }
  void Close() {
    Hold(false);
    if (handle_ == nullptr) return;
    uv_poll_stop(handle_);
    handle_->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(handle_), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
    handle_ = nullptr;
    polling_ = false;
  }
  bool polling() const { return polling_; }
  bool open() const { return handle_ != nullptr; }

 private:
  void Hold(bool strong) {
    if (strong == held_ || callback_js_ == nullptr || callback_js_->IsEmpty()) return;
    if (strong) callback_js_->Ref();
    else callback_js_->Unref();
    held_ = strong;
  }

  uv_poll_t* handle_ = nullptr;  // freed in the uv_close callback
  uv_poll_cb callback_ = nullptr;
  Napi::FunctionReference* callback_js_ = nullptr;
  bool polling_ = false;
  bool held_ = false;  // callback_js_ is strong
};

}  // namespace nl
