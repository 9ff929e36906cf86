#include "bind_network.h"

#include <climits>
#include <cmath>

#include "args.h"
#include "kernels/activations.h"
#include "kernels/dense.h"
#include "kernels/depth.h"
#include "kernels/lyapunov.h"
#include "kernels/tangent.h"

namespace wd {

namespace {

// The network's thread count for the dense kernels during one call, back to 1 after it (dense.h: per calling thread).
struct ThreadScope {
  explicit ThreadScope(int threads) { dense_set_threads(threads); }
  ~ThreadScope() { dense_set_threads(1); }
};

}  // namespace

Napi::Function NetworkBinding::Define(Napi::Env env) {
  return DefineClass(env, "Network",
                     {InstanceMethod<&NetworkBinding::Loss>("loss"),
                      InstanceMethod<&NetworkBinding::LossGrad>("lossGrad"),
                      InstanceMethod<&NetworkBinding::Hessian>("hessian"),
                      InstanceMethod<&NetworkBinding::Hvp>("hvp"),
                      InstanceMethod<&NetworkBinding::TangentApply>("tangentApply"),
                      InstanceMethod<&NetworkBinding::TrainChunk>("trainChunk"),
                      InstanceMethod<&NetworkBinding::ChooseRoute>("chooseRoute"),
                      InstanceMethod<&NetworkBinding::Dispose>("dispose")});
}

// new Network(layers, activations, activationParams, X, Y, maxK, rule, eta, ruleParams, state, Q, threads?)
//   layers: Int32Array [inputs, h1, ..., hL, outputs] (1 <= L <= kMaxHidden); activations: Int32Array [act_1, ...,
//   act_L, output activation]; activationParams: Float64Array [L], the hidden activations' parameters; rule: a RuleId
//   with its parameters; threads: of the dense kernels in this network's calls (1 .. 1024, default 1; more than
//   dense_max_threads() is allowed and only oversubscribes).
NetworkBinding::NetworkBinding(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NetworkBinding>(info) {
  Napi::Env env = info.Env();
  if (!ArgCount(info, 11, "Network")) return;
  const int *layers, *acts;
  size_t nLayers, nActs;
  if (!ArgI32(info, 0, "layers", -1, 1, static_cast<int>(kMaxWidth), layers, nLayers)) return;
  if (nLayers < 3 || nLayers > static_cast<size_t>(kMaxHidden) + 2) {
    ThrowRange(env, "expected layers to have 3 to " + std::to_string(kMaxHidden + 2) +
                        " elements ([inputs, hidden widths..., outputs]) but it has " + std::to_string(nLayers));
    return;
  }
  const int L = static_cast<int>(nLayers) - 2;
  if (!ArgI32(info, 1, "activations", L + 1, 0, ACT_COUNT - 1, acts, nActs)) return;
  if (acts[L] >= ACT_OUTPUT_COUNT) {
    ThrowRange(env, "expected an output activation id in [0, " + std::to_string(ACT_OUTPUT_COUNT - 1) +
                        "] but received " + std::to_string(acts[L]));
    return;
  }
  double *actParams, *X, *Y;
  if (!ArgF64(info, 2, "activationParams", L, true, true, actParams)) return;
  const int nIn = layers[0], nOut = layers[L + 1];
  Rule rule;
  int maxK;
  if (!ArgRule(info, 6, rule)) return;
  const long long D = network_dimension(L, layers);
  const long long S = D * RULE_STATE_BLOCKS[rule.id];
  if (S > kMaxState) {
    ThrowRange(env, "the training state has too many numbers (" + std::to_string(S) + ")");
    return;
  }
  if (!ArgInt(info, 5, "maxK", 0, S, maxK)) return;
  if (!info[3].IsTypedArray() || info[3].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
    ArgF64(info, 3, "X", 0, false, false, X);
    return;
  }
  const size_t xLen = info[3].As<Napi::Float64Array>().ElementLength();
  int N;
  const double samples = static_cast<double>(xLen / static_cast<size_t>(nIn));
  if (samples < 1 || samples > kMaxSamples) {
    ThrowRange(env, "expected between 1 and " + std::to_string(kMaxSamples) + " samples in X but it holds " +
                        std::to_string(static_cast<long long>(samples)));
    return;
  }
  N = static_cast<int>(samples);
  double *state, *Q;
  if (!ArgF64(info, 3, "X", static_cast<size_t>(N) * nIn, true, true, X) ||
      !ArgF64(info, 4, "Y", static_cast<size_t>(N) * nOut, true, true, Y) ||
      !ArgF64(info, 9, "state", static_cast<size_t>(S), true, false, state) ||
      !ArgF64(info, 10, "Q", static_cast<size_t>(S) * maxK, true, false, Q) ||
      !ArgDisjoint(env, "state", state, S, "Q", Q, static_cast<size_t>(S) * maxK))
    return;
  if (info.Length() > 11 && !info[11].IsUndefined() && !ArgInt(info, 11, "threads", 1, kMaxThreads, threads_)) return;
  bool sized = false;
  if (!Guarded(env, [&] {
        sized = network_create(net_, L, layers, acts, actParams, acts[L], X, Y, N, maxK, rule);
      }))
    return;
  if (!sized) {
    ThrowRange(env, "the network and data are too large");
    return;
  }
  state_ = Napi::Persistent(info[9].As<Napi::Float64Array>());
  q_ = Napi::Persistent(info[10].As<Napi::Float64Array>());
  alive_ = true;
}

bool NetworkBinding::Alive(Napi::Env env) {
  if (!alive_) ThrowRange(env, "this network has been disposed");
  return alive_;
}

// The constructor checked state and Q once, but the caller keeps them: it may transfer their buffers (detaching them)
// or resize a resizable buffer under them between any two calls. So they are looked up and checked again every time,
// before any kernel touches their memory.
static bool HeldArray(Napi::Env env, const Napi::Reference<Napi::Float64Array>& ref, const char* name, size_t n,
                      double*& data) {
  Napi::Float64Array arr = ref.Value();
  if (n > 0 && arr.ArrayBuffer().IsDetached()) {
    ThrowRange(env, std::string("expected ") + name + " to have " + std::to_string(n) +
                        " elements but its buffer was detached (transferred); create a new network");
    return false;
  }
  if (arr.ElementLength() != n) {
    ThrowRange(env, std::string("expected ") + name + " to have " + std::to_string(n) + " elements but it has " +
                        std::to_string(arr.ElementLength()) + " (its buffer was resized)");
    return false;
  }
  data = arr.Data();
  return true;
}

bool NetworkBinding::Held(Napi::Env env, double*& state, double*& Q) {
  if (!HeldArray(env, state_, "state", static_cast<size_t>(net_.S), state) ||
      !HeldArray(env, q_, "Q", static_cast<size_t>(net_.S) * net_.maxK, Q))
    return false;
  for (int p = 0; p < net_.S; ++p) {
    if (!std::isfinite(state[p])) {
      ThrowRange(env, "expected finite values in state but element " + std::to_string(p) + " is " +
                          std::to_string(state[p]));
      return false;
    }
  }
  return true;
}

Napi::Value NetworkBinding::Loss(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  double *state, *Q;
  if (!Alive(env) || !Held(env, state, Q)) return env.Undefined();
  return Napi::Number::New(env, net_forward(net_, state));
}

// lossGrad(grad: Float64Array(D)) -> loss
Napi::Value NetworkBinding::LossGrad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!Alive(env) || !ArgCount(info, 1, "lossGrad")) return env.Undefined();
  double *grad, *state, *Q;
  if (!ArgF64(info, 0, "grad", net_.D, true, false, grad) || !Held(env, state, Q) ||
      !ArgDisjoint(env, "grad", grad, net_.D, "state", state, net_.S) ||
      !ArgDisjoint(env, "grad", grad, net_.D, "Q", Q, static_cast<size_t>(net_.S) * net_.maxK))
    return env.Undefined();
  const double loss = net_forward(net_, state);
  net_gradient(net_, state, grad);
  return Napi::Number::New(env, loss);
}

