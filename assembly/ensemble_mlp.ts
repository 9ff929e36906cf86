// Forward pass, loss and gradient of every run of an ensemble (ensemble.ts), lane by lane in the order of mlp.ts, so
// each lane computes what mlp_forward / mlp_gradient compute for that run alone (up to the few ulps by which the
// vectorised exp and tanh of vecmath.ts differ from the libm). Twin: native/kernels/ensemble_mlp.{h,cc}; each native
// `lanes` value is the pair (x0, x1) of f64x2 halves here (lanes.ts).
import { act_d1, act_d2, act_f, activation_eval } from "./activations";
import { Ensemble } from "./ensemble";
import { add2, f64At, ld0, ld1, lv, splat, st2, vadd, vmul, vsel, vsub, zero_lanes } from "./lanes";
import {
  ACT_ELU,
  ACT_GELU,
  ACT_IDENTITY,
  ACT_LEAKY_RELU,
  ACT_RELU,
  ACT_SIGMOID,
  ACT_SILU,
  ACT_TANH,
} from "./tables";
import { exp_lanes, logistic_lanes, tanh_lanes } from "./vecmath";

// f, f', f'' of two lane-vectors at z, to f, d1, d2: each activation's formulas of activations.ts with the functions
// of vecmath.ts, which leave their results in memory (f itself, or d1 / d2 as scratch before their final values),
// then the formulas for each of the four halves (k: its byte offset). f may be z, so a half of z is read before the
// same half of f is written.

// @ts-ignore: decorator
@inline function tanh_half(f: usize, d1: usize, d2: usize, k: usize): void {
  const t = v128.load(f + k);
  const s = vsub(splat(1.0), vmul(t, t));
  v128.store(d1 + k, s);
  v128.store(d2 + k, vmul(vmul(splat(-2.0), t), s));
}

// @ts-ignore: decorator
@inline function sigmoid_half(f: usize, d1: usize, d2: usize, k: usize): void {
  const one = splat(1.0);
  const s = v128.load(f + k);
  const ds = vmul(s, vsub(one, s));
  v128.store(d1 + k, ds);
  v128.store(d2 + k, vmul(ds, vsub(one, vmul(splat(2.0), s))));
}

// d2 holds e^(x > 0 ? 0 : x).
// @ts-ignore: decorator
@inline function elu_half(alpha: v128, z: usize, f: usize, d1: usize, d2: usize, k: usize): void {
  const x = v128.load(z + k);
  const on = f64x2.gt(x, splat(0.0));
  const e = vmul(alpha, v128.load(d2 + k));
  v128.store(f + k, vsel(on, x, vsub(e, alpha)));
  v128.store(d1 + k, vsel(on, splat(1.0), e));
  v128.store(d2 + k, vsel(on, splat(0.0), e));
}

// d1 holds the logistic function of x.
// @ts-ignore: decorator
@inline function silu_half(z: usize, f: usize, d1: usize, d2: usize, k: usize): void {
  const one = splat(1.0);
  const x = v128.load(z + k);
  const s = v128.load(d1 + k);
  const oms = vsub(one, s);
  v128.store(f + k, vmul(x, s));
  v128.store(d1 + k, vmul(s, vadd(one, vmul(x, oms))));
  v128.store(d2 + k, vmul(vmul(s, oms), vadd(splat(2.0), vmul(x, vsub(one, vmul(splat(2.0), s))))));
}

const GELU_C: f64 = 0.7978845608028654; // sqrt(2 / pi)
const GELU_A: f64 = 0.044715;

// u = c (x + a x^3), the argument of gelu's tanh, of half k of z to d2.
// @ts-ignore: decorator
@inline function gelu_arg(z: usize, d2: usize, k: usize): void {
  const x = v128.load(z + k);
  v128.store(d2 + k, vmul(splat(GELU_C), vadd(x, vmul(vmul(vmul(splat(GELU_A), x), x), x))));
}

// d2 holds tanh(u).
// @ts-ignore: decorator
@inline function gelu_half(z: usize, f: usize, d1: usize, d2: usize, k: usize): void {
  const one = splat(1.0);
  const x = v128.load(z + k);
  const du = vmul(splat(GELU_C), vadd(one, vmul(vmul(splat(3.0 * GELU_A), x), x)));
  const ddu = vmul(splat(GELU_C * 6.0 * GELU_A), x);
  const t = v128.load(d2 + k);
  const s = vsub(one, vmul(t, t));
  const hx = vmul(splat(0.5), x);
  v128.store(f + k, vmul(hx, vadd(one, t)));
  v128.store(d1 + k, vadd(vmul(splat(0.5), vadd(one, t)), vmul(vmul(hx, s), du)));
  const dd = vsub(ddu, vmul(vmul(vmul(splat(2.0), t), du), du));
  v128.store(d2 + k, vadd(vmul(s, du), vmul(vmul(hx, s), dd)));
}

