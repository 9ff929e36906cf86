#include "args.h"

#include <climits>
#include <cmath>
#include <cstdint>

namespace wd {

void ThrowRange(Napi::Env env, const std::string& msg) {
  Napi::RangeError::New(env, "weightdyn: " + msg).ThrowAsJavaScriptException();
}

static void ThrowType(Napi::Env env, const std::string& msg) {
  Napi::TypeError::New(env, "weightdyn: " + msg).ThrowAsJavaScriptException();
}

bool ArgCount(const Napi::CallbackInfo& info, size_t n, const char* fn) {
  if (info.Length() < n) {
    ThrowType(info.Env(), std::string(fn) + " expects " + std::to_string(n) + " arguments but received " +
                              std::to_string(info.Length()));
    return false;
  }
  return true;
}

bool ArgInt(const Napi::CallbackInfo& info, size_t i, const char* name, long long lo, long long hi, int& out) {
  if (!info[i].IsNumber()) {
    ThrowType(info.Env(), std::string("expected an integer for ") + name);
    return false;
  }
  const double v = info[i].As<Napi::Number>().DoubleValue();
  if (!std::isfinite(v) || std::floor(v) != v || v < static_cast<double>(lo) || v > static_cast<double>(hi)) {
    ThrowRange(info.Env(), std::string("expected an integer in [") + std::to_string(lo) + ", " + std::to_string(hi) +
                               "] for " + name + " but received " + std::to_string(v));
    return false;
  }
  out = static_cast<int>(v);
  return true;
}

bool ArgFinite(const Napi::CallbackInfo& info, size_t i, const char* name, bool positive, double& out) {
  if (!info[i].IsNumber()) {
    ThrowType(info.Env(), std::string("expected a number for ") + name);
    return false;
  }
  const double v = info[i].As<Napi::Number>().DoubleValue();
  if (!std::isfinite(v) || (positive && !(v > 0))) {
    ThrowRange(info.Env(), std::string("expected a ") + (positive ? "positive " : "") + "finite number for " + name +
                               " but received " + std::to_string(v));
    return false;
  }
  out = v;
  return true;
}

bool ArgF64(const Napi::CallbackInfo& info, size_t i, const char* name, size_t minLength, bool exact, bool finite,
            double*& data, bool allowNull) {
  if (allowNull && (info[i].IsNull() || info[i].IsUndefined())) {
    data = nullptr;
    return true;
  }
  if (!info[i].IsTypedArray() || info[i].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
    ThrowType(info.Env(), std::string("expected a Float64Array for ") + name);
    return false;
  }
  Napi::Float64Array arr = info[i].As<Napi::Float64Array>();
  const size_t len = arr.ElementLength();
  if (exact ? len != minLength : len < minLength) {
    ThrowRange(info.Env(), std::string("expected ") + name + " to have " + (exact ? "" : "at least ") +
                               std::to_string(minLength) + " elements but it has " + std::to_string(len));
    return false;
  }
  data = arr.Data();
  if (finite) {
    for (size_t p = 0; p < minLength; ++p) {
      if (!std::isfinite(data[p])) {
        ThrowRange(info.Env(), std::string("expected finite values in ") + name + " but element " + std::to_string(p) +
                                   " is " + std::to_string(data[p]));
        return false;
      }
    }
  }
  return true;
}

bool ArgRule(const Napi::CallbackInfo& info, size_t i, Rule& rule) {
  double* params;
  if (!ArgInt(info, i, "rule", 0, RULE_COUNT - 1, rule.id) || !ArgFinite(info, i + 1, "eta", true, rule.eta) ||
      !ArgF64(info, i + 2, "ruleParams", RULE_PARAM_COUNT[rule.id], true, true, params))
    return false;
  for (int j = 0; j < RULE_PARAM_COUNT[rule.id]; ++j) {
    const ParamRange& r = RULE_PARAMS[rule.id][j];
    const double x = params[j];
    if (!((r.loOpen ? x > r.lo : x >= r.lo) && (r.hiOpen ? x < r.hi : x <= r.hi))) {
      ThrowRange(info.Env(), std::string("expected ") + r.name + " in " + (r.loOpen ? "(" : "[") + std::to_string(r.lo) +
                                 ", " + std::to_string(r.hi) + (r.hiOpen ? ")" : "]") + " but received " +
                                 std::to_string(x));
      return false;
    }
    rule.p[j] = x;
  }
  return true;
}

bool ArgDisjoint(Napi::Env env, const char* nameA, const double* a, size_t na, const char* nameB, const double* b,
                 size_t nb) {
  if (a == nullptr || b == nullptr || na == 0 || nb == 0) return true;
  // Compared as addresses: views of one buffer, and buffers sharing a backing store, overlap exactly when these do.
  const auto a0 = reinterpret_cast<std::uintptr_t>(a), b0 = reinterpret_cast<std::uintptr_t>(b);
  if (a0 < b0 + nb * sizeof(double) && b0 < a0 + na * sizeof(double)) {
    ThrowRange(env, std::string(nameA) + " and " + nameB + " must not overlap (they share memory)");
    return false;
  }
  return true;
}

bool ArgI32(const Napi::CallbackInfo& info, size_t i, const char* name, long long length, int lo, int hi,
            const int*& data, size_t& n, bool allowNull) {
  if (allowNull && (info[i].IsNull() || info[i].IsUndefined())) {
    data = nullptr;
    n = 0;
    return true;
  }
  if (!info[i].IsTypedArray() || info[i].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    ThrowType(info.Env(), std::string("expected an Int32Array for ") + name);
    return false;
  }
  Napi::Int32Array arr = info[i].As<Napi::Int32Array>();
  n = arr.ElementLength();
  if (length >= 0 && n != static_cast<size_t>(length)) {
    ThrowRange(info.Env(), std::string("expected ") + name + " to have " + std::to_string(length) +
                               " elements but it has " + std::to_string(n));
    return false;
  }
  data = arr.Data();
  for (size_t p = 0; p < n; ++p) {
    if (data[p] < lo || data[p] > hi) {
      ThrowRange(info.Env(), std::string("expected integers in [") + std::to_string(lo) + ", " + std::to_string(hi) +
                                 "] in " + name + " but element " + std::to_string(p) + " is " +
                                 std::to_string(data[p]));
      return false;
    }
  }
  return true;
}

// Minibatches of a call: idx (Int32Array, samples in [0, N)) and off (Int32Array of nSteps + 1 offsets into idx,
// from 0 to idx.length, each batch of 1 to N samples), or both null (every step on all samples).
bool ArgBatches(const Napi::CallbackInfo& info, size_t iIdx, size_t iOff, int N, int nSteps, const int*& idx,
                const int*& off) {
  size_t nIdx = 0, nOff = 0;
  const bool hasIdx = !info[iIdx].IsNull() && !info[iIdx].IsUndefined();
  const bool hasOff = !info[iOff].IsNull() && !info[iOff].IsUndefined();
  if (!ArgI32(info, iIdx, "batchIndices", -1, 0, N - 1, idx, nIdx, true) ||
      !ArgI32(info, iOff, "batchOffsets", static_cast<long long>(nSteps) + 1, 0, INT_MAX, off, nOff, true))
    return false;
  if (hasIdx != hasOff) {
    ThrowRange(info.Env(), "batchIndices and batchOffsets must both be given or both be null");
    return false;
  }
  if (!hasIdx) {
    idx = off = nullptr;
    return true;
  }
  if (off[0] != 0 || static_cast<size_t>(off[nSteps]) != nIdx) {
    ThrowRange(info.Env(), "expected batchOffsets to run from 0 to the length of batchIndices (" +
                               std::to_string(nIdx) + ")");
    return false;
  }
  for (int t = 0; t < nSteps; ++t) {
    const int n = off[t + 1] - off[t];
    if (n < 1 || n > N) {
      ThrowRange(info.Env(), "expected every batch to hold 1 to " + std::to_string(N) + " samples but batch " +
                                 std::to_string(t) + " holds " + std::to_string(n));
      return false;
    }
  }
  return true;
}

bool ArgChunk(const Napi::CallbackInfo& info, int maxK, int N, int routeMin, ChunkArgs& a) {
  Napi::Env env = info.Env();
  double t0;
  if (!ArgInt(info, 0, "k", 0, maxK, a.k) || !ArgInt(info, 1, "nSteps", 1, INT_MAX, a.nSteps) ||
      !ArgInt(info, 2, "qrEvery", 1, INT_MAX, a.qrEvery) ||
      !ArgInt(info, 3, "route", routeMin, ROUTE_COUNT - 1, a.route) || !ArgFinite(info, 4, "t0", false, t0))
    return false;
  if (t0 < 0 || std::floor(t0) != t0 || t0 > 9007199254740992.0) {
    ThrowRange(env, "expected an integer in [0, 2^53] for t0 but received " + std::to_string(t0));
    return false;
  }
  a.t0 = static_cast<long long>(t0);
  if (a.k > 0 && a.nSteps % a.qrEvery != 0) {
    ThrowRange(env, "nSteps (" + std::to_string(a.nSteps) + ") must be a multiple of qrEvery (" +
                        std::to_string(a.qrEvery) + ")");
    return false;
  }
  return ArgBatches(info, 5, 6, N, a.nSteps, a.batchIdx, a.batchOff);
}

}  // namespace wd