// hessian(H: Float64Array(D*D))
Napi::Value NetworkBinding::Hessian(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ThreadScope threads(threads_);
  if (!Alive(env) || !ArgCount(info, 1, "hessian")) return env.Undefined();
  const size_t DD = static_cast<size_t>(net_.D) * net_.D;
  double *H, *state, *Q;
  if (!ArgF64(info, 0, "H", DD, true, false, H) || !Held(env, state, Q) ||
      !ArgDisjoint(env, "H", H, DD, "state", state, net_.S) ||
      !ArgDisjoint(env, "H", H, DD, "Q", Q, static_cast<size_t>(net_.S) * net_.maxK))
    return env.Undefined();
  net_forward(net_, state);
  Guarded(env, [&] { net_hessian(net_, state, H); });
  return env.Undefined();
}

// hvp(V: Float64Array(D*k), k, HV: Float64Array(D*k))
Napi::Value NetworkBinding::Hvp(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ThreadScope threads(threads_);
  if (!Alive(env) || !ArgCount(info, 3, "hvp")) return env.Undefined();
  int k;
  double *V, *HV, *state, *Q;
  if (!ArgInt(info, 1, "k", 1, INT_MAX / net_.D, k)) return env.Undefined();
  const size_t n = static_cast<size_t>(net_.D) * k;
  if (!ArgF64(info, 0, "V", n, false, true, V) || !ArgF64(info, 2, "HV", n, false, false, HV) ||
      !ArgDisjoint(env, "V", V, n, "HV", HV, n) || !Held(env, state, Q) ||
      !ArgDisjoint(env, "HV", HV, n, "state", state, net_.S) ||
      !ArgDisjoint(env, "HV", HV, n, "Q", Q, static_cast<size_t>(net_.S) * net_.maxK))
    return env.Undefined();
  net_forward(net_, state);
  net_hvp(net_, state, V, k, HV);
  return env.Undefined();
}

