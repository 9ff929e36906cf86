#include "args.h"

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

}  // namespace wd