/**
 * f, f', f'' of activation `id` at `count` lane-vectors of z (f may be z itself), with the formulas of
 * activations.ts and the vectorised exp, tanh and logistic function of vecmath.ts: one switch, then one loop over the
 * block. The vectorised cases run two lane-vectors per iteration, so for an odd count they compute one lane-vector
 * past the block: the arrays they run on are padded to an even count (ensemble_create), and that lane-vector is
 * never read.
 */
export function activation_block(id: i32, param: f64, z: usize, f: usize, d1: usize, d2: usize, count: i32): void {
  const zero = splat(0.0);
  const one = splat(1.0);
  const n = (<usize>count) << 5;
  if (id == ACT_IDENTITY) {
    for (let i: usize = 0; i < n; i += 16) {
      v128.store(f + i, v128.load(z + i));
      v128.store(d1 + i, one);
      v128.store(d2 + i, zero);
    }
  } else if (id == ACT_RELU || id == ACT_LEAKY_RELU) {
    const slope = splat(id == ACT_RELU ? 0.0 : param);
    const relu = id == ACT_RELU;
    for (let i: usize = 0; i < n; i += 16) {
      const x = v128.load(z + i);
      const on = f64x2.gt(x, zero);
      v128.store(f + i, vsel(on, x, relu ? zero : vmul(slope, x)));
      v128.store(d1 + i, vsel(on, one, slope));
      v128.store(d2 + i, zero);
    }
  } else if (id == ACT_TANH) {
    for (let i: usize = 0; i < n; i += 64) {
      tanh_lanes(z + i, f + i);
      for (let k: usize = 0; k < 64; k += 16) tanh_half(f + i, d1 + i, d2 + i, k);
    }
  } else if (id == ACT_SIGMOID) {
    for (let i: usize = 0; i < n; i += 64) {
      logistic_lanes(z + i, f + i);
      for (let k: usize = 0; k < 64; k += 16) sigmoid_half(f + i, d1 + i, d2 + i, k);
    }
  } else if (id == ACT_ELU) {
    const alpha = splat(param);
    for (let i: usize = 0; i < n; i += 64) {
      for (let k: usize = 0; k < 64; k += 16) {
        const x = v128.load(z + i + k);
        v128.store(d2 + i + k, vsel(f64x2.gt(x, zero), zero, x));
      }
      exp_lanes(d2 + i, d2 + i);
      for (let k: usize = 0; k < 64; k += 16) elu_half(alpha, z + i, f + i, d1 + i, d2 + i, k);
    }
  } else if (id == ACT_SILU) {
    for (let i: usize = 0; i < n; i += 64) {
      logistic_lanes(z + i, d1 + i);
      for (let k: usize = 0; k < 64; k += 16) silu_half(z + i, f + i, d1 + i, d2 + i, k);
    }
  } else if (id == ACT_GELU) {
    for (let i: usize = 0; i < n; i += 64) {
      for (let k: usize = 0; k < 64; k += 16) gelu_arg(z + i, d2 + i, k);
      tanh_lanes(d2 + i, d2 + i);
      for (let k: usize = 0; k < 64; k += 16) gelu_half(z + i, f + i, d1 + i, d2 + i, k);
    }
  } else {
    // softplus and sin: the libm's log1p and sin (activations.ts), one lane at a time.
    const m = count * 4;
    for (let i = 0; i < m; ++i) {
      activation_eval(id, param, load<f64>(f64At(z, i)));
      store<f64>(f64At(f, i), act_f);
      store<f64>(f64At(d1, i), act_d1);
      store<f64>(f64At(d2, i), act_d2);
    }
  }
}

/** e.loss[b] = C(w_b) on the current samples; fills the per-sample caches of every lane. (The fields of e are read
 *  into locals first: stores through the caches could alias e, so V8 would reload them in every iteration.) */
