// Argument guards for the bindings: every exported function re-checks its arguments (better-sqlite3 style), so a
// caller that bypasses the TypeScript layer gets a JavaScript error naming the argument, never a crash.
#pragma once
#include <napi.h>

#include <new>
#include <string>

namespace wd {

// Each guard throws a JavaScript TypeError/RangeError and returns false on failure; callers return at once.
bool ArgCount(const Napi::CallbackInfo& info, size_t n, const char* fn);
// An integer in [lo, hi].
bool ArgInt(const Napi::CallbackInfo& info, size_t i, const char* name, long long lo, long long hi, int& out);
// A finite number; with positive, also > 0.
bool ArgFinite(const Napi::CallbackInfo& info, size_t i, const char* name, bool positive, double& out);
// A Float64Array with at least minLength elements (exactly, when exact); with finite, all of its first minLength
// elements must be finite. With allowNull, null/undefined give data = nullptr.
bool ArgF64(const Napi::CallbackInfo& info, size_t i, const char* name, size_t minLength, bool exact, bool finite,
            double*& data, bool allowNull = false);
// Throws a RangeError with the message.
void ThrowRange(Napi::Env env, const std::string& msg);
// True when the first na doubles at a and the first nb doubles at b share no byte of memory (so also two views of one
// ArrayBuffer at different offsets, or of one SharedArrayBuffer); otherwise throws "<a> and <b> must not overlap".
// A kernel that reads one while writing the other would give a wrong answer without an error.
bool ArgDisjoint(Napi::Env env, const char* nameA, const double* a, size_t na, const char* nameB, const double* b,
                 size_t nb);

// Runs a kernel call that may allocate (workspaces are sized on first use); an allocation failure becomes a
// JavaScript RangeError instead of terminating the process.
template <typename F>
bool Guarded(Napi::Env env, F&& call) {
  try {
    call();
    return true;
  } catch (const std::bad_alloc&) {
    ThrowRange(env, "out of memory: the network and data are too large for this machine");
    return false;
  }
}

}  // namespace wd
