#include "mlp.h"

#include "activations.h"

namespace wd {

double mlp_forward(Network& net, const double* w) {
  const int nIn = net.nIn, h = net.nHid, o = net.nOut, N = net.Na;
  const double* W1 = w;
  const double* b1 = w + net.offB1;
  const double* W2 = w + net.offW2;
  const double* b2 = w + net.offB2;
  double loss = 0.0;
  for (int s = 0; s < N; ++s) {
    const double* x = &net.Xa[static_cast<size_t>(s) * nIn];
    const double* y = &net.Ya[static_cast<size_t>(s) * o];
    double* a = &net.a[static_cast<size_t>(s) * h];
    double* s1 = &net.s1[static_cast<size_t>(s) * h];
    double* s2 = &net.s2[static_cast<size_t>(s) * h];
    double* du = &net.du[static_cast<size_t>(s) * o];
    double* cw = &net.cw[static_cast<size_t>(s) * o];
    double* da = &net.da[static_cast<size_t>(s) * h];
    for (int j = 0; j < h; ++j) {
      double z = b1[j];
      const double* row = W1 + static_cast<size_t>(j) * nIn;
      for (int i = 0; i < nIn; ++i) z += row[i] * x[i];
      activation_eval(net.act, net.actParam, z, a[j], s1[j], s2[j]);
      da[j] = 0.0;
    }
    for (int m = 0; m < o; ++m) {
      double u = b2[m];
      const double* row = W2 + static_cast<size_t>(m) * h;
      for (int j = 0; j < h; ++j) u += row[j] * a[j];
      double f, p1, p2;
      activation_eval(net.outAct, 0.0, u, f, p1, p2);
      const double r = f - y[m];
      loss += r * r;
      du[m] = r * p1;
      // Gauss-Newton weight of grad u_m grad u_m^T in the Hessian of 0.5 r^2: phi'^2 + r phi''.
      cw[m] = p1 * p1 + r * p2;
      for (int j = 0; j < h; ++j) da[j] += row[j] * du[m];
    }
  }
  return 0.5 * loss / N;
}

void mlp_gradient(const Network& net, const double* w, double* grad) {
  (void)w;
  const int nIn = net.nIn, h = net.nHid, o = net.nOut, N = net.Na, D = net.D;
  for (int p = 0; p < D; ++p) grad[p] = 0.0;
  double* gW1 = grad;
  double* gb1 = grad + net.offB1;
  double* gW2 = grad + net.offW2;
  double* gb2 = grad + net.offB2;
  for (int s = 0; s < N; ++s) {
    const double* x = &net.Xa[static_cast<size_t>(s) * nIn];
    const double* a = &net.a[static_cast<size_t>(s) * h];
    const double* s1 = &net.s1[static_cast<size_t>(s) * h];
    const double* du = &net.du[static_cast<size_t>(s) * o];
    const double* da = &net.da[static_cast<size_t>(s) * h];
    for (int m = 0; m < o; ++m) {
      double* row = gW2 + static_cast<size_t>(m) * h;
      for (int j = 0; j < h; ++j) row[j] += du[m] * a[j];
      gb2[m] += du[m];
    }
    for (int j = 0; j < h; ++j) {
      const double dz = da[j] * s1[j];
      double* row = gW1 + static_cast<size_t>(j) * nIn;
      for (int i = 0; i < nIn; ++i) row[i] += dz * x[i];
      gb1[j] += dz;
    }
  }
  const double inv = 1.0 / N;
  for (int p = 0; p < D; ++p) grad[p] *= inv;
}

}  // namespace wd