export function ensemble_forward(e: Ensemble): void {
  const nIn = e.nIn;
  const h = e.nHid;
  const o = e.nOut;
  const N = e.Na;
  const Xa = e.Xa;
  const Ya = e.Ya;
  const A = e.a;
  const FO = e.fo;
  const P1 = e.p1;
  const P2 = e.p2;
  const DU = e.du;
  const CW = e.cw;
  const DA = e.da;
  const W1 = e.state;
  const b1 = lv(e.state, e.offB1);
  const W2 = lv(e.state, e.offW2);
  const b2 = lv(e.state, e.offB2);
  // z = W1 x + b1 of every sample into a, then a, s', s'' of the whole block in one call.
  for (let s = 0; s < N; ++s) {
    const x = f64At(Xa, s * nIn);
    const as = lv(A, s * h);
    for (let j = 0; j < h; ++j) {
      const bj = lv(b1, j);
      let z0 = ld0(bj);
      let z1 = ld1(bj);
      const row = lv(W1, j * nIn);
      for (let i = 0; i < nIn; ++i) {
        const xi = splat(load<f64>(f64At(x, i)));
        const wji = lv(row, i);
        z0 = vadd(z0, vmul(ld0(wji), xi));
        z1 = vadd(z1, vmul(ld1(wji), xi));
      }
      st2(lv(as, j), z0, z1);
    }
  }
  activation_block(e.act, e.actParam, A, A, e.s1, e.s2, N * h);
  // u = W2 a + b2 into fo, then phi, phi', phi''.
  for (let s = 0; s < N; ++s) {
    const as = lv(A, s * h);
    for (let m = 0; m < o; ++m) {
      const bm = lv(b2, m);
      let u0 = ld0(bm);
      let u1 = ld1(bm);
      const row = lv(W2, m * h);
      for (let j = 0; j < h; ++j) {
        const wmj = lv(row, j);
        const aj = lv(as, j);
        u0 = vadd(u0, vmul(ld0(wmj), ld0(aj)));
        u1 = vadd(u1, vmul(ld1(wmj), ld1(aj)));
      }
      st2(lv(FO, s * o + m), u0, u1);
    }
  }
  activation_block(e.outAct, 0.0, FO, FO, P1, P2, N * o);
  let l0 = splat(0.0);
  let l1 = l0;
  for (let s = 0; s < N; ++s) {
    const y = f64At(Ya, s * o);
    const das = lv(DA, s * h);
    zero_lanes(das, h);
    for (let m = 0; m < o; ++m) {
      const sm = s * o + m;
      const ym = splat(load<f64>(f64At(y, m)));
      const fo = lv(FO, sm);
      const p1 = lv(P1, sm);
      const p2 = lv(P2, sm);
      const r0 = vsub(ld0(fo), ym);
      const r1 = vsub(ld1(fo), ym);
      const d10 = ld0(p1);
      const d11 = ld1(p1);
      l0 = vadd(l0, vmul(r0, r0));
      l1 = vadd(l1, vmul(r1, r1));
      const du0 = vmul(r0, d10);
      const du1 = vmul(r1, d11);
      st2(lv(DU, sm), du0, du1);
      // Gauss-Newton weight of grad u_m grad u_m^T in the Hessian of 0.5 r^2: phi'^2 + r phi''.
      st2(lv(CW, sm), vadd(vmul(d10, d10), vmul(r0, ld0(p2))), vadd(vmul(d11, d11), vmul(r1, ld1(p2))));
      const row = lv(W2, m * h);
      for (let j = 0; j < h; ++j) {
        const daj = lv(das, j);
        const wmj = lv(row, j);
        add2(daj, vmul(ld0(wmj), du0), vmul(ld1(wmj), du1));
      }
    }
  }
  const n = splat(<f64>N);
  st2(e.loss, f64x2.div(vmul(splat(0.5), l0), n), f64x2.div(vmul(splat(0.5), l1), n));
}

/** e.grad = grad C(w) of every lane, from the caches of the last ensemble_forward. */
export function ensemble_gradient(e: Ensemble): void {
  const nIn = e.nIn;
  const h = e.nHid;
  const o = e.nOut;
  const N = e.Na;
  const D = e.D;
  const g = e.grad;
  const Xa = e.Xa;
  const A = e.a;
  const DU = e.du;
  const DA = e.da;
  const S1 = e.s1;
  zero_lanes(g, D);
  const gb1 = lv(g, e.offB1);
  const gW2 = lv(g, e.offW2);
  const gb2 = lv(g, e.offB2);
  for (let s = 0; s < N; ++s) {
    const x = f64At(Xa, s * nIn);
    const as = lv(A, s * h);
    for (let m = 0; m < o; ++m) {
      const dup = lv(DU, s * o + m);
      const du0 = ld0(dup);
      const du1 = ld1(dup);
      const row = lv(gW2, m * h);
      for (let j = 0; j < h; ++j) {
        const gmj = lv(row, j);
        const aj = lv(as, j);
        add2(gmj, vmul(du0, ld0(aj)), vmul(du1, ld1(aj)));
      }
      const gm = lv(gb2, m);
      add2(gm, du0, du1);
    }
    for (let j = 0; j < h; ++j) {
      const sj = s * h + j;
      const dap = lv(DA, sj);
      const s1p = lv(S1, sj);
      const dz0 = vmul(ld0(dap), ld0(s1p));
      const dz1 = vmul(ld1(dap), ld1(s1p));
      const row = lv(g, j * nIn);
      for (let i = 0; i < nIn; ++i) {
        const xi = splat(load<f64>(f64At(x, i)));
        const gji = lv(row, i);
        add2(gji, vmul(dz0, xi), vmul(dz1, xi));
      }
      const gj = lv(gb1, j);
      add2(gj, dz0, dz1);
    }
  }
  const inv = splat(1.0 / N);
  for (let p = 0; p < D; ++p) {
    const gp = lv(g, p);
    st2(gp, vmul(ld0(gp), inv), vmul(ld1(gp), inv));
  }
}
