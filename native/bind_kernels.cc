// Bindings of the stateless kernels: activation evaluation and QR. Convert, validate, call; no maths.
#include "bind_kernels.h"

#include <climits>
#include <cmath>
#include <vector>

#include "args.h"
#include "kernels/activations.h"
#include "kernels/qr.h"
#include "kernels/rule.h"

namespace wd {

// activation(id, param, z, f, d1, d2): elementwise f, f', f'' of activation `id` at z.
Napi::Value BindActivation(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ArgCount(info, 6, "activation")) return env.Undefined();
  int id;
  double param;
  double *z, *f, *d1, *d2;
  if (!ArgInt(info, 0, "id", 0, ACT_COUNT - 1, id) || !ArgFinite(info, 1, "param", false, param) ||
      !ArgF64(info, 2, "z", 0, false, false, z))
    return env.Undefined();
  const size_t n = info[2].As<Napi::Float64Array>().ElementLength();
  if (!ArgF64(info, 2, "z", n, true, true, z) || !ArgF64(info, 3, "f", n, true, false, f) || !ArgF64(info, 4, "d1", n, true, false, d1) ||
      !ArgF64(info, 5, "d2", n, true, false, d2))
    return env.Undefined();
  // The outputs apart from each other and from z (one of them written over z would be read back as an input).
  const double* all[4] = {z, f, d1, d2};
  const char* names[4] = {"z", "f", "d1", "d2"};
  for (int a = 0; a < 4; ++a)
    for (int b = a + 1; b < 4; ++b)
      if (!ArgDisjoint(env, names[a], all[a], n, names[b], all[b], n)) return env.Undefined();
  for (size_t p = 0; p < n; ++p) activation_eval(id, param, z[p], f[p], d1[p], d2[p]);
  return env.Undefined();
}

// qrPositive(A, D, k, R, logRDiag)
Napi::Value BindQrPositive(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ArgCount(info, 5, "qrPositive")) return env.Undefined();
  int D, k;
  double *A, *R, *logR;
  if (!ArgInt(info, 1, "D", 1, 1 << 24, D) || !ArgInt(info, 2, "k", 1, D, k)) return env.Undefined();
  if (static_cast<long long>(D) * k > INT_MAX) {
    ThrowRange(env, "D * k is too large");
    return env.Undefined();
  }
  if (!ArgF64(info, 0, "A", static_cast<size_t>(D) * k, false, true, A) ||
      !ArgF64(info, 3, "R", static_cast<size_t>(k) * k, false, false, R) ||
      !ArgF64(info, 4, "logRDiag", k, false, false, logR) ||
      !ArgDisjoint(env, "A", A, static_cast<size_t>(D) * k, "R", R, static_cast<size_t>(k) * k) ||
      !ArgDisjoint(env, "A", A, static_cast<size_t>(D) * k, "logRDiag", logR, k) ||
      !ArgDisjoint(env, "R", R, static_cast<size_t>(k) * k, "logRDiag", logR, k))
    return env.Undefined();
  std::vector<double> tau(k);
  qr_positive(A, D, k, R, logR, tau.data());
  return env.Undefined();
}

namespace {
// The step index t: an integer in [0, 2^53].
bool ArgStep(const Napi::CallbackInfo& info, size_t i, long long& t) {
  double v;
  if (!ArgFinite(info, i, "t", false, v)) return false;
  if (v < 0 || std::floor(v) != v || v > 9007199254740992.0) {
    ThrowRange(info.Env(), "expected an integer in [0, 2^53] for t but received " + std::to_string(v));
    return false;
  }
  t = static_cast<long long>(v);
  return true;
}
}  // namespace

// ruleStep(rule, eta, ruleParams, D, state, g, t): state <- f(state) for step t given g = grad C(w).
Napi::Value BindRuleStep(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ArgCount(info, 7, "ruleStep")) return env.Undefined();
  Rule rule;
  int D;
  long long t;
  double *state, *g;
  if (!ArgRule(info, 0, rule) || !ArgInt(info, 3, "D", 1, (1 << 24) / RULE_STATE_BLOCKS[rule.id], D)) return env.Undefined();
  const size_t S = static_cast<size_t>(D) * RULE_STATE_BLOCKS[rule.id];
  if (!ArgF64(info, 4, "state", S, true, true, state) || !ArgF64(info, 5, "g", D, true, true, g) ||
      !ArgStep(info, 6, t) || !ArgDisjoint(env, "state", state, S, "g", g, D))
    return env.Undefined();
  rule_step(rule, D, state, g, t);
  return env.Undefined();
}

// ruleTangent(rule, eta, ruleParams, D, state, g, t, Q, k, HQ): Q <- J_t Q for k columns given HQ = H dw.
Napi::Value BindRuleTangent(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ArgCount(info, 10, "ruleTangent")) return env.Undefined();
  Rule rule;
  int D, k;
  long long t;
  double *state, *g, *Q, *HQ;
  if (!ArgRule(info, 0, rule) || !ArgInt(info, 3, "D", 1, (1 << 24) / RULE_STATE_BLOCKS[rule.id], D)) return env.Undefined();
  const size_t S = static_cast<size_t>(D) * RULE_STATE_BLOCKS[rule.id];
  if (!ArgF64(info, 4, "state", S, true, true, state) || !ArgF64(info, 5, "g", D, true, true, g) ||
      !ArgStep(info, 6, t) || !ArgInt(info, 8, "k", 1, static_cast<long long>(INT_MAX / S), k) ||
      !ArgF64(info, 7, "Q", S * k, true, true, Q) || !ArgF64(info, 9, "HQ", static_cast<size_t>(D) * k, true, true, HQ) ||
      !ArgDisjoint(env, "Q", Q, S * k, "HQ", HQ, static_cast<size_t>(D) * k) ||
      !ArgDisjoint(env, "Q", Q, S * k, "state", state, S) || !ArgDisjoint(env, "Q", Q, S * k, "g", g, D))
    return env.Undefined();
  rule_tangent(rule, D, state, g, t, Q, k, HQ);
  return env.Undefined();
}

}  // namespace wd
