// Binding of a network and its data (kernels/network.h): converts and validates, then calls a kernel. No maths.
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
  // The current weights, checked to be finite; nullptr (with a pending exception) otherwise.
  double* Weights(Napi::Env env);

  Network net_;
  bool alive_ = false;
  Napi::Reference<Napi::Float64Array> w_, q_;
};

}  // namespace wd
