// Binding of an ensemble (kernels/ensemble.h): up to 8 runs of one network in lockstep. Converts and validates, then
// calls a kernel; the ensemble owns its memory, and every call copies in or out. No maths.
#pragma once
#include <napi.h>

#include "kernels/ensemble.h"

namespace wd {

class EnsembleBinding : public Napi::ObjectWrap<EnsembleBinding> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit EnsembleBinding(const Napi::CallbackInfo& info);

 private:
  Napi::Value SetState(const Napi::CallbackInfo& info);
  Napi::Value GetState(const Napi::CallbackInfo& info);
  Napi::Value SetTangent(const Napi::CallbackInfo& info);
  Napi::Value GetTangent(const Napi::CallbackInfo& info);
  Napi::Value Loss(const Napi::CallbackInfo& info);
  Napi::Value TrainChunk(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);

  bool Alive(Napi::Env env);
  // The run index argument i: an integer in [0, runs).
  bool ArgRun(const Napi::CallbackInfo& info, size_t i, int& run);

  Ensemble ens_;
  bool alive_ = false;
};

}  // namespace wd
