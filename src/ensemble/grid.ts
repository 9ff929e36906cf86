/**
 * The grid of an ensemble: dotted run-config paths, each with a list of values, expanded to grid points; and the
 * study's explicit list of settings, each a set of path -> value, that the grid is crossed with.
 *
 *   expandGrid(study) -> GridPoint[]        every point's run config, validated, in grid order
 *   configPathProblem("network.hidden")    -> null, or why the path names no run-config field
 *
 * Grid order: the cartesian product of the value lists in the order of the grid's keys (as written in the study
 * file), the last key varying fastest, like nested loops with the first key outermost. With
 * grid = {"network.activation": ["tanh", "relu"], "init.scale": [1, 2]} the points are
 *   0: tanh, 1    1: tanh, 2    2: relu, 1    3: relu, 2
 * An empty grid has exactly one point: the base config. Run i of the study belongs to point floor(i / runs) and is
 * draw i mod runs of it (the run index is gridPoint * runs + draw).
 *
 * Settings (optional; an atlas of settings that are not a cartesian product, such as a fractional design): a list
 * of objects, each mapping dotted paths to one value. The points are then settings x grid, the setting outermost:
 * point p is setting floor(p / G) crossed with grid point p mod G (G = the grid's size), and its params hold the
 * setting's paths first, then the grid's. Without settings (null) the points are the grid's alone.
 *
 * A point's config is the study's base with each setting and grid value written at its path (objects on the way
 * are created when missing), then validated by parseRunConfig. Errors name the study field they come from: a value
 * from the grid as `grid["network.activation"][1]`, from a setting as `settings[3]["network.hidden"]`, everything
 * else as `base.<field>`.
 */
import type { z } from "zod";
import { ConfigError, type ConfigIssue, describeReceived } from "../config/errors.js";
import {
  csvDataSchema,
  dataSchema,
  fileInitSchema,
  functionDataSchema,
  initSchema,
  type RunConfig,
  randomInitSchema,
  runConfigSchema,
} from "../config/schema.js";
import { parseRunConfig } from "../config/validate.js";
import { StudyError } from "./errors.js";

/** One point of the grid. */
export interface GridPoint {
  /** Position in grid order (see the module comment). */
  index: number;
  /** The grid values of this point, keyed by config path, in the grid's key order. */
  params: Record<string, unknown>;
  /** Index into each grid key's value list. */
  valueIndices: number[];
  /** Index of the point's setting (0 without settings). */
  setting: number;
  /** Where each of params' paths was written in the study file (`grid["k"][1]`, `settings[3]["k"]`), for messages. */
  sources: ValueSource[];
  /** The validated run config (base + grid values); init.seed is replaced by each run's seed later. */
  config: RunConfig;
}

/** A config path set by a point and the study field its value comes from. */
export interface ValueSource {
  key: string;
  field: string;
}

/** The parts of a study the grid needs. */
export interface GridSource {
  base: Record<string, unknown>;
  grid: Record<string, readonly unknown[]>;
  /** Explicit settings crossed with the grid (module comment); null or absent: none. */
  settings?: readonly Record<string, unknown>[] | null;
}

// The two-form sections (data: function | csv; init: random | weights) hide their forms behind a dispatching
// transform; their field sets are looked up here instead.
const KEYED_FORMS = new Map<unknown, z.ZodType[]>([
  [dataSchema, [functionDataSchema, csvDataSchema]],
  [initSchema, [randomInitSchema, fileInitSchema]],
]);

/** The object schemas a schema stands for once defaults, optionals and transforms are looked through. */
function forms(schema: z.ZodType): z.ZodType[] {
  const keyed = KEYED_FORMS.get(schema);
  if (keyed) return keyed;
  const def = schema._zod.def as { type: string; innerType?: z.ZodType; in?: z.ZodType };
  if (def.innerType && ["default", "prefault", "optional", "nullable", "readonly", "catch"].includes(def.type)) {
    return forms(def.innerType);
  }
  if (def.type === "pipe" && def.in) return forms(def.in);
  return [schema];
}

/**
 * configPathProblem(path) -> null | reason
 *
 * Null when `path` (dotted, e.g. "lyapunov.ftleWindow") names a field of the run-config schema, a whole section
 * ("network") included; otherwise why not, listing the known keys where the path leaves the schema. Anything
 * below lyapunov.clv (an object passed through untouched) is accepted.
 */
export function configPathProblem(path: string): string | null {
  const segments = path.split(".");
  if (segments.some((s) => s === "")) return 'expected a dotted run-config path such as "network.hidden"';
  let nodes: z.ZodType[] = [runConfigSchema as unknown as z.ZodType];
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i];
    const where = i === 0 ? "the run config" : segments.slice(0, i).join(".");
    const next: z.ZodType[] = [];
    const known = new Set<string>();
    for (const node of nodes.flatMap(forms)) {
      const def = node._zod.def as { type: string; shape?: Record<string, z.ZodType>; catchall?: z.ZodType };
      if (def.type !== "object" || !def.shape) continue;
      if (Object.hasOwn(def.shape, segment)) next.push(def.shape[segment]);
      else if (def.catchall && def.catchall._zod.def.type !== "never") return null;
      for (const key of Object.keys(def.shape)) known.add(key);
    }
    if (next.length === 0) {
      if (known.size === 0) return `not a run-config field (${where} is not an object)`;
      return `not a run-config field (known keys of ${where}: ${[...known].join(", ")})`;
    }
    nodes = next;
  }
  return null;
}

