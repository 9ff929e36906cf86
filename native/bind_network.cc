#include "bind_network.h"

#include <climits>
#include <cmath>

#include "args.h"
#include "kernels/activations.h"
#include "kernels/hessian.h"
#include "kernels/lyapunov.h"
#include "kernels/mlp.h"
#include "kernels/tangent.h"

namespace wd {

namespace {
constexpr long long kMaxWidth = 1 << 20;
constexpr long long kMaxSamples = 1 << 26;
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

// new Network(inputs, hidden, outputs, activation, activationParam, outputActivation, samples, X, Y, maxK, w, Q)
NetworkBinding::NetworkBinding(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NetworkBinding>(info) {
  if (!ArgCount(info, 12, "Network")) return;
  int nIn, nHid, nOut, act, outAct, N, maxK;
  double param;
  if (!ArgInt(info, 0, "inputs", 1, kMaxWidth, nIn) || !ArgInt(info, 1, "hidden", 1, kMaxWidth, nHid) ||
      !ArgInt(info, 2, "outputs", 1, kMaxWidth, nOut) || !ArgInt(info, 3, "activation", 0, ACT_COUNT - 1, act) ||
      !ArgFinite(info, 4, "activationParam", false, param) ||
      !ArgInt(info, 5, "outputActivation", 0, ACT_SIGMOID, outAct) ||
      !ArgInt(info, 6, "samples", 1, kMaxSamples, N))
    return;
  const long long D = network_dimension(nIn, nHid, nOut);
  if (D > (1LL << 24)) {
    ThrowRange(info.Env(), "the network has too many parameters (" + std::to_string(D) + ")");
    return;
  }
  if (!ArgInt(info, 9, "maxK", 0, D, maxK)) return;
  double *X, *Y, *w, *Q;
  if (!ArgF64(info, 7, "X", static_cast<size_t>(N) * nIn, true, true, X) ||
      !ArgF64(info, 8, "Y", static_cast<size_t>(N) * nOut, true, true, Y) ||
      !ArgF64(info, 10, "w", static_cast<size_t>(D), true, false, w) ||
      !ArgF64(info, 11, "Q", static_cast<size_t>(D) * (maxK > 0 ? maxK : 0), true, false, Q))
    return;
  bool sized = false;
  if (!Guarded(info.Env(), [&] { sized = network_create(net_, nIn, nHid, nOut, act, param, outAct, X, Y, N, maxK); }))
    return;
  if (!sized) {
    ThrowRange(info.Env(), "the network and data are too large");
    return;
  }
  w_ = Napi::Persistent(info[10].As<Napi::Float64Array>());
  q_ = Napi::Persistent(info[11].As<Napi::Float64Array>());
  alive_ = true;
}

bool NetworkBinding::Alive(Napi::Env env) {
  if (!alive_) ThrowRange(env, "this network has been disposed");
  return alive_;
}

double* NetworkBinding::Weights(Napi::Env env) {
  double* w = w_.Value().Data();
  for (int p = 0; p < net_.D; ++p) {
    if (!std::isfinite(w[p])) {
      ThrowRange(env, "expected finite values in w but element " + std::to_string(p) + " is " + std::to_string(w[p]));
      return nullptr;
    }
  }
  return w;
}

Napi::Value NetworkBinding::Loss(const Napi::CallbackInfo& info) {
  if (!Alive(info.Env())) return info.Env().Undefined();
  double* w = Weights(info.Env());
  if (!w) return info.Env().Undefined();
  return Napi::Number::New(info.Env(), mlp_forward(net_, w));
}

// lossGrad(grad: Float64Array(D)) -> loss
Napi::Value NetworkBinding::LossGrad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!Alive(env) || !ArgCount(info, 1, "lossGrad")) return env.Undefined();
  double* grad;
  if (!ArgF64(info, 0, "grad", net_.D, true, false, grad)) return env.Undefined();
  double* w = Weights(env);
  if (!w) return env.Undefined();
  const double loss = mlp_forward(net_, w);
  mlp_gradient(net_, w, grad);
  return Napi::Number::New(env, loss);
}

// hessian(H: Float64Array(D*D))
Napi::Value NetworkBinding::Hessian(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!Alive(env) || !ArgCount(info, 1, "hessian")) return env.Undefined();
  double* H;
  if (!ArgF64(info, 0, "H", static_cast<size_t>(net_.D) * net_.D, true, false, H)) return env.Undefined();
  double* w = Weights(env);
  if (!w) return env.Undefined();
  mlp_forward(net_, w);
  Guarded(env, [&] { hessian_explicit(net_, w, H); });
  return env.Undefined();
}