// tangentApply(k, route, t, batch: Int32Array | null): Q[:, :k] <- J_t Q[:, :k], the rule's tangent at the current
// state and time t, on the samples of batch (all when null).
Napi::Value NetworkBinding::TangentApply(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ThreadScope threads(threads_);
  if (!Alive(env) || !ArgCount(info, 4, "tangentApply")) return env.Undefined();
  int k, route, t;
  const int* batch;
  size_t nBatch;
  if (!ArgInt(info, 0, "k", 0, net_.maxK, k) || !ArgInt(info, 1, "route", ROUTE_AUTO, ROUTE_COUNT - 1, route) ||
      !ArgInt(info, 2, "t", 0, INT_MAX, t) || !ArgI32(info, 3, "batch", -1, 0, net_.N - 1, batch, nBatch, true))
    return env.Undefined();
  const bool hasBatch = !info[3].IsNull() && !info[3].IsUndefined();
  if (hasBatch && (nBatch < 1 || nBatch > static_cast<size_t>(net_.N))) {
    ThrowRange(env, "expected batch to hold 1 to " + std::to_string(net_.N) + " samples but it holds " +
                        std::to_string(nBatch));
    return env.Undefined();
  }
  double *state, *Q;
  if (!Held(env, state, Q)) return env.Undefined();
  if (hasBatch) network_use_batch(net_, batch, static_cast<int>(nBatch));
  net_forward(net_, state);
  net_gradient(net_, state, net_.grad.data());
  Guarded(env, [&] { tangent_apply(net_, state, net_.grad.data(), t, Q, k, route); });
  network_use_all(net_);
  return env.Undefined();
}

// trainChunk(k, nSteps, qrEvery, route, t0, batchIndices | null, batchOffsets | null, lossOut, logRDiag,
//            rOut | null) -> { steps, diverged, reason }
Napi::Value NetworkBinding::TrainChunk(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ThreadScope threads(threads_);
  if (!Alive(env) || !ArgCount(info, 10, "trainChunk")) return env.Undefined();
  ChunkArgs a;
  if (!ArgChunk(info, net_.maxK, net_.N, ROUTE_AUTO, a)) return env.Undefined();
  const size_t nQr = a.k > 0 ? static_cast<size_t>(a.nSteps / a.qrEvery) : 0;
  const size_t nLogR = nQr * a.k, nR = nQr * a.k * a.k;
  double *state, *Q;
  if (!ArgF64(info, 7, "lossOut", a.nSteps, false, false, a.lossOut) ||
      !ArgF64(info, 8, "logRDiag", nLogR, false, false, a.logRDiag) ||
      !ArgF64(info, 9, "rOut", nR, false, false, a.rOut, true) || !Held(env, state, Q))
    return env.Undefined();
  const size_t nQ = static_cast<size_t>(net_.S) * net_.maxK;
  const struct { const char* name; const double* p; size_t n; } arrays[] = {
      {"lossOut", a.lossOut, static_cast<size_t>(a.nSteps)}, {"logRDiag", a.logRDiag, nLogR},
      {"rOut", a.rOut, nR}, {"state", state, static_cast<size_t>(net_.S)}, {"Q", Q, nQ}};
  for (size_t i = 0; i < 5; ++i)
    for (size_t j = i + 1; j < 5; ++j)
      if (!ArgDisjoint(env, arrays[i].name, arrays[i].p, arrays[i].n, arrays[j].name, arrays[j].p, arrays[j].n))
        return env.Undefined();
  for (size_t p = 0; p < static_cast<size_t>(net_.S) * a.k; ++p) {
    if (!std::isfinite(Q[p])) {
      ThrowRange(env, "expected finite values in Q but element " + std::to_string(p) + " is " + std::to_string(Q[p]));
      return env.Undefined();
    }
  }
  ChunkStatus st{0, CHUNK_OK};
  if (!Guarded(env, [&] { st = train_chunk(net_, state, Q, a); })) return env.Undefined();
  Napi::Object out = Napi::Object::New(env);
  out.Set("steps", st.steps);
  out.Set("diverged", st.reason != CHUNK_OK);
  out.Set("reason", st.reason);
  return out;
}

// chooseRoute(k, samples) -> the route auto picks for k vectors on `samples` samples per step (all: N)
Napi::Value NetworkBinding::ChooseRoute(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!Alive(env) || !ArgCount(info, 2, "chooseRoute")) return env.Undefined();
  int k, n;
  if (!ArgInt(info, 0, "k", 0, net_.maxK > 0 ? net_.maxK : net_.S, k) || !ArgInt(info, 1, "samples", 1, net_.N, n))
    return env.Undefined();
  return Napi::Number::New(env, tangent_choose_route(net_, k, n));
}

Napi::Value NetworkBinding::Dispose(const Napi::CallbackInfo& info) {
  if (alive_) {
    net_ = Network();
    state_.Reset();
    q_.Reset();
    alive_ = false;
  }
  return info.Env().Undefined();
}

}  // namespace wd
