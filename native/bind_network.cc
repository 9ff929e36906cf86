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
      !ArgF64(info, 11, "Q", static_cast<size_t>(D) * (maxK > 0 ? maxK : 0), true, false, Q) ||
      !ArgDisjoint(info.Env(), "w", w, static_cast<size_t>(D), "Q", Q, static_cast<size_t>(D) * maxK))
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

// The constructor checked w and Q once, but the caller keeps them: it may transfer their buffers (detaching them) or
// resize a resizable buffer under them between any two calls. So they are looked up and checked again every time,
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

bool NetworkBinding::Held(Napi::Env env, double*& w, double*& Q) {
  if (!alive_) {
    ThrowRange(env, "this network has been disposed");
    return false;
  }
  return HeldArray(env, w_, "w", static_cast<size_t>(net_.D), w) &&
         HeldArray(env, q_, "Q", static_cast<size_t>(net_.D) * net_.maxK, Q);
}

bool NetworkBinding::FiniteWeights(Napi::Env env, const double* w) {
  for (int p = 0; p < net_.D; ++p) {
    if (!std::isfinite(w[p])) {
      ThrowRange(env, "expected finite values in w but element " + std::to_string(p) + " is " + std::to_string(w[p]));
      return false;
    }
  }
  return true;
}

Napi::Value NetworkBinding::Loss(const Napi::CallbackInfo& info) {
  double *w, *Q;
  if (!Held(info.Env(), w, Q) || !FiniteWeights(info.Env(), w)) return info.Env().Undefined();
  return Napi::Number::New(info.Env(), mlp_forward(net_, w));
}

// lossGrad(grad: Float64Array(D)) -> loss
Napi::Value NetworkBinding::LossGrad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  double *w, *Q, *grad;
  if (!Held(env, w, Q) || !ArgCount(info, 1, "lossGrad")) return env.Undefined();
  if (!ArgF64(info, 0, "grad", net_.D, true, false, grad) || !ArgDisjoint(env, "grad", grad, net_.D, "w", w, net_.D) ||
      !ArgDisjoint(env, "grad", grad, net_.D, "Q", Q, static_cast<size_t>(net_.D) * net_.maxK) ||
      !FiniteWeights(env, w))
    return env.Undefined();
  const double loss = mlp_forward(net_, w);
  mlp_gradient(net_, w, grad);
  return Napi::Number::New(env, loss);
}

// hessian(H: Float64Array(D*D))
Napi::Value NetworkBinding::Hessian(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  double *w, *Q, *H;
  if (!Held(env, w, Q) || !ArgCount(info, 1, "hessian")) return env.Undefined();
  const size_t DD = static_cast<size_t>(net_.D) * net_.D;
  if (!ArgF64(info, 0, "H", DD, true, false, H) || !ArgDisjoint(env, "H", H, DD, "w", w, net_.D) ||
      !ArgDisjoint(env, "H", H, DD, "Q", Q, static_cast<size_t>(net_.D) * net_.maxK) || !FiniteWeights(env, w))
    return env.Undefined();
  mlp_forward(net_, w);
  Guarded(env, [&] { hessian_explicit(net_, w, H); });
  return env.Undefined();
}

// hvp(V: Float64Array(D*k), k, HV: Float64Array(D*k))
Napi::Value NetworkBinding::Hvp(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  double *w, *Q;
  if (!Held(env, w, Q) || !ArgCount(info, 3, "hvp")) return env.Undefined();
  int k;
  double *V, *HV;
  if (!ArgInt(info, 1, "k", 1, INT_MAX / net_.D, k) ||
      !ArgF64(info, 0, "V", static_cast<size_t>(net_.D) * k, false, true, V) ||
      !ArgF64(info, 2, "HV", static_cast<size_t>(net_.D) * k, false, false, HV))
    return env.Undefined();
  const size_t n = static_cast<size_t>(net_.D) * k;
  if (!ArgDisjoint(env, "V", V, n, "HV", HV, n) || !ArgDisjoint(env, "HV", HV, n, "w", w, net_.D) ||
      !ArgDisjoint(env, "HV", HV, n, "Q", Q, static_cast<size_t>(net_.D) * net_.maxK) || !FiniteWeights(env, w))
    return env.Undefined();
  mlp_forward(net_, w);
  hvp_batch(net_, w, V, k, HV);
  return env.Undefined();
}

// tangentApply(eta, k, route): Q[:, :k] <- (I - eta H(w)) Q[:, :k]
Napi::Value NetworkBinding::TangentApply(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  double *w, *Q;
  if (!Held(env, w, Q) || !ArgCount(info, 3, "tangentApply")) return env.Undefined();
  double eta;
  int k, route;
  if (!ArgFinite(info, 0, "eta", true, eta) || !ArgInt(info, 1, "k", 0, net_.maxK, k) ||
      !ArgInt(info, 2, "route", ROUTE_AUTO, ROUTE_FACTORED, route) || !FiniteWeights(env, w))
    return env.Undefined();
  mlp_forward(net_, w);
  Guarded(env, [&] { tangent_apply(net_, w, eta, Q, k, route); });
  return env.Undefined();
}

// trainChunk(eta, k, nSteps, qrEvery, route, lossOut, logRDiag, rOut | null) -> { steps, diverged, reason }
Napi::Value NetworkBinding::TrainChunk(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  double *w, *Q;
  if (!Held(env, w, Q) || !ArgCount(info, 8, "trainChunk")) return env.Undefined();
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
  // Every output apart from the state and from each other: the kernel writes them while it reads w and Q.
  const size_t nD = static_cast<size_t>(net_.D), nQ = nD * net_.maxK, nLoss = nSteps, nLogR = nQr * k,
               nR = nQr * k * k;
  if (!ArgDisjoint(env, "lossOut", lossOut, nLoss, "logRDiag", logR, nLogR) ||
      !ArgDisjoint(env, "lossOut", lossOut, nLoss, "rOut", rOut, nR) ||
      !ArgDisjoint(env, "logRDiag", logR, nLogR, "rOut", rOut, nR) ||
      !ArgDisjoint(env, "lossOut", lossOut, nLoss, "w", w, nD) || !ArgDisjoint(env, "lossOut", lossOut, nLoss, "Q", Q, nQ) ||
      !ArgDisjoint(env, "logRDiag", logR, nLogR, "w", w, nD) || !ArgDisjoint(env, "logRDiag", logR, nLogR, "Q", Q, nQ) ||
      !ArgDisjoint(env, "rOut", rOut, nR, "w", w, nD) || !ArgDisjoint(env, "rOut", rOut, nR, "Q", Q, nQ) ||
      !FiniteWeights(env, w))
    return env.Undefined();
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
  double *w, *Q;
  if (!Held(env, w, Q) || !ArgCount(info, 1, "chooseRoute")) return env.Undefined();
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
