// Activation functions with their first and second derivatives, f, f', f''.
// Twin: assembly/activations.ts (same ids, same formulas). Ids from tables.h (src/backend/tables.ts).
// f'' enters the exact Hessian: hidden f'' in the diagonal hidden blocks, output f'' in the Gauss-Newton weights.
#pragma once
#include <cmath>

#include "tables.h"

namespace wd {

// Logistic function, written so that neither branch overflows.
inline double logistic(double z) {
  if (z >= 0) return 1.0 / (1.0 + std::exp(-z));
  const double e = std::exp(z);
  return e / (1.0 + e);
}

// Evaluates activation `id` (with parameter `param`: leaky-relu slope, elu alpha) at z.
// relu and leaky-relu use f'(0) = slope side (z > 0 is the active side), f'' = 0 everywhere.
inline void activation_eval(int id, double param, double z, double& f, double& d1, double& d2) {
  switch (id) {
    case ACT_IDENTITY:
      f = z; d1 = 1.0; d2 = 0.0;
      return;
    case ACT_TANH: {
      const double t = std::tanh(z);
      const double s = 1.0 - t * t;  // sech^2
      f = t; d1 = s; d2 = -2.0 * t * s;
      return;
    }
    case ACT_SIGMOID: {
      const double s = logistic(z);
      const double ds = s * (1.0 - s);
      f = s; d1 = ds; d2 = ds * (1.0 - 2.0 * s);
      return;
    }
    case ACT_RELU:
      if (z > 0) { f = z; d1 = 1.0; } else { f = 0.0; d1 = 0.0; }
      d2 = 0.0;
      return;
    case ACT_LEAKY_RELU:
      if (z > 0) { f = z; d1 = 1.0; } else { f = param * z; d1 = param; }
      d2 = 0.0;
      return;
    case ACT_ELU:
      if (z > 0) { f = z; d1 = 1.0; d2 = 0.0; }
      else { const double e = param * std::exp(z); f = e - param; d1 = e; d2 = e; }
      return;
    case ACT_SOFTPLUS: {
      // log(1 + e^z) = max(z, 0) + log1p(e^{-|z|}); f' = logistic, f'' = logistic'.
      f = (z > 0 ? z : 0.0) + std::log1p(std::exp(-std::fabs(z)));
      const double s = logistic(z);
      d1 = s; d2 = s * (1.0 - s);
      return;
    }
    case ACT_SILU: {
      // z * s(z); f' = s (1 + z (1 - s)); f'' = s (1 - s) (2 + z (1 - 2 s)).
      const double s = logistic(z);
      f = z * s;
      d1 = s * (1.0 + z * (1.0 - s));
      d2 = s * (1.0 - s) * (2.0 + z * (1.0 - 2.0 * s));
      return;
    }
    case ACT_GELU: {
      // Tanh form (Hendrycks & Gimpel 2016): 0.5 z (1 + tanh(u)), u = c (z + 0.044715 z^3), c = sqrt(2/pi).
      const double c = 0.7978845608028654, a = 0.044715;
      const double u = c * (z + a * z * z * z);
      const double du = c * (1.0 + 3.0 * a * z * z);
      const double ddu = c * 6.0 * a * z;
      const double t = std::tanh(u);
      const double s = 1.0 - t * t;
      f = 0.5 * z * (1.0 + t);
      d1 = 0.5 * (1.0 + t) + 0.5 * z * s * du;
      d2 = s * du + 0.5 * z * s * (ddu - 2.0 * t * du * du);
      return;
    }
    case ACT_SIN:
      f = std::sin(z); d1 = std::cos(z); d2 = -f;
      return;
    default:
      f = d1 = d2 = NAN;
      return;
  }
}

}  // namespace wd
