/**
 * What follows from the `network` section: the parameter count D, the kernel-facing NetworkShape, the default
 * activation parameters and the number k of Lyapunov exponents.
 */
import { ActivationId, type ActivationName, type NetworkShape, type OutputActivationName } from "../backend/types.js";

/** The `network` section as the rest of the library sees it (activationParam resolved to a number). */
export interface NetworkSection {
  inputs: number;
  hidden: number;
  outputs: number;
  activation: ActivationName;
  activationParam: number;
  outputActivation: OutputActivationName;
}

/**
 * defaultActivationParam(activation)
 *
 * The parameter used when `network.activationParam` is null: the negative-side slope 0.01 for leaky-relu
 * (f(z) = z for z > 0, 0.01 z otherwise), alpha = 1 for elu (f(z) = z for z > 0, alpha (e^z - 1) otherwise),
 * and 0 (ignored) for every other activation.
 */
export function defaultActivationParam(activation: ActivationName): number {
  if (activation === "leaky-relu") return 0.01;
  if (activation === "elu") return 1;
  return 0;
}

/**
 * parameterCount({inputs: i, hidden: h, outputs: o})
 *
 * D = h(i+1) + o(h+1): W1 (h x i), b1 (h), W2 (o x h), b2 (o), in that order in the parameter vector.
 */
export function parameterCount(network: { inputs: number; hidden: number; outputs: number }): number {
  return network.hidden * (network.inputs + 1) + network.outputs * (network.hidden + 1);
}

/** The NetworkShape the kernels take (activation names turned into ActivationId numbers). */
export function networkShape(network: NetworkSection): NetworkShape {
  return {
    inputs: network.inputs,
    hidden: network.hidden,
    outputs: network.outputs,
    activation: ActivationId[network.activation],
    activationParam: network.activationParam,
    outputActivation: ActivationId[network.outputActivation],
  };
}

/**
 * exponentCount(config)
 *
 * The number k of Lyapunov exponents a run computes: D for `lyapunov.exponents = "all"`, the integer otherwise
 * (parseRunConfig has already checked 0 <= k <= D).
 */
export function exponentCount(config: { network: NetworkSection; lyapunov: { exponents: "all" | number } }): number {
  return config.lyapunov.exponents === "all" ? parameterCount(config.network) : config.lyapunov.exponents;
}
