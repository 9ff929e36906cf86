// Module init: the export table only. Mirror: assembly/index.ts.
#include <napi.h>

#include "bind_kernels.h"
#include "bind_network.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("activation", Napi::Function::New<wd::BindActivation>(env, "activation"));
  exports.Set("qrPositive", Napi::Function::New<wd::BindQrPositive>(env, "qrPositive"));
  exports.Set("Network", wd::NetworkBinding::Define(env));
#ifdef WEIGHTDYN_HAVE_EIGEN
  exports.Set("eigen", Napi::Boolean::New(env, true));
#else
  exports.Set("eigen", Napi::Boolean::New(env, false));
#endif
  return exports;
}

}  // namespace

NODE_API_MODULE(weightdyn, Init)
