// Binding of a network, its data and its update rule (kernels/network.h): converts and validates, then calls a
// kernel. No maths.
#pragma once
#include <napi.h>

#include "kernels/network.h"

namespace wd {

class NetworkBinding : public Napi::ObjectWrap<NetworkBinding> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit NetworkBinding(const Napi::CallbackInfo& info);

 private:
  Napi::Value Loss(const Napi::CallbackInfo& info);
  Napi::Value LossGrad(const Napi::CallbackInfo& info);
  Napi::Value Hessian(const Napi::CallbackInfo& info);
  Napi::Value Hvp(const Napi::CallbackInfo& info);
  Napi::Value TangentApply(const Napi::CallbackInfo& info);
  Napi::Value TrainChunk(const Napi::CallbackInfo& info);
  Napi::Value ChooseRoute(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);

  bool Alive(Napi::Env env);
  // The state and tangent arrays this network was given, re-checked on every call (still attached, length
  // unchanged: a transferred or shrunk buffer is an error, never a read of freed memory), with the state checked to
  // be finite. False (with a pending exception) otherwise.
  bool Held(Napi::Env env, double*& state, double*& Q);

  Network net_;
  // Threads of the dense kernels in this network's calls (the optional 12th constructor argument; 1 by default).
  int threads_ = 1;
  bool alive_ = false;
  Napi::Reference<Napi::Float64Array> state_, q_;
};

}  // namespace wd