/** `grid["network.activation"]` */
export function gridField(key: string): string {
  return `grid[${JSON.stringify(key)}]`;
}

/** Number of grid points: the product of the lengths of the value lists (1 for an empty grid). */
export function gridSize(grid: Record<string, readonly unknown[]>): number {
  return Object.values(grid).reduce((n, values) => n * values.length, 1);
}

/** Number of points of a study: settings x grid points. */
export function pointCount(study: Pick<GridSource, "grid" | "settings">): number {
  return (study.settings?.length ?? 1) * gridSize(study.grid);
}

/** `settings[3]["network.hidden"]` */
export function settingField(index: number, key: string): string {
  return `settings[${index}][${JSON.stringify(key)}]`;
}

/** The value indices of grid point `index` (last key fastest). */
export function gridValueIndices(grid: Record<string, readonly unknown[]>, index: number): number[] {
  const lists = Object.values(grid);
  const out = new Array<number>(lists.length);
  let rest = index;
  for (let j = lists.length - 1; j >= 0; j--) {
    out[j] = rest % lists[j].length;
    rest = Math.floor(rest / lists[j].length);
  }
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A deep copy of `base` with `value` written at the dotted `path`; a non-object on the way is a ConfigIssue. */
function withValue(base: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const out = structuredClone(base);
  const segments = path.split(".");
  let node = out;
  for (let i = 0; i < segments.length - 1; i++) {
    const child = node[segments[i]];
    if (child === undefined) node[segments[i]] = {};
    else if (!isPlainObject(child)) {
      const field = `base.${segments.slice(0, i + 1).join(".")}`;
      throw new StudyError(field, `expected an object (the grid sets ${path}) but received ${describeReceived(child)}`);
    }
    node = node[segments[i]] as Record<string, unknown>;
  }
  node[segments[segments.length - 1]] = structuredClone(value);
  return out;
}

/**
 * studyIssue(issue, sources)
 *
 * A run-config issue renamed after the study field it comes from: the grid value or setting when the field is
 * (under) a path the point sets (`grid["data.csv"][0]`, `settings[2]["data.csv"]`), the base otherwise
 * (`base.data.csv`).
 */
export function studyIssue(issue: ConfigIssue, sources: readonly ValueSource[]): ConfigIssue {
  for (const { key, field } of sources) {
    if (issue.field === key || issue.field.startsWith(`${key}.`) || issue.field.startsWith(`${key}[`)) {
      return { field: `${field}${issue.field.slice(key.length)}`, detail: issue.detail };
    }
  }
  return { field: issue.field === "" ? "base" : `base.${issue.field}`, detail: issue.detail };
}

/**
 * expandGrid(study) -> GridPoint[]
 *
 * Every grid point in grid order (module comment) with its validated run config. Throws a StudyError (a
 * ConfigError) listing every problem (each once), with fields named as in the study file.
 */
export function expandGrid(study: GridSource): GridPoint[] {
  const keys = Object.keys(study.grid);
  const lists = Object.values(study.grid);
  const size = gridSize(study.grid);
  const settings = study.settings ?? [{}];
  const count = settings.length * size;
  const points: GridPoint[] = [];
  const issues = new Map<string, ConfigIssue>();
  for (let index = 0; index < count; index++) {
    const setting = Math.floor(index / size);
    const valueIndices = gridValueIndices(study.grid, index % size);
    const params: Record<string, unknown> = {};
    const sources: ValueSource[] = [];
    let raw: Record<string, unknown> = study.base;
    try {
      for (const [key, value] of Object.entries(settings[setting])) {
        params[key] = value;
        sources.push({ key, field: settingField(setting, key) });
        raw = withValue(raw, key, value);
      }
      for (let j = 0; j < keys.length; j++) {
        params[keys[j]] = lists[j][valueIndices[j]];
        sources.push({ key: keys[j], field: `${gridField(keys[j])}[${valueIndices[j]}]` });
        raw = withValue(raw, keys[j], lists[j][valueIndices[j]]);
      }
      points.push({ index, params, valueIndices, setting, sources, config: parseRunConfig(raw) });
    } catch (err) {
      if (err instanceof StudyError) {
        for (const issue of err.issues) issues.set(`${issue.field}\n${issue.detail}`, issue);
        continue;
      }
      if (!(err instanceof ConfigError)) throw err;
      for (const issue of err.issues) {
        const named = studyIssue(issue, sources);
        issues.set(`${named.field}\n${named.detail}`, named);
      }
    }
  }
  if (issues.size > 0) throw new StudyError([...issues.values()]);
  return points;
}
