/**
 * The controls and the raw config they stand for, and the URL that shares them.
 *
 * Every control carries the dotted path of its config field (`data-path="training.learningRate"`, array entries as
 * numbers: `data.range.0`) and a kind that says how its text becomes a JSON value (`data-kind`):
 *   number     a decimal number, or the text itself when it is none (so the schema names what it received); empty:
 *              the field is left out and its default applies
 *   list       comma-separated entries, each a number or a name; one entry is the value itself, several a list
 *              (network.hidden "8, 8", network.activation "tanh, relu": one per hidden layer)
 *   nullable   as number, but empty is null (training.batchSize: full batch)
 *   text       the text (selects)
 *   flag       a checkbox: the section (lyapunov.clv) is present when checked
 * Controls inside an element with `data-when="path=value value2"` count only while that control has one of the
 * values (the optimizer's parameters, the function form of data). Fields no control shows are kept from the config
 * the page was opened with (the URL), so a shared link loses nothing.
 */

export type Raw = Record<string, unknown>;

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

function toNumberOrText(text: string): unknown {
  const t = text.trim();
  return NUMBER.test(t) ? Number(t) : t;
}

function keysOf(path: string): (string | number)[] {
  return path.split(".").map((k) => (/^\d+$/.test(k) ? Number(k) : k));
}

export function getPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const key of keysOf(path)) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string | number, unknown>)[key];
  }
  return cur;
}

function setPath(obj: Raw, path: string, value: unknown): void {
  const keys = keysOf(path);
  if (value === undefined) {
    // Removing a field creates nothing on the way.
    const parent = getPath(obj, keys.slice(0, -1).join("."));
    if (keys.length === 1) delete obj[keys[0]];
    else if (parent !== null && typeof parent === "object") delete (parent as Raw)[keys[keys.length - 1]];
    return;
  }
  let cur: Record<string | number, unknown> = obj;
  keys.slice(0, -1).forEach((key, i) => {
    const next = cur[key];
    if (next === null || typeof next !== "object") cur[key] = typeof keys[i + 1] === "number" ? [] : {};
    cur = cur[key] as Record<string | number, unknown>;
  });
  cur[keys[keys.length - 1]] = value;
}

type Control = HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;

function controls(root: ParentNode): Control[] {
  return Array.from(root.querySelectorAll<Control>("[data-path]"));
}

/** Whether a control counts: every data-when condition around it holds. */
function active(control: Control, root: ParentNode): boolean {
  for (let el: Element | null = control; el && el !== root; el = el.parentElement) {
    const when = el.getAttribute("data-when");
    if (!when) continue;
    const [path, values] = when.split("=");
    const source = root.querySelector<Control>(`[data-path="${path}"]`);
    if (!source) return false;
    const value =
      source instanceof HTMLInputElement && source.type === "checkbox" ? String(source.checked) : source.value;
    if (!values.split(" ").includes(value)) return false;
  }
  return true;
}

function controlValue(control: Control): unknown {
  const kind = control.dataset.kind ?? "text";
  if (kind === "flag") return (control as HTMLInputElement).checked ? {} : undefined;
  const text = control.value;
  if (kind === "text") return text;
  if (text.trim() === "") return kind === "nullable" ? null : undefined;
  if (kind === "list") {
    const entries = text.split(",").map(toNumberOrText);
    return entries.length === 1 ? entries[0] : entries;
  }
  return toNumberOrText(text);
}

function textOf(value: unknown, kind: string): string {
  if (value === undefined || value === null) return "";
  if (kind === "list" && Array.isArray(value)) return value.map(String).join(", ");
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

/** The paths the form owns: a section it rewrites whole when its form changes (data, the optimizer). */
function normalise(base: Raw, root: ParentNode): Raw {
  const raw = structuredClone(base);
  const fn = root.querySelector<Control>('[data-path="data.function"]');
  if (fn && fn.value === "csv") raw.data = { csv: "data.csv" };
  else if (getPath(raw, "data.csv") !== undefined) delete (raw.data as Raw).csv;
  const opt = getPath(raw, "training.optimizer");
  const name = root.querySelector<Control>('[data-path="training.optimizer.name"]')?.value;
  if (typeof opt === "string" || (opt && typeof opt === "object" && (opt as Raw).name !== name)) {
    setPath(raw, "training.optimizer", name === undefined ? undefined : { name });
  }
  return raw;
}

/** The raw config of the controls over `base` (module comment). */
export function formConfig(base: Raw, root: ParentNode): Raw {
  const raw = normalise(base, root);
  for (const control of controls(root)) {
    const path = control.dataset.path as string;
    if (path === "data.function" && control.value === "csv") continue;
    if (!active(control, root)) {
      if (control.dataset.kind !== "flag") setPath(raw, path, undefined);
      continue;
    }
    const value = controlValue(control);
    if (control.dataset.kind === "flag") {
      if (value === undefined) setPath(raw, path, undefined);
      else if (getPath(raw, path) === undefined) setPath(raw, path, value);
      continue;
    }
    setPath(raw, path, value);
  }
  return raw;
}

/** Shows a raw config in the controls; fields without a control stay in `base`. */
export function fillForm(raw: Raw, root: ParentNode): void {
  for (const control of controls(root)) {
    const path = control.dataset.path as string;
    const kind = control.dataset.kind ?? "text";
    if (kind === "flag") {
      (control as HTMLInputElement).checked = getPath(raw, path) !== undefined;
      continue;
    }
    let value = getPath(raw, path);
    if (path === "data.function" && getPath(raw, "data.csv") !== undefined) value = "csv";
    if (path === "training.optimizer.name" && typeof getPath(raw, "training.optimizer") === "string") {
      value = getPath(raw, "training.optimizer");
    }
    if (value === undefined) value = control.dataset.default;
    control.value = textOf(value, kind);
  }
}

/** What the URL's hash carries: the raw config, the pasted CSV, and the ensemble's settings. */
export interface Shared {
  config: Raw | null;
  csv: string | null;
  ensemble: Record<string, string>;
}

export function readHash(hash: string): Shared {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  let config: Raw | null = null;
  const text = params.get("config");
  if (text !== null) {
    try {
      const value: unknown = JSON.parse(text);
      if (value !== null && typeof value === "object" && !Array.isArray(value)) config = value as Raw;
    } catch {
      config = null;
    }
  }
  const ensemble: Record<string, string> = {};
  for (const key of ["runs", "seed", "early"]) {
    const v = params.get(key);
    if (v !== null) ensemble[key] = v;
  }
  return { config, csv: params.get("csv"), ensemble };
}

export function writeHash(shared: Shared): string {
  const params = new URLSearchParams();
  if (shared.config) params.set("config", JSON.stringify(shared.config));
  if (shared.csv !== null) params.set("csv", shared.csv);
  for (const [key, value] of Object.entries(shared.ensemble)) params.set(key, value);
  return `#${params.toString()}`;
}

/** The control a config field belongs to: the one with its path or the nearest enclosing one. */
export function controlFor(field: string, root: ParentNode): Control | null {
  const dotted = field.replace(/\[(\d+)\]/g, ".$1");
  const parts = dotted.split(".");
  for (let n = parts.length; n > 0; n--) {
    const path = parts.slice(0, n).join(".");
    const control = root.querySelector<Control>(`[data-path="${path}"]`);
    if (control && active(control, root)) return control;
    if (path === "data.csv") return root.querySelector<Control>("#csv");
  }
  return null;
}
