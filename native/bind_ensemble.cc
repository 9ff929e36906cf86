#include "bind_ensemble.h"

#include <climits>
#include <cmath>

#include "args.h"
#include "kernels/ensemble_lyapunov.h"
#include "kernels/network.h"

namespace wd {

Napi::Function EnsembleBinding::Define(Napi::Env env) {
  return DefineClass(env, "Ensemble",
                     {InstanceMethod<&EnsembleBinding::SetState>("setState"),
                      InstanceMethod<&EnsembleBinding::GetState>("getState"),
                      InstanceMethod<&EnsembleBinding::SetTangent>("setTangent"),
                      InstanceMethod<&EnsembleBinding::GetTangent>("getTangent"),
                      InstanceMethod<&EnsembleBinding::Loss>("loss"),
                      InstanceMethod<&EnsembleBinding::TrainChunk>("trainChunk"),
                      InstanceMethod<&EnsembleBinding::Dispose>("dispose")});
}

// new Ensemble(layers, activations, activationParams, X, Y, maxK, rule, eta, ruleParams, runs): the arguments of
// new Network without its state arrays (the ensemble owns its memory), and the number of runs (1 .. LANES).
EnsembleBinding::EnsembleBinding(const Napi::CallbackInfo& info) : Napi::ObjectWrap<EnsembleBinding>(info) {
  Napi::Env env = info.Env();
  if (!ArgCount(info, 10, "Ensemble")) return;
  const int *layers, *acts;
  size_t nLayers, nActs;
  if (!ArgI32(info, 0, "layers", 3, 1, static_cast<int>(kMaxWidth), layers, nLayers) ||
      !ArgI32(info, 1, "activations", 2, 0, ACT_COUNT - 1, acts, nActs))
    return;
  if (acts[1] >= ACT_OUTPUT_COUNT) {
    ThrowRange(env, "expected an output activation id in [0, " + std::to_string(ACT_OUTPUT_COUNT - 1) +
                        "] but received " + std::to_string(acts[1]));
    return;
  }
  double *actParams, *X, *Y;
  Rule rule;
  int maxK, runs;
  if (!ArgF64(info, 2, "activationParams", 1, true, true, actParams) || !ArgRule(info, 6, rule) ||
      !ArgInt(info, 9, "runs", 1, LANES, runs))
    return;
  const int nIn = layers[0], nHid = layers[1], nOut = layers[2];
  const long long S = network_dimension(1, layers) * RULE_STATE_BLOCKS[rule.id];
  if (S > kMaxState) {
    ThrowRange(env, "the training state has too many numbers (" + std::to_string(S) + ")");
    return;
  }
  if (!ArgInt(info, 5, "maxK", 0, S, maxK)) return;
  if (!info[3].IsTypedArray() || info[3].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
    ArgF64(info, 3, "X", 0, false, false, X);
    return;
  }
  const size_t samples = info[3].As<Napi::Float64Array>().ElementLength() / static_cast<size_t>(nIn);
  if (samples < 1 || samples > static_cast<size_t>(kMaxSamples)) {
    ThrowRange(env, "expected between 1 and " + std::to_string(kMaxSamples) + " samples in X but it holds " +
                        std::to_string(samples));
    return;
  }
  const int N = static_cast<int>(samples);
  if (!ArgF64(info, 3, "X", static_cast<size_t>(N) * nIn, true, true, X) ||
      !ArgF64(info, 4, "Y", static_cast<size_t>(N) * nOut, true, true, Y))
    return;
  bool sized = false;
  if (!Guarded(env, [&] {
        sized = ensemble_create(ens_, nIn, nHid, nOut, acts[0], actParams[0], acts[1], X, Y, N, maxK, rule, runs);
      }))
    return;
  if (!sized) {
    ThrowRange(env, "the ensemble and data are too large");
    return;
  }
  alive_ = true;
}

bool EnsembleBinding::Alive(Napi::Env env) {
  if (!alive_) ThrowRange(env, "this ensemble has been disposed");
  return alive_;
}

bool EnsembleBinding::ArgRun(const Napi::CallbackInfo& info, size_t i, int& run) {
  return ArgInt(info, i, "run", 0, ens_.runs - 1, run);
}

// setState(run, state: Float64Array(S)): finite values only.
Napi::Value EnsembleBinding::SetState(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int run;
  double* x;
  if (!Alive(env) || !ArgCount(info, 2, "setState") || !ArgRun(info, 0, run) ||
      !ArgF64(info, 1, "state", ens_.S, true, true, x))
    return env.Undefined();
  ensemble_set_state(ens_, run, x);
  ens_.status[run] = CHUNK_OK;
  return env.Undefined();
}

// getState(run, out: Float64Array(S))
Napi::Value EnsembleBinding::GetState(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int run;
  double* x;
  if (!Alive(env) || !ArgCount(info, 2, "getState") || !ArgRun(info, 0, run) ||
      !ArgF64(info, 1, "out", ens_.S, true, false, x))
    return env.Undefined();
  ensemble_get_state(ens_, run, x);
  return env.Undefined();
}

// setTangent(run, Q: Float64Array(S maxK)): finite values only.
Napi::Value EnsembleBinding::SetTangent(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int run;
  double* q;
  if (!Alive(env) || !ArgCount(info, 2, "setTangent") || !ArgRun(info, 0, run) ||
      !ArgF64(info, 1, "Q", static_cast<size_t>(ens_.S) * ens_.maxK, true, true, q))
    return env.Undefined();
  ensemble_set_tangent(ens_, run, q);
  return env.Undefined();
}

// getTangent(run, out: Float64Array(S maxK))
Napi::Value EnsembleBinding::GetTangent(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int run;
  double* q;
  if (!Alive(env) || !ArgCount(info, 2, "getTangent") || !ArgRun(info, 0, run) ||
      !ArgF64(info, 1, "out", static_cast<size_t>(ens_.S) * ens_.maxK, true, false, q))
    return env.Undefined();
  ensemble_get_tangent(ens_, run, q);
  return env.Undefined();
}

// loss(out: Float64Array(runs)): C(w) on all samples for every run.
Napi::Value EnsembleBinding::Loss(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  double* out;
  if (!Alive(env) || !ArgCount(info, 1, "loss") || !ArgF64(info, 0, "out", ens_.runs, true, false, out))
    return env.Undefined();
  ensemble_loss(ens_, out);
  return env.Undefined();
}

// trainChunk(k, nSteps, qrEvery, route, t0, batchIndices | null, batchOffsets | null, lossOut, logRDiag, stepsOut)
//   -> reasons: Int32Array(runs), each run's ChunkReason after the call
Napi::Value EnsembleBinding::TrainChunk(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!Alive(env) || !ArgCount(info, 10, "trainChunk")) return env.Undefined();
  ChunkArgs a;
  if (!ArgChunk(info, ens_.maxK, ens_.N, ROUTE_HESSIAN, a)) return env.Undefined();
  const size_t runs = ens_.runs, nQr = a.k > 0 ? static_cast<size_t>(a.nSteps / a.qrEvery) : 0;
  const int* stepsArg;
  size_t nStepsOut;
  if (!ArgF64(info, 7, "lossOut", runs * a.nSteps, false, false, a.lossOut) ||
      !ArgF64(info, 8, "logRDiag", runs * nQr * a.k, false, false, a.logRDiag) ||
      !ArgI32(info, 9, "stepsOut", static_cast<long long>(runs), INT_MIN, INT_MAX, stepsArg, nStepsOut) ||
      !ArgDisjoint(env, "lossOut", a.lossOut, runs * a.nSteps, "logRDiag", a.logRDiag, runs * nQr * a.k))
    return env.Undefined();
  int* stepsOut = const_cast<int*>(stepsArg);
  if (!Guarded(env, [&] { ensemble_train_chunk(ens_, a, stepsOut); })) return env.Undefined();
  Napi::Int32Array reasons = Napi::Int32Array::New(env, runs);
  for (size_t b = 0; b < runs; ++b) reasons[b] = ens_.status[b];
  return reasons;
}

Napi::Value EnsembleBinding::Dispose(const Napi::CallbackInfo& info) {
  if (alive_) {
    ens_ = Ensemble();
    alive_ = false;
  }
  return info.Env().Undefined();
}

}  // namespace wd
