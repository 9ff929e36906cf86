// Activation functions with their first and second derivatives, f, f', f''.
// Twin: native/kernels/activations.h (same ids, same formulas). Ids from tables.ts (src/backend/tables.ts).
// f'' enters the exact Hessian: hidden f'' in the diagonal hidden blocks, output f'' in the Gauss-Newton weights.
//
// native's activation_eval returns f, f', f'' through references; here through the three globals act_f, act_d1,
// act_d2 (WebAssembly globals: no memory traffic), which the caller reads right after the call.

import {
  ACT_ELU,
  ACT_GELU,
  ACT_IDENTITY,
  ACT_LEAKY_RELU,
  ACT_RELU,
  ACT_SIGMOID,
  ACT_SILU,
  ACT_SIN,
  ACT_SOFTPLUS,
  ACT_TANH,
} from "./tables";

export let act_f: f64 = 0;
export let act_d1: f64 = 0;
export let act_d2: f64 = 0;

// Logistic function, written so that neither branch overflows.
// @ts-ignore: decorator
@inline export function logistic(z: f64): f64 {
  if (z >= 0) return 1.0 / (1.0 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1.0 + e);
}

// tanh in the two regimes of the classic fdlibm s_tanh.c, the algorithm of glibc (and of V8's Math.tanh), so that
// both backends round alike (AssemblyScript's Math.tanh follows musl, whose three regimes differ from glibc's by an
// ulp at ~4% of arguments, and f' = 1 - tanh^2 turns an ulp into a relative error of up to 1e-8 in the tails).
// From tanh(y) = (e^{2y} - 1) / (e^{2y} + 1) = 1 - 2 / (expm1(2y) + 2) = -expm1(-2y) / (expm1(-2y) + 2), y = |x|:
// the first form for y >= 1, the second for y < 1 (no cancellation in either); tanh(x) = x below 2^-55 and +-1
// from 22 on (1 - tanh(22) < 2^-63).
export function tanh_fdlibm(x: f64): f64 {
  const y = Math.abs(x);
  if (!(y < 22.0)) return isNaN(x) ? x + x : copysign<f64>(1.0, x);
  if (y < 2.7755575615628914e-17) return x;
  let t: f64;
  if (y >= 1.0) {
    t = Math.expm1(2.0 * y);
    t = 1.0 - 2.0 / (t + 2.0);
  } else {
    t = Math.expm1(-2.0 * y);
    t = -t / (t + 2.0);
  }
  return copysign<f64>(t, x);
}

// Evaluates activation `id` (with parameter `param`: leaky-relu slope, elu alpha) at z into act_f, act_d1, act_d2.
// relu and leaky-relu use f'(0) = slope side (z > 0 is the active side), f'' = 0 everywhere.
export function activation_eval(id: i32, param: f64, z: f64): void {
  switch (id) {
    case ACT_IDENTITY: {
      act_f = z;
      act_d1 = 1.0;
      act_d2 = 0.0;
      return;
    }
    case ACT_TANH: {
      const t = tanh_fdlibm(z);
      const s = 1.0 - t * t; // sech^2
      act_f = t;
      act_d1 = s;
      act_d2 = -2.0 * t * s;
      return;
    }
    case ACT_SIGMOID: {
      const s = logistic(z);
      const ds = s * (1.0 - s);
      act_f = s;
      act_d1 = ds;
      act_d2 = ds * (1.0 - 2.0 * s);
      return;
    }
    case ACT_RELU: {
      if (z > 0) {
        act_f = z;
        act_d1 = 1.0;
      } else {
        act_f = 0.0;
        act_d1 = 0.0;
      }
      act_d2 = 0.0;
      return;
    }
    case ACT_LEAKY_RELU: {
      if (z > 0) {
        act_f = z;
        act_d1 = 1.0;
      } else {
        act_f = param * z;
        act_d1 = param;
      }
      act_d2 = 0.0;
      return;
    }
    case ACT_ELU: {
      if (z > 0) {
        act_f = z;
        act_d1 = 1.0;
        act_d2 = 0.0;
      } else {
        const e = param * Math.exp(z);
        act_f = e - param;
        act_d1 = e;
        act_d2 = e;
      }
      return;
    }
    case ACT_SOFTPLUS: {
      // log(1 + e^z) = max(z, 0) + log1p(e^{-|z|}); f' = logistic, f'' = logistic'.
      act_f = (z > 0 ? z : 0.0) + Math.log1p(Math.exp(-Math.abs(z)));
      const s = logistic(z);
      act_d1 = s;
      act_d2 = s * (1.0 - s);
      return;
    }
    case ACT_SILU: {
      // z * s(z); f' = s (1 + z (1 - s)); f'' = s (1 - s) (2 + z (1 - 2 s)).
      const s = logistic(z);
      act_f = z * s;
      act_d1 = s * (1.0 + z * (1.0 - s));
      act_d2 = s * (1.0 - s) * (2.0 + z * (1.0 - 2.0 * s));
      return;
    }
    case ACT_GELU: {
      // Tanh form (Hendrycks & Gimpel 2016): 0.5 z (1 + tanh(u)), u = c (z + 0.044715 z^3), c = sqrt(2/pi).
      const c = 0.7978845608028654;
      const a = 0.044715;
      const u = c * (z + a * z * z * z);
      const du = c * (1.0 + 3.0 * a * z * z);
      const ddu = c * 6.0 * a * z;
      const t = tanh_fdlibm(u);
      const s = 1.0 - t * t;
      act_f = 0.5 * z * (1.0 + t);
      act_d1 = 0.5 * (1.0 + t) + 0.5 * z * s * du;
      act_d2 = s * du + 0.5 * z * s * (ddu - 2.0 * t * du * du);
      return;
    }
    case ACT_SIN: {
      act_f = Math.sin(z);
      act_d1 = Math.cos(z);
      act_d2 = -act_f;
      return;
    }
    default: {
      act_f = NaN;
      act_d1 = NaN;
      act_d2 = NaN;
      return;
    }
  }
}

/** Elementwise f, f', f'' of activation `id` at the n values z (binding of native/bind_kernels.cc: activation). */
export function activation(id: i32, param: f64, z: usize, f: usize, d1: usize, d2: usize, n: i32): void {
  for (let p = 0; p < n; ++p) {
    const off = <usize>p << 3;
    activation_eval(id, param, load<f64>(z + off));
    store<f64>(f + off, act_f);
    store<f64>(d1 + off, act_d1);
    store<f64>(d2 + off, act_d2);
  }
}
