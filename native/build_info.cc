// How this binary was compiled, from the compiler's own predefined macros and the definitions CMakeLists.txt passes
// (WEIGHTDYN_PORTABLE_BUILD, WEIGHTDYN_MARCH_NATIVE, WEIGHTDYN_EIGEN_VERSION). `weightdyn doctor` prints it and
// compares the instruction-set extensions the compiler targeted with the ones the CPU reports.
#include "build_info.h"

#include "kernels/dense.h"

namespace wd {

Napi::Object BuildInfo(Napi::Env env) {
  Napi::Object info = Napi::Object::New(env);
#ifdef WEIGHTDYN_HAVE_EIGEN
  info.Set("eigen", true);
#ifdef WEIGHTDYN_EIGEN_VERSION
  info.Set("eigenVersion", WEIGHTDYN_EIGEN_VERSION);
#endif
#else
  info.Set("eigen", false);
#endif
#if defined(WEIGHTDYN_PORTABLE_BUILD) && WEIGHTDYN_PORTABLE_BUILD
  info.Set("portable", true);
#else
  info.Set("portable", false);
#endif
#ifdef WEIGHTDYN_MARCH_NATIVE
  info.Set("marchNative", true);
#else
  info.Set("marchNative", false);
#endif
#ifdef __VERSION__
#if defined(__clang__) || !defined(__GNUC__)
  info.Set("compiler", __VERSION__);
#else
  info.Set("compiler", "GCC " __VERSION__);
#endif
#endif
#ifdef _OPENMP
  info.Set("openmp", true);
#else
  info.Set("openmp", false);
#endif
  // Most threads one network's dense kernels can use (dense.h).
  info.Set("maxThreads", static_cast<double>(dense_max_threads()));
  info.Set("napiVersion", static_cast<double>(NAPI_VERSION));
  // Extensions the compiler was allowed to use (x86-64; empty elsewhere), in /proc/cpuinfo's spelling.
  Napi::Array features = Napi::Array::New(env);
  uint32_t n = 0;
#ifdef __SSE4_2__
  features.Set(n++, "sse4_2");
#endif
#ifdef __AVX__
  features.Set(n++, "avx");
#endif
#ifdef __AVX2__
  features.Set(n++, "avx2");
#endif
#ifdef __FMA__
  features.Set(n++, "fma");
#endif
#ifdef __AVX512F__
  features.Set(n++, "avx512f");
#endif
  info.Set("targetFeatures", features);
  return info;
}

}  // namespace wd
