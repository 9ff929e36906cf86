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

  // At the top of every method: the network is alive and the w and Q it holds are still attached with their
  // lengths; their current data to w and Q. False with a pending exception otherwise.
  bool Held(Napi::Env env, double*& w, double*& Q);
  // The weights checked to be finite; false (with a pending exception) otherwise.
  bool FiniteWeights(Napi::Env env, const double* w);

  Network net_;
  bool alive_ = false;
  Napi::Reference<Napi::Float64Array> w_, q_;
};

}  // namespace wd
