/**
 * The layout of a network's parameters, written once: every place that needs D (the config, the guards, the
 * systems, the benchmarks) calls these.
 *
 * Parameter vector order (the fixed convention): W1 (h1 x inputs, row-major), b1, W2 (h2 x h1), b2, ...,
 * W_{L+1} (outputs x hL), b_{L+1}; D = sum over layers l of n_l (n_{l-1} + 1) with n_0 = inputs, n_{L+1} = outputs.
 * For one hidden layer of width h: D = h (i + 1) + o (h + 1).
 */
import { RULES } from "./tables.js";

/** The widths of a network's hidden layers: one width, or a list of them. */
export type HiddenWidths = number | readonly number[];

/** [inputs, h1, ..., hL, outputs]. */
export function layerWidths(shape: { inputs: number; hidden: HiddenWidths; outputs: number }): number[] {
  const hidden = typeof shape.hidden === "number" ? [shape.hidden] : [...shape.hidden];
  return [shape.inputs, ...hidden, shape.outputs];
}

/**
 * parameterCount({inputs, hidden, outputs}) -> D
 *
 * D = sum_l n_l (n_{l-1} + 1) over the weight matrices and bias vectors of every layer (module comment).
 */
export function parameterCount(shape: { inputs: number; hidden: HiddenWidths; outputs: number }): number {
  const n = layerWidths(shape);
  let D = 0;
  for (let l = 1; l < n.length; l++) D += n[l] * (n[l - 1] + 1);
  return D;
}

/** S = stateBlocks D: the dimension of the training state of an update rule (by id or name). */
export function stateDimension(D: number, rule: number | string): number {
  const spec = RULES.find((r) => (typeof rule === "number" ? r.id === rule : r.name === rule));
  if (!spec) throw new RangeError(`weightdyn: unknown update rule ${JSON.stringify(rule)}`);
  return D * spec.stateBlocks;
}

/** A contiguous block of the parameter (or state) vector: a weight matrix (rows x cols, row-major) or a bias. */
export interface ParameterBlock {
  /** W1, b1, W2, b2, ...; the rule's other state blocks are prefixed with their name: v.W1, m.b2. */
  name: string;
  offset: number;
  size: number;
  rows: number;
  /** Columns of a weight matrix; 1 for a bias vector. */
  cols: number;
}

/** The blocks W1, b1, ..., W_{L+1}, b_{L+1} of the parameter vector, in order. */
export function parameterBlocks(shape: { inputs: number; hidden: HiddenWidths; outputs: number }): ParameterBlock[] {
  const n = layerWidths(shape);
  const blocks: ParameterBlock[] = [];
  let offset = 0;
  for (let l = 1; l < n.length; l++) {
    blocks.push({ name: `W${l}`, offset, size: n[l] * n[l - 1], rows: n[l], cols: n[l - 1] });
    offset += n[l] * n[l - 1];
    blocks.push({ name: `b${l}`, offset, size: n[l], rows: n[l], cols: 1 });
    offset += n[l];
  }
  return blocks;
}

/**
 * The blocks of the training state of a rule: the parameter blocks of w, then those of each further state block
 * (momentum's v; Adam's m and v), named with the block's prefix (v.W1, m.b2, ...).
 */
export function stateBlocks(
  shape: { inputs: number; hidden: HiddenWidths; outputs: number },
  rule: number | string = "gd",
): ParameterBlock[] {
  const spec = RULES.find((r) => (typeof rule === "number" ? r.id === rule : r.name === rule));
  if (!spec) throw new RangeError(`weightdyn: unknown update rule ${JSON.stringify(rule)}`);
  const w = parameterBlocks(shape);
  const D = parameterCount(shape);
  return spec.blocks.flatMap((prefix, s) =>
    w.map((b) => ({ ...b, name: s === 0 ? b.name : `${prefix}.${b.name}`, offset: b.offset + s * D })),
  );
}

/** Name of state component `index`: W1[r,c] (row r, column c; 0-based), b1[r], ..., or v.W1[r,c] and so on. */
export function componentName(index: number, blocks: readonly ParameterBlock[]): string {
  const b = blocks.find((x) => index >= x.offset && index < x.offset + x.size);
  if (!Number.isInteger(index) || !b) {
    const end = blocks.length > 0 ? blocks[blocks.length - 1].offset + blocks[blocks.length - 1].size : 0;
    throw new RangeError(`weightdyn: expected a component index in [0, ${end}) but received ${index}`);
  }
  const r = index - b.offset;
  return b.cols === 1 ? `${b.name}[${r}]` : `${b.name}[${Math.floor(r / b.cols)},${r % b.cols}]`;
}