// hvp(V: Float64Array(D*k), k, HV: Float64Array(D*k))
Napi::Value NetworkBinding::Hvp(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!Alive(env) || !ArgCount(info, 3, "hvp")) return env.Undefined();
  int k;
  double *V, *HV;
  if (!ArgInt(info, 1, "k", 1, INT_MAX / net_.D, k) ||
      !ArgF64(info, 0, "V", static_cast<size_t>(net_.D) * k, false, true, V) ||
      !ArgF64(info, 2, "HV", static_cast<size_t>(net_.D) * k, false, false, HV))
    return env.Undefined();
  if (V == HV) {
    ThrowRange(env, "V and HV must not be the same array");
    return env.Undefined();
  }
  double* w = Weights(env);
  if (!w) return env.Undefined();
  mlp_forward(net_, w);
  hvp_batch(net_, w, V, k, HV);
  return env.Undefined();
}

// tangentApply(eta, k, route): Q[:, :k] <- (I - eta H(w)) Q[:, :k]
Napi::Value NetworkBinding::TangentApply(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!Alive(env) || !ArgCount(info, 3, "tangentApply")) return env.Undefined();
  double eta;
  int k, route;
  if (!ArgFinite(info, 0, "eta", true, eta) || !ArgInt(info, 1, "k", 0, net_.maxK, k) ||
      !ArgInt(info, 2, "route", ROUTE_AUTO, ROUTE_FACTORED, route))
    return env.Undefined();
  double* w = Weights(env);
  if (!w) return env.Undefined();
  mlp_forward(net_, w);
  double* Q = q_.Value().Data();
  Guarded(env, [&] { tangent_apply(net_, w, eta, Q, k, route); });
  return env.Undefined();
}

// trainChunk(eta, k, nSteps, qrEvery, route, lossOut, logRDiag, rOut | null) -> { steps, diverged, reason }
Napi::Value NetworkBinding::TrainChunk(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!Alive(env) || !ArgCount(info, 8, "trainChunk")) return env.Undefined();
  double eta;
  int k, nSteps, qrEvery, route;
  if (!ArgFinite(info, 0, "eta", true, eta) || !ArgInt(info, 1, "k", 0, net_.maxK, k) ||
      !ArgInt(info, 2, "nSteps", 1, INT_MAX, nSteps) || !ArgInt(info, 3, "qrEvery", 1, INT_MAX, qrEvery) ||
      !ArgInt(info, 4, "route", ROUTE_AUTO, ROUTE_FACTORED, route))
    return env.Undefined();
  if (k > 0 && nSteps % qrEvery != 0) {
    ThrowRange(env, "nSteps (" + std::to_string(nSteps) + ") must be a multiple of qrEvery (" +
                        std::to_string(qrEvery) + ")");
    return env.Undefined();
  }
  const size_t nQr = k > 0 ? static_cast<size_t>(nSteps / qrEvery) : 0;
  double *lossOut, *logR, *rOut;
  if (!ArgF64(info, 5, "lossOut", nSteps, false, false, lossOut) ||
      !ArgF64(info, 6, "logRDiag", nQr * k, false, false, logR) ||
      !ArgF64(info, 7, "rOut", nQr * k * k, false, false, rOut, true))
    return env.Undefined();
  double* w = Weights(env);
  if (!w) return env.Undefined();
  double* Q = q_.Value().Data();
  for (size_t p = 0; p < static_cast<size_t>(net_.D) * k; ++p) {
    if (!std::isfinite(Q[p])) {
      ThrowRange(env, "expected finite values in Q but element " + std::to_string(p) + " is " + std::to_string(Q[p]));
      return env.Undefined();
    }
  }
  ChunkStatus st{0, CHUNK_OK};
  if (!Guarded(env, [&] { st = train_chunk(net_, w, eta, Q, k, nSteps, qrEvery, route, lossOut, logR, rOut); }))
    return env.Undefined();
  Napi::Object out = Napi::Object::New(env);
  out.Set("steps", st.steps);
  out.Set("diverged", st.reason != CHUNK_OK);
  out.Set("reason", st.reason);
  return out;
}

Napi::Value NetworkBinding::ChooseRoute(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!Alive(env) || !ArgCount(info, 1, "chooseRoute")) return env.Undefined();
  int k;
  if (!ArgInt(info, 0, "k", 0, net_.maxK > 0 ? net_.maxK : net_.D, k)) return env.Undefined();
  return Napi::Number::New(env, tangent_choose_route(net_, k));
}

Napi::Value NetworkBinding::Dispose(const Napi::CallbackInfo& info) {
  if (alive_) {
    net_ = Network();
    w_.Reset();
    q_.Reset();
    alive_ = false;
  }
  return info.Env().Undefined();
}

}  // namespace wd
