// Argument guards for the bindings: every exported function re-checks its arguments (better-sqlite3 style), so a
// caller that bypasses the TypeScript layer gets a JavaScript error naming the argument, never a crash.
#pragma once
#include <napi.h>

#include <new>
#include <string>

#include "kernels/lyapunov.h"
#include "kernels/rule.h"

namespace wd {

// The bindings' size limits (one place for the network and the ensemble bindings): a layer width, the samples of X,
// the numbers of a training state, hidden layers, threads.
constexpr long long kMaxWidth = 1 << 20;
constexpr long long kMaxSamples = 1 << 26;
constexpr long long kMaxState = 1 << 24;
constexpr int kMaxHidden = 64;
constexpr int kMaxThreads = 1024;

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
// An Int32Array of exactly `length` elements (any length when length < 0), each in [lo, hi]. With allowNull,
// null/undefined give data = nullptr and n = 0.
bool ArgI32(const Napi::CallbackInfo& info, size_t i, const char* name, long long length, int lo, int hi,
            const int*& data, size_t& n, bool allowNull = false);
// An update rule from three arguments at i, i+1, i+2: its id (tables.h RuleId), the learning rate eta > 0, and a
// Float64Array of exactly the rule's parameter count, each in its range (tables.h RULE_PARAMS).
bool ArgRule(const Napi::CallbackInfo& info, size_t i, Rule& rule);
// Minibatches of a call: idx (Int32Array, samples in [0, N)) and off (Int32Array of nSteps + 1 offsets into idx, from
// 0 to idx.length, each batch of 1 to N samples), or both null (every step on all samples).
bool ArgBatches(const Napi::CallbackInfo& info, size_t iIdx, size_t iOff, int N, int nSteps, const int*& idx,
                const int*& off);
// The leading arguments of trainChunk (both bindings): k in [0, maxK], nSteps >= 1, qrEvery >= 1 (nSteps a multiple
// of it when k > 0), route in [routeMin, ROUTE_COUNT), t0 an integer in [0, 2^53], then the minibatches (ArgBatches
// at 5 and 6, samples in [0, N)), into a.
bool ArgChunk(const Napi::CallbackInfo& info, int maxK, int N, int routeMin, ChunkArgs& a);
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
