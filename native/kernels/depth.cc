#include "depth.h"

#include "deep_hessian.h"
#include "deep_mlp.h"
#include "deep_rop.h"
#include "hessian.h"
#include "mlp.h"

namespace wd {

bool deep_force = false;

double net_forward(Network& net, const double* w) {
  return network_deep(net) ? deep_forward(net, w) : mlp_forward(net, w);
}

void net_gradient(const Network& net, const double* w, double* grad) {
  if (network_deep(net)) deep_gradient(net, w, grad);
  else mlp_gradient(net, w, grad);
}

void net_hessian(Network& net, const double* w, double* H) {
  if (network_deep(net)) deep_hessian_explicit(net, w, H);
  else hessian_explicit(net, w, H);
}

void net_hvp(Network& net, const double* w, const double* V, int k, double* HV) {
  if (network_deep(net)) deep_hvp_batch(net, w, V, k, HV);
  else hvp_batch(net, w, V, k, HV);
}

void net_factored(Network& net, const double* w, const double* V, int k, double* HV) {
  if (network_deep(net)) deep_factored_apply(net, w, V, k, HV);
  else hessian_factored_apply(net, w, V, k, HV);
}

}  // namespace wd
