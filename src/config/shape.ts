/**
 * What follows from the `network` and `training` sections: the parameter count D, the state dimension S, the
 * kernel-facing NetworkShape, the default activation parameters and the number k of Lyapunov exponents.
 */
import { parameterCount, stateDimension } from "../backend/layers.js";
import { ACTIVATIONS, entryOf } from "../backend/tables.js";
import { ActivationId, type ActivationName, type NetworkShape, type OutputActivationName } from "../backend/types.js";

/**
 * The `network` section as the rest of the library sees it: hidden, activation and activationParam one value or one
 * per hidden layer (src/config/depth.ts), activationParam resolved to numbers.
 */
export interface NetworkSection {
  inputs: number;
  hidden: number | readonly number[];
  outputs: number;
  activation: ActivationName | readonly ActivationName[];
  activationParam: number | readonly number[];
  outputActivation: OutputActivationName;
}

/**
 * defaultActivationParam(activation)
 *
 * The parameter used when `network.activationParam` is null: the default of the activation's parameter in the table
 * (src/backend/tables.ts: the negative-side slope 0.01 of leaky-relu, alpha = 1 of elu), 0 (ignored) for an
 * activation without one.
 */
export function defaultActivationParam(activation: ActivationName): number {
  return entryOf(ACTIVATIONS, activation)?.param?.default ?? 0;
}

export { parameterCount } from "../backend/layers.js";

/** S, the dimension of the training state of a config: D times the optimizer's state blocks (layers.ts). */
export function stateDimensionOf(config: {
  network: { inputs: number; hidden: number | readonly number[]; outputs: number };
  training: { optimizer: { name: string } };
}): number {
  return stateDimension(parameterCount(config.network), config.training.optimizer.name);
}

/** The NetworkShape the kernels take (activation names turned into ActivationId numbers). */
export function networkShape(network: NetworkSection): NetworkShape {
  return {
    inputs: network.inputs,
    hidden: network.hidden,
    outputs: network.outputs,
    activation:
      typeof network.activation === "string"
        ? ActivationId[network.activation]
        : network.activation.map((name) => ActivationId[name]),
    activationParam: network.activationParam,
    outputActivation: ActivationId[network.outputActivation],
  };
}

/**
 * exponentCount(config)
 *
 * The number k of Lyapunov exponents a run computes: S, the dimension of the training state, for
 * `lyapunov.exponents = "all"`, the integer otherwise (parseRunConfig has already checked 0 <= k <= S).
 */
export function exponentCount(config: {
  network: NetworkSection;
  training: { optimizer: { name: string } };
  lyapunov: { exponents: "all" | number };
}): number {
  return config.lyapunov.exponents === "all" ? stateDimensionOf(config) : config.lyapunov.exponents;
}
