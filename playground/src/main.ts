/**
 * The playground page: the controls, the worker that trains, the views and the shared link.
 *
 * Run: the controls' raw config is checked by prepare() (the command line's schema and data checks, with its
 * messages); an error is shown at its control and in the error box and nothing starts. Otherwise the config goes into
 * the URL and to the worker, whose progress is drawn as it comes; at the end the run's files can be downloaded
 * (summary.json, loss.csv, ftle.csv, clv-angles.csv; with config.json and the pasted data.csv, `weightdyn run
 * --config config.json --out DIR --backend wasm` gives the same files, timings aside). Stop ends the worker (a new one
 * starts); the runs of an ensemble that finished are kept.
 */
import {
  ACTIVATION_NAMES,
  ConfigError,
  type ConfigIssue,
  DEFAULT_RUN_CONFIG,
  formatCsv,
  OUTPUT_ACTIVATION_NAMES,
  parseRunConfig,
  RULE_NAMES,
  TARGET_NAMES,
} from "../../src/browser.js";
import { mimeOf, showDownloads } from "./downloads.js";
import { EnsembleView } from "./ensemble-view.js";
import { controlFor, fillForm, formConfig, type Raw, readHash, writeHash } from "./form.js";
import { CSV_FILE, type Prepared, prepare } from "./prepare.js";
import type { FromWorker, ToWorker } from "./protocol.js";
import { RunView } from "./run-view.js";

const $ = <T extends HTMLElement = HTMLElement>(sel: string) => document.querySelector(sel) as T;

const form = $<HTMLFormElement>("#controls");
const csvBox = $<HTMLTextAreaElement>("#csv");
const statusEl = $("#status");
const progressEl = $<HTMLProgressElement>("#progress");
const errorsEl = $("#errors");
const buttons = {
  run: $<HTMLButtonElement>("#run"),
  ensemble: $<HTMLButtonElement>("#ensemble"),
  stop: $<HTMLButtonElement>("#stop"),
};
const ensembleFields = {
  runs: $<HTMLInputElement>("#ens-runs"),
  seed: $<HTMLInputElement>("#ens-seed"),
  early: $<HTMLInputElement>("#ens-early"),
};

function options(select: HTMLSelectElement, names: readonly string[]): void {
  select.replaceChildren(
    ...names.map((n) => Object.assign(document.createElement("option"), { value: n, textContent: n })),
  );
}
options($<HTMLSelectElement>("#output-activation"), OUTPUT_ACTIVATION_NAMES);
options($<HTMLSelectElement>("#target"), [...TARGET_NAMES, "csv"]);
options($<HTMLSelectElement>("#optimizer"), RULE_NAMES);
$("#activations").replaceChildren(
  ...ACTIVATION_NAMES.map((n) => Object.assign(document.createElement("option"), { value: n })),
);
form
  .querySelector('[data-when="data.function=FUNCTIONS"]')
  ?.setAttribute("data-when", `data.function=${TARGET_NAMES.join(" ")}`);

// The config the page was opened with: fields no control shows are kept from it.
const shared = readHash(location.hash);
let base: Raw = shared.config ?? (structuredClone(DEFAULT_RUN_CONFIG) as unknown as Raw);
/** The controls show the config with every default applied (the schema's), or as written when it is not valid. */
function viewOf(raw: Raw): Raw {
  try {
    return parseRunConfig(raw) as unknown as Raw;
  } catch {
    return raw;
  }
}
fillForm(viewOf(base), form);
if (shared.csv !== null) csvBox.value = shared.csv;
for (const [key, value] of Object.entries(shared.ensemble))
  ensembleFields[key as keyof typeof ensembleFields].value = value;

const runView = new RunView(document);
const ensembleView = new EnsembleView($("#ensemble-caption"), $("#chart-ensemble"));

// ---- the worker -------------------------------------------------------------------------------------------------
let worker: Worker;
let current = 0;
let ready = false;

function startWorker(): void {
  ready = false;
  worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
  worker.onmessage = (event: MessageEvent<FromWorker>) => onWorker(event.data);
  worker.onerror = (event) => {
    setStatus(`the worker failed: ${event.message}`);
    finish();
  };
}

function send(message: ToWorker): void {
  worker.postMessage(message);
}

function setStatus(text: string): void {
  statusEl.textContent = text;
}

function busy(on: boolean): void {
  buttons.run.disabled = on || !ready;
  buttons.ensemble.disabled = on || !ready;
  buttons.stop.disabled = !on;
  document.body.dataset.state = on ? "running" : ready ? "ready" : "loading";
}

function finish(): void {
  busy(false);
}

let ensembleTotal = 0;

