// Module init: the export table only. Mirror: assembly/index.ts.
#include <napi.h>

#include "bind_ensemble.h"
#include "bind_kernels.h"
#include "bind_network.h"
#include "build_info.h"
#include "kernels/dense.h"
#include "kernels/depth.h"

namespace {

// _denseEigen(on?: boolean) -> boolean: switches gemm between Eigen and the built-in kernels (twins of the WASM ones)
// at run time, and returns whether Eigen is in use. Hidden (not in the Backend interface): the tests compare the two
// on one build. Without Eigen in the build it stays false.
Napi::Value DenseEigen(const Napi::CallbackInfo& info) {
  if (info.Length() > 0 && info[0].IsBoolean()) wd::dense_use_eigen = wd::dense_have_eigen() && info[0].As<Napi::Boolean>().Value();
  return Napi::Boolean::New(info.Env(), wd::dense_use_eigen);
}

// _deepKernels(on?: boolean) -> boolean: with true, networks of one hidden layer run the general-depth kernels
// (kernels/depth.h) instead of the three-layer ones, so the tests can hold the two against each other; returns
// whether they do. Hidden, like _denseEigen.
Napi::Value DeepKernels(const Napi::CallbackInfo& info) {
  if (info.Length() > 0 && info[0].IsBoolean()) wd::deep_force = info[0].As<Napi::Boolean>().Value();
  return Napi::Boolean::New(info.Env(), wd::deep_force);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  wd::dense_init();
  exports.Set("activation", Napi::Function::New<wd::BindActivation>(env, "activation"));
  exports.Set("qrPositive", Napi::Function::New<wd::BindQrPositive>(env, "qrPositive"));
  exports.Set("ruleStep", Napi::Function::New<wd::BindRuleStep>(env, "ruleStep"));
  exports.Set("ruleTangent", Napi::Function::New<wd::BindRuleTangent>(env, "ruleTangent"));
  exports.Set("Network", wd::NetworkBinding::Define(env));
  exports.Set("Ensemble", wd::EnsembleBinding::Define(env));
  exports.Set("ensembleLanes", Napi::Number::New(env, wd::LANES));
  exports.Set("_denseEigen", Napi::Function::New<DenseEigen>(env, "_denseEigen"));
  exports.Set("buildInfo", wd::BuildInfo(env));
  exports.Set("_deepKernels", Napi::Function::New<DeepKernels>(env, "_deepKernels"));
#ifdef WEIGHTDYN_HAVE_EIGEN
  exports.Set("eigen", Napi::Boolean::New(env, true));
#else
  exports.Set("eigen", Napi::Boolean::New(env, false));
#endif
  return exports;
}

}  // namespace

NODE_API_MODULE(weightdyn, Init)
