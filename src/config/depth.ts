/**
 * The per-layer fields of the `network` section: one entry per hidden layer.
 *
 *   hidden            10   or  [16, 16, 8]                     the widths n_1 .. n_L (L: the length of the list)
 *   activation        "tanh"   or  ["tanh", "relu", "tanh"]    one name for every hidden layer, or one per layer
 *   activationParam   null | 0.1   or  [null, 0.05, null]      likewise; null: the default of that layer's activation
 *
 * A number or a single name is kept as written, so a three-layer config parses to exactly what it parsed to before
 * the lists existed (and a study of three-layer runs keeps its id). After parsing, activationParam is a number when
 * neither activation nor activationParam is a list, and a list of L numbers otherwise. Errors name the field and the
 * entry: `network.hidden[1]: expected a positive integer but received 0`, `network.activation: expected a list of 3
 * names (one per hidden layer) but received ["tanh","relu"]`.
 */
import * as z from "zod";
import { MAX_HIDDEN_LAYERS } from "../backend/guards.js";
import { ACTIVATION_NAMES, type ActivationName } from "../backend/tables.js";
import { defaultActivationParam } from "./shape.js";

type Ctx = z.core.$RefinementCtx<unknown>;

function issue(ctx: Ctx, path: (string | number)[], message: string, input: unknown): void {
  ctx.addIssue({ code: "custom", path, message, input });
}

const NAMES = `one of ${ACTIVATION_NAMES.map((n) => JSON.stringify(n)).join(", ")}`;
const WIDTH = "a positive integer";
const HIDDEN = `a positive integer or a list of 1 to ${MAX_HIDDEN_LAYERS} positive integers (one width per hidden layer)`;
const ACTIVATION = `${NAMES}, or a list of them (one per hidden layer)`;
const PARAM = "a finite number or null, or a list of them (one per hidden layer)";

const isWidth = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v >= 1;
const isName = (v: unknown): v is ActivationName => typeof v === "string" && (ACTIVATION_NAMES as string[]).includes(v);
const isParam = (v: unknown): v is number | null => v === null || (typeof v === "number" && Number.isFinite(v));

/**
 * A value or a list of 1 to MAX_HIDDEN_LAYERS values, each checked by `ok` (issues at the entry's index). A single
 * value of the entry's type (`single` tells) that fails is reported with the entry's phrase, as before lists existed.
 */
function listOr<T>(ok: (v: unknown) => v is T, single: (v: unknown) => boolean, whole: string, entry: string) {
  return z.unknown().transform((value, ctx): T | T[] => {
    if (!Array.isArray(value)) {
      if (ok(value)) return value;
      issue(ctx, [], single(value) ? entry : whole, value);
      return z.NEVER;
    }
    if (value.length < 1 || value.length > MAX_HIDDEN_LAYERS) {
      issue(ctx, [], whole, value);
      return z.NEVER;
    }
    let good = true;
    value.forEach((v, i) => {
      if (!ok(v)) {
        issue(ctx, [i], entry, v);
        good = false;
      }
    });
    return good ? (value as T[]) : z.NEVER;
  }) as unknown as z.ZodType<T | T[], unknown>;
}

export const hiddenSchema = listOr(isWidth, (v) => typeof v === "number", HIDDEN, WIDTH);
export const activationSchema = listOr(isName, (v) => typeof v === "string", ACTIVATION, NAMES);
export const activationParamSchema = listOr(isParam, (v) => typeof v === "number", PARAM, "a finite number or null");

/** Number of hidden layers L of a `hidden` value. */
export function hiddenLayers(hidden: number | readonly number[]): number {
  return typeof hidden === "number" ? 1 : hidden.length;
}

/** The value of a per-layer field for hidden layer l (0-based): the single value, or entry l of the list. */
export function perLayer<T>(value: T | readonly T[], l: number): T {
  return Array.isArray(value) ? (value as readonly T[])[l] : (value as T);
}

/**
 * The cross-field rule of the per-layer fields, in the form a zod superRefine takes: a list given for activation or
 * activationParam has one entry per hidden layer.
 */
export function depthRefinements(n: {
  hidden: number | readonly number[];
  activation: ActivationName | readonly ActivationName[];
  activationParam: number | null | readonly (number | null)[];
}): { path: string[]; message: string; input: unknown }[] {
  const L = hiddenLayers(n.hidden);
  const out: { path: string[]; message: string; input: unknown }[] = [];
  if (Array.isArray(n.activation) && n.activation.length !== L) {
    const message = `a list of ${L} name${L === 1 ? "" : "s"} (one per hidden layer) or a single name`;
    out.push({ path: ["activation"], message, input: n.activation });
  }
  if (Array.isArray(n.activationParam) && n.activationParam.length !== L) {
    const message = `a list of ${L} number${L === 1 ? "" : "s"} or nulls (one per hidden layer), a number or null`;
    out.push({ path: ["activationParam"], message, input: n.activationParam });
  }
  return out;
}

/**
 * The activation parameters resolved (null: the default of the layer's activation): a number when neither activation
 * nor activationParam is a list (the three-layer form), otherwise one number per hidden layer.
 */
export function resolveActivationParams(n: {
  hidden: number | readonly number[];
  activation: ActivationName | readonly ActivationName[];
  activationParam: number | null | readonly (number | null)[];
}): number | number[] {
  if (!Array.isArray(n.activation) && !Array.isArray(n.activationParam)) {
    return (n.activationParam as number | null) ?? defaultActivationParam(n.activation as ActivationName);
  }
  return Array.from(
    { length: hiddenLayers(n.hidden) },
    (_, l) => perLayer(n.activationParam, l) ?? defaultActivationParam(perLayer(n.activation, l)),
  );
}