function onWorker(msg: FromWorker): void {
  if (msg.type === "ready") {
    ready = true;
    busy(false);
    setStatus("ready");
    return;
  }
  if (msg.id !== current) return;
  switch (msg.type) {
    case "progress":
      progressEl.value = msg.done / msg.total;
      setStatus(`step ${msg.done} of ${msg.total}`);
      runView.progress(msg);
      break;
    case "done": {
      progressEl.value = 1;
      const loss = Number.isFinite(msg.finalLoss) ? msg.finalLoss.toPrecision(4) : String(msg.finalLoss);
      setStatus(
        `done in ${msg.seconds.toFixed(2)} s: final loss ${loss}${msg.diverged ? " (diverged)" : ""}${msg.clvSkipped ? `; no CLVs: ${msg.clvSkipped}` : ""}`,
      );
      runView.done(msg);
      const files: Record<string, string> = {
        ...msg.files,
        "config.json": `${JSON.stringify(lastRun?.raw, null, 2)}\n`,
      };
      if (lastRun?.csv !== null && lastRun?.csv !== undefined) files[CSV_FILE] = lastRun.csv;
      showDownloads($("#downloads"), files, mimeOf);
      document.body.dataset.run = "done";
      finish();
      break;
    }
    case "member":
      ensembleView.add(msg);
      progressEl.value = (msg.index + 1) / ensembleTotal;
      setStatus(`ensemble: run ${msg.index + 1} of ${ensembleTotal}`);
      break;
    case "finished":
      setStatus(`ensemble of ${ensembleTotal} runs done in ${msg.seconds.toFixed(1)} s`);
      ensembleView.draw();
      showEnsembleDownloads();
      document.body.dataset.ensemble = "done";
      finish();
      break;
    case "error":
      showErrors(msg.message, msg.issues);
      setStatus("stopped by an error");
      finish();
      break;
  }
}

// ---- errors -----------------------------------------------------------------------------------------------------
function clearErrors(): void {
  errorsEl.hidden = true;
  errorsEl.textContent = "";
  for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
  for (const el of form.querySelectorAll(".field-error")) el.remove();
}

function showErrors(message: string, issues: readonly ConfigIssue[] | null): void {
  clearErrors();
  errorsEl.hidden = false;
  errorsEl.textContent = message;
  for (const issue of issues ?? []) {
    const control = issue.field === "" ? null : controlFor(issue.field, form);
    if (!control) continue;
    control.setAttribute("aria-invalid", "true");
    const note = document.createElement("small");
    note.className = "field-error";
    note.textContent = message.split("\n").find((line) => line.includes(`${issue.field}:`)) ?? issue.detail;
    control.closest("label")?.after(note);
  }
}

/** The checked config of the controls, or null after showing why it is not valid. */
function checked(): { raw: Raw; csv: string | null; prepared: Prepared } | null {
  const raw = formConfig(base, form);
  const csv = $<HTMLSelectElement>("#target").value === "csv" ? csvBox.value : null;
  try {
    const prepared = prepare(raw, csv);
    clearErrors();
    return { raw, csv, prepared };
  } catch (err) {
    if (err instanceof ConfigError) showErrors(err.message, err.issues);
    else showErrors(err instanceof Error ? err.message : String(err), null);
    return null;
  }
}

function share(raw: Raw, csv: string | null): void {
  base = raw;
  const ensemble = Object.fromEntries(Object.entries(ensembleFields).map(([k, el]) => [k, el.value]));
  history.replaceState(null, "", writeHash({ config: raw, csv, ensemble }));
}

// ---- actions ----------------------------------------------------------------------------------------------------
let lastRun: { raw: Raw; csv: string | null } | null = null;

function run(): void {
  const c = checked();
  if (!c) return;
  share(c.raw, c.csv);
  lastRun = { raw: c.raw, csv: c.csv };
  current++;
  const { config, problem } = c.prepared;
  runView.start({ X: problem.X, Y: problem.Y, inputs: config.network.inputs, outputs: config.network.outputs });
  $("#downloads").replaceChildren();
  delete document.body.dataset.run;
  progressEl.value = 0;
  setStatus("training...");
  busy(true);
  selectView("run");
  send({ type: "run", id: current, raw: c.raw, csv: c.csv });
}

/** A positive integer from an ensemble field, or an error naming it. */
function ensembleNumber(name: string, el: HTMLInputElement, min: number, max: number, fallback?: number): number {
  const text = el.value.trim();
  if (text === "" && fallback !== undefined) return fallback;
  const v = Number(text);
  if (text === "" || !Number.isInteger(v) || v < min || v > max) {
    el.setAttribute("aria-invalid", "true");
    throw new Error(
      `Invalid ensemble: ${name}: expected an integer between ${min} and ${max} but received ${JSON.stringify(text)}`,
    );
  }
  return v;
}

let lastEnsemble: { raw: Raw; runs: number; seed: number; early: number; csv: string | null } | null = null;

/** The config of an ensemble's runs: without lyapunov.clv, which `weightdyn ensemble` refuses (no CLVs per run). */
function withoutClv(raw: Raw): Raw {
  const out = structuredClone(raw);
  const ly = out.lyapunov as Raw | undefined;
  if (ly && "clv" in ly) delete ly.clv;
  return out;
}

