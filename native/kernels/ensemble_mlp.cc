#include "ensemble_mlp.h"

#include "activations.h"
#include "lanes.h"
#include "vecmath.h"

namespace wd {

void activation_block(int id, double param, const double* z, double* f, double* d1, double* d2, size_t count) {
  const lanes zero = splat(0.0), one = splat(1.0);
  switch (id) {
    case ACT_IDENTITY:
      for (size_t i = 0; i < count; ++i) { st(f + i * LANES, ld(z + i * LANES)); st(d1 + i * LANES, one); st(d2 + i * LANES, zero); }
      return;
    case ACT_RELU:
    case ACT_LEAKY_RELU: {
      const lanes slope = splat(id == ACT_RELU ? 0.0 : param);
      for (size_t i = 0; i < count; ++i) {
        const lanes x = ld(z + i * LANES);
        const auto on = x > 0;
        st(f + i * LANES, on ? x : (id == ACT_RELU ? zero : slope * x));
        st(d1 + i * LANES, on ? one : slope);
        st(d2 + i * LANES, zero);
      }
      return;
    }
    case ACT_TANH:
      for (size_t i = 0; i < count; ++i) {
        const lanes t = vecmath::tanh(ld(z + i * LANES));
        const lanes s = 1.0 - t * t;
        st(f + i * LANES, t); st(d1 + i * LANES, s); st(d2 + i * LANES, -2.0 * t * s);
      }
      return;
    case ACT_SIGMOID:
      for (size_t i = 0; i < count; ++i) {
        const lanes s = vecmath::logistic(ld(z + i * LANES));
        const lanes ds = s * (1.0 - s);
        st(f + i * LANES, s); st(d1 + i * LANES, ds); st(d2 + i * LANES, ds * (1.0 - 2.0 * s));
      }
      return;
    case ACT_ELU:
      for (size_t i = 0; i < count; ++i) {
        const lanes x = ld(z + i * LANES);
        const auto on = x > 0;
        const lanes e = param * vecmath::exp(on ? zero : x);
        st(f + i * LANES, on ? x : e - param); st(d1 + i * LANES, on ? one : e); st(d2 + i * LANES, on ? zero : e);
      }
      return;
    case ACT_SILU:
      for (size_t i = 0; i < count; ++i) {
        const lanes x = ld(z + i * LANES);
        const lanes s = vecmath::logistic(x);
        st(f + i * LANES, x * s);
        st(d1 + i * LANES, s * (1.0 + x * (1.0 - s)));
        st(d2 + i * LANES, s * (1.0 - s) * (2.0 + x * (1.0 - 2.0 * s)));
      }
      return;
    case ACT_GELU:
      for (size_t i = 0; i < count; ++i) {
        const double c = 0.7978845608028654, a = 0.044715;
        const lanes x = ld(z + i * LANES);
        const lanes u = c * (x + a * x * x * x);
        const lanes du = c * (1.0 + 3.0 * a * x * x);
        const lanes ddu = c * 6.0 * a * x;
        const lanes t = vecmath::tanh(u);
        const lanes s = 1.0 - t * t;
        st(f + i * LANES, 0.5 * x * (1.0 + t));
        st(d1 + i * LANES, 0.5 * (1.0 + t) + 0.5 * x * s * du);
        st(d2 + i * LANES, s * du + 0.5 * x * s * (ddu - 2.0 * t * du * du));
      }
      return;
    default:  // softplus and sin: glibc's log1p and sin, one lane at a time
      for (size_t i = 0; i < count * LANES; ++i) {
        double fi, d1i, d2i;
        activation_eval(id, param, z[i], fi, d1i, d2i);
        f[i] = fi; d1[i] = d1i; d2[i] = d2i;
      }
      return;
  }
}

void ensemble_forward(Ensemble& e) {
  constexpr int L = LANES;
  const int nIn = e.nIn, h = e.nHid, o = e.nOut, N = e.Na;
  const double* x0 = e.state.data();
  const double* W1 = x0;
  const double* b1 = x0 + static_cast<size_t>(e.offB1) * L;
  const double* W2 = x0 + static_cast<size_t>(e.offW2) * L;
  const double* b2 = x0 + static_cast<size_t>(e.offB2) * L;
  // z = W1 x + b1 of every sample into a, then a, s', s'' of the whole block in one call.
  for (int s = 0; s < N; ++s) {
    const double* x = e.Xa + static_cast<size_t>(s) * nIn;
    for (int j = 0; j < h; ++j) {
      lanes zj = ld(b1 + static_cast<size_t>(j) * L);
      for (int i = 0; i < nIn; ++i) zj += ld(W1 + (static_cast<size_t>(j) * nIn + i) * L) * x[i];
      st(&e.a[(static_cast<size_t>(s) * h + j) * L], zj);
    }
  }
  const size_t nh = static_cast<size_t>(N) * h, no = static_cast<size_t>(N) * o;
  activation_block(e.act, e.actParam, e.a.data(), e.a.data(), e.s1.data(), e.s2.data(), nh);
  // u = W2 a + b2 into fo, then phi, phi', phi''.
  for (int s = 0; s < N; ++s)
    for (int m = 0; m < o; ++m) {
      lanes u = ld(b2 + static_cast<size_t>(m) * L);
      for (int j = 0; j < h; ++j)
        u += ld(W2 + (static_cast<size_t>(m) * h + j) * L) * ld(&e.a[(static_cast<size_t>(s) * h + j) * L]);
      st(&e.fo[(static_cast<size_t>(s) * o + m) * L], u);
    }
  activation_block(e.outAct, 0.0, e.fo.data(), e.fo.data(), e.p1.data(), e.p2.data(), no);
  lanes loss = splat(0.0);
  for (int s = 0; s < N; ++s) {
    const double* y = e.Ya + static_cast<size_t>(s) * o;
    for (int j = 0; j < h; ++j) st(&e.da[(static_cast<size_t>(s) * h + j) * L], splat(0.0));
    for (int m = 0; m < o; ++m) {
      const size_t sm = (static_cast<size_t>(s) * o + m) * L;
      const lanes r = ld(&e.fo[sm]) - y[m], d1 = ld(&e.p1[sm]);
      loss += r * r;
      const lanes du = r * d1;
      st(&e.du[sm], du);
      // Gauss-Newton weight of grad u_m grad u_m^T in the Hessian of 0.5 r^2: phi'^2 + r phi''.
      st(&e.cw[sm], d1 * d1 + r * ld(&e.p2[sm]));
      for (int j = 0; j < h; ++j) {
        double* daj = &e.da[(static_cast<size_t>(s) * h + j) * L];
        st(daj, ld(daj) + ld(W2 + (static_cast<size_t>(m) * h + j) * L) * du);
      }
    }
  }
  st(e.loss.data(), 0.5 * loss / N);
}

void ensemble_gradient(Ensemble& e) {
  constexpr int L = LANES;
  const int nIn = e.nIn, h = e.nHid, o = e.nOut, N = e.Na, D = e.D;
  double* g = e.grad.data();
  for (int p = 0; p < D; ++p) st(g + static_cast<size_t>(p) * L, splat(0.0));
  double* gb1 = g + static_cast<size_t>(e.offB1) * L;
  double* gW2 = g + static_cast<size_t>(e.offW2) * L;
  double* gb2 = g + static_cast<size_t>(e.offB2) * L;
  for (int s = 0; s < N; ++s) {
    const double* x = e.Xa + static_cast<size_t>(s) * nIn;
    for (int m = 0; m < o; ++m) {
      const lanes du = ld(&e.du[(static_cast<size_t>(s) * o + m) * L]);
      for (int j = 0; j < h; ++j) {
        double* gmj = gW2 + (static_cast<size_t>(m) * h + j) * L;
        st(gmj, ld(gmj) + du * ld(&e.a[(static_cast<size_t>(s) * h + j) * L]));
      }
      double* gm = gb2 + static_cast<size_t>(m) * L;
      st(gm, ld(gm) + du);
    }
    for (int j = 0; j < h; ++j) {
      const size_t sj = (static_cast<size_t>(s) * h + j) * L;
      const lanes dz = ld(&e.da[sj]) * ld(&e.s1[sj]);
      for (int i = 0; i < nIn; ++i) {
        double* gji = g + (static_cast<size_t>(j) * nIn + i) * L;
        st(gji, ld(gji) + dz * x[i]);
      }
      double* gj = gb1 + static_cast<size_t>(j) * L;
      st(gj, ld(gj) + dz);
    }
  }
  const double inv = 1.0 / N;
  for (int p = 0; p < D; ++p) st(g + static_cast<size_t>(p) * L, ld(g + static_cast<size_t>(p) * L) * inv);
}

}  // namespace wd
