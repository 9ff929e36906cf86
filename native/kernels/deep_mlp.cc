#include "deep_mlp.h"

#include "activations.h"

namespace wd {

double deep_forward(Network& net, const double* w) {
  const int L = net.L, o = net.nOut, N = net.Na;
  const int h = net.width[L];
  const double* WL = w + net.offW[L];
  const double* bL = w + net.offB[L];
  double loss = 0.0;
  for (int s = 0; s < N; ++s) {
    for (int l = 1; l <= L; ++l) {
      const int n = net.width[l], np = net.width[l - 1];
      const double* W = w + net.offW[l - 1];
      const double* b = w + net.offB[l - 1];
      const double* x = layer_input(net, l, s);
      double* a = layer_row(net.a, net, l, s);
      double* s1 = layer_row(net.s1, net, l, s);
      double* s2 = layer_row(net.s2, net, l, s);
      double* ga = layer_row(net.da, net, l, s);
      for (int j = 0; j < n; ++j) {
        double z = b[j];
        const double* row = W + static_cast<size_t>(j) * np;
        for (int i = 0; i < np; ++i) z += row[i] * x[i];
        activation_eval(net.acts[l - 1], net.actParams[l - 1], z, a[j], s1[j], s2[j]);
        ga[j] = 0.0;
      }
    }
    const double* y = net.Ya + static_cast<size_t>(s) * o;
    const double* aL = layer_row(net.a, net, L, s);
    double* gaL = layer_row(net.da, net, L, s);
    double* du = &net.du[static_cast<size_t>(s) * o];
    double* cw = &net.cw[static_cast<size_t>(s) * o];
    for (int m = 0; m < o; ++m) {
      double u = bL[m];
      const double* row = WL + static_cast<size_t>(m) * h;
      for (int j = 0; j < h; ++j) u += row[j] * aL[j];
      double f, p1, p2;
      activation_eval(net.outAct, 0.0, u, f, p1, p2);
      const double r = f - y[m];
      loss += r * r;
      du[m] = r * p1;
      // Gauss-Newton weight of grad u_m grad u_m^T in the Hessian of 0.5 r^2: phi'^2 + r phi''.
      cw[m] = p1 * p1 + r * p2;
      for (int j = 0; j < h; ++j) gaL[j] += row[j] * du[m];
    }
    // ga_l = W_{l+1}^T (ga_{l+1} . s'_{l+1}), in the order of the output layer's loop above.
    for (int l = L - 1; l >= 1; --l) {
      const int n = net.width[l], nn = net.width[l + 1];
      const double* W = w + net.offW[l];
      const double* gn = layer_row(net.da, net, l + 1, s);
      const double* s1n = layer_row(net.s1, net, l + 1, s);
      double* ga = layer_row(net.da, net, l, s);
      for (int k = 0; k < nn; ++k) {
        const double d = gn[k] * s1n[k];
        const double* row = W + static_cast<size_t>(k) * n;
        for (int j = 0; j < n; ++j) ga[j] += row[j] * d;
      }
    }
  }
  return 0.5 * loss / N;
}

void deep_gradient(const Network& net, const double* w, double* grad) {
  (void)w;
  const int L = net.L, o = net.nOut, N = net.Na, D = net.D;
  const int h = net.width[L];
  for (int p = 0; p < D; ++p) grad[p] = 0.0;
  double* gWL = grad + net.offW[L];
  double* gbL = grad + net.offB[L];
  for (int s = 0; s < N; ++s) {
    const double* aL = layer_row(net.a, net, L, s);
    const double* du = &net.du[static_cast<size_t>(s) * o];
    for (int m = 0; m < o; ++m) {
      double* row = gWL + static_cast<size_t>(m) * h;
      for (int j = 0; j < h; ++j) row[j] += du[m] * aL[j];
      gbL[m] += du[m];
    }
    for (int l = L; l >= 1; --l) {
      const int n = net.width[l], np = net.width[l - 1];
      const double* x = layer_input(net, l, s);
      const double* ga = layer_row(net.da, net, l, s);
      const double* s1 = layer_row(net.s1, net, l, s);
      double* gW = grad + net.offW[l - 1];
      double* gb = grad + net.offB[l - 1];
      for (int j = 0; j < n; ++j) {
        const double dz = ga[j] * s1[j];
        double* row = gW + static_cast<size_t>(j) * np;
        for (int i = 0; i < np; ++i) row[i] += dz * x[i];
        gb[j] += dz;
      }
    }
  }
  const double inv = 1.0 / N;
  for (int p = 0; p < D; ++p) grad[p] *= inv;
}

}  // namespace wd