function ensemble(): void {
  const c0 = checked();
  if (!c0) return;
  const raw = withoutClv(c0.raw);
  const c = { ...c0, raw, prepared: prepare(raw, c0.csv) };
  const { config } = c.prepared;
  const qr = config.lyapunov.qrEvery;
  let runs: number;
  let seed: number;
  let early: number;
  try {
    runs = ensembleNumber("runs", ensembleFields.runs, 2, 1000);
    seed = ensembleNumber("seed", ensembleFields.seed, 0, 2 ** 53);
    const guess = Math.max(qr, Math.round(config.training.steps / 10 / qr) * qr);
    early = ensembleNumber("early", ensembleFields.early, 1, config.training.steps, guess);
    if (early % qr !== 0) {
      ensembleFields.early.setAttribute("aria-invalid", "true");
      throw new Error(`Invalid ensemble: early: expected a multiple of lyapunov.qrEvery (${qr}) but received ${early}`);
    }
  } catch (err) {
    showErrors((err as Error).message, null);
    return;
  }
  share(c0.raw, c.csv);
  lastEnsemble = { raw: c.raw, runs, seed, early, csv: c.csv };
  ensembleTotal = runs;
  current++;
  ensembleView.start();
  $("#ensemble-downloads").replaceChildren();
  delete document.body.dataset.ensemble;
  progressEl.value = 0;
  setStatus(`ensemble: ${runs} runs, early window ${early} steps`);
  busy(true);
  selectView("ensemble");
  send({ type: "ensemble", id: current, raw: c.raw, csv: c.csv, runs, seed, early });
}

/** study.json (the `weightdyn ensemble` study of these runs) and the runs as a table. */
function showEnsembleDownloads(): void {
  if (!lastEnsemble) return;
  const e = lastEnsemble;
  const study = { base: e.raw, runs: e.runs, seed: e.seed, early: [e.early] };
  const k = ensembleView.members.reduce((n, m) => Math.max(n, m.early?.length ?? 0), 0);
  const header = [
    "index",
    "seed",
    "diverged",
    "final_loss",
    "early_max",
    ...Array.from({ length: k }, (_, j) => `early_ftle_${j + 1}`),
  ];
  const rows = ensembleView.members.map((m) => [
    m.index,
    m.seed,
    m.diverged ? 1 : 0,
    m.finalLoss ?? Number.NaN,
    m.earlyMax ?? Number.NaN,
    ...Array.from({ length: k }, (_, j) => m.early?.[j] ?? Number.NaN),
  ]);
  const files: Record<string, string> = {
    "study.json": `${JSON.stringify(study, null, 2)}\n`,
    "ensemble.csv": formatCsv(header, rows),
  };
  if (e.csv !== null) files[CSV_FILE] = e.csv;
  showDownloads($("#ensemble-downloads"), files, mimeOf);
}

function stop(): void {
  worker.terminate();
  current++;
  setStatus("stopped");
  startWorker();
  busy(false);
  if (lastEnsemble && ensembleView.members.length > 0) showEnsembleDownloads();
}

function selectView(view: "run" | "ensemble"): void {
  for (const tab of document.querySelectorAll<HTMLButtonElement>("[role=tab]")) {
    tab.setAttribute("aria-selected", String(tab.dataset.view === view));
  }
  $("#view-run").hidden = view !== "run";
  $("#view-ensemble").hidden = view !== "ensemble";
  document.body.dataset.view = view;
  if (view === "run") runView.resize();
  else ensembleView.chart.resize();
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  run();
});
form.addEventListener("change", () => fillVisibility());
buttons.ensemble.addEventListener("click", ensemble);
buttons.stop.addEventListener("click", stop);
$("#share").addEventListener("click", () => {
  const raw = formConfig(base, form);
  const csv = $<HTMLSelectElement>("#target").value === "csv" ? csvBox.value : null;
  share(raw, csv);
  navigator.clipboard?.writeText(location.href).then(
    () => setStatus("link copied"),
    () => setStatus("the link is in the address bar"),
  );
});
for (const tab of document.querySelectorAll<HTMLButtonElement>("[role=tab]")) {
  tab.addEventListener("click", () => selectView(tab.dataset.view as "run" | "ensemble"));
}
window.addEventListener("resize", () => {
  runView.resize();
  ensembleView.chart.resize();
});

/** Shows the controls whose data-when condition holds. */
function fillVisibility(): void {
  for (const el of form.querySelectorAll<HTMLElement>("[data-when]")) {
    const [path, values] = (el.dataset.when as string).split("=");
    const source = form.querySelector<HTMLInputElement | HTMLSelectElement>(`[data-path="${path}"]`);
    const value =
      source instanceof HTMLInputElement && source.type === "checkbox" ? String(source.checked) : source?.value;
    el.hidden = !values.split(" ").includes(value ?? "");
  }
}

fillVisibility();
busy(false);
document.body.dataset.view = "run";
startWorker();
