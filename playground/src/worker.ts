/**
 * The engine of the playground, in a Web Worker so that the page stays responsive: the WASM backend of the package's
 * browser entry, and trainNetwork, the function `weightdyn run` trains with, on the config the page sends. A run posts
 * its progress after every chunk of steps (chunks sized to about CHUNK_SECONDS of work) and its files at the end,
 * formatted by the library's own serialisers (runOutputsOf, runFileTexts, the CLV collector's CSV texts), so they are
 * the files of `weightdyn run --backend wasm` on the same config.
 *
 * An ensemble trains its runs one after another, run i with init.seed = runSeed(seed, i) (seededConfig), and records
 * the early FTLE spectrum over [0, e) as `weightdyn ensemble` does (EarlyAccumulator, earlyWindow).
 */
import { LogRAccumulator } from "../../src/algorithms/ftle.js";
import {
  type ChunkInfo,
  ConfigError,
  exponentCount,
  loadWasmBackend,
  type NetworkSystem,
  networkOutputs,
  networkShape,
  problemOf,
  type RunConfig,
  runFileTexts,
  runOutputsOf,
  runSeed,
  seededConfig,
  trainNetwork,
  type WasmBackend,
} from "../../src/browser.js";
import { EarlyAccumulator, earlyWindow } from "../../src/ensemble/early.js";
import { type PastedTable, prepare } from "./prepare.js";
import type { Fit, FromWorker, Progress, ToWorker } from "./protocol.js";

/** Work per chunk between two progress messages, in seconds (the chunk size adapts to it). */
const CHUNK_SECONDS = 0.08;
/** Points of the fitted curve of a one-input network. */
const FIT_POINTS = 160;

const scope = self as unknown as {
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
};

const backendReady: Promise<WasmBackend> = loadWasmBackend(new URL("./weightdyn.wasm", import.meta.url));

function post(message: FromWorker, transfer: Transferable[] = []): void {
  scope.postMessage(message, transfer);
}

function fail(id: number, err: unknown): void {
  if (err instanceof ConfigError) post({ type: "error", id, message: err.message, issues: [...err.issues] });
  else post({ type: "error", id, message: err instanceof Error ? err.message : String(err), issues: null });
}

/** The display points of the fit: a fine grid over the data's x range (one input), else the samples themselves. */
function fitPoints(X: Float64Array, inputs: number): Float64Array {
  if (inputs !== 1) return X;
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const x of X) {
    lo = Math.min(lo, x);
    hi = Math.max(hi, x);
  }
  if (!(hi > lo)) return X.slice();
  return Float64Array.from({ length: FIT_POINTS }, (_, i) => lo + ((hi - lo) * i) / (FIT_POINTS - 1));
}

/** Steps of the next chunk: about CHUNK_SECONDS at the rate of the last one, a multiple of qrEvery. */
class ChunkClock {
  private steps: number;
  private last = performance.now();
  constructor(private readonly qrEvery: number) {
    this.steps = qrEvery * Math.max(1, Math.round(20 / qrEvery));
  }
  next(done: number): number {
    return done + this.steps;
  }
  tick(stepsDone: number): void {
    const now = performance.now();
    const seconds = Math.max((now - this.last) / 1000, 1e-4);
    this.last = now;
    const rate = stepsDone / seconds;
    const target = Math.min(Math.max(rate * CHUNK_SECONDS, 1), 20000);
    this.steps = this.qrEvery * Math.max(1, Math.round(target / this.qrEvery));
  }
}

function run(id: number, raw: unknown, csv: string | null, backend: WasmBackend): void {
  const t0 = performance.now();
  const { config, problem } = prepare(raw, csv);
  const ly = config.lyapunov;
  const shape = networkShape(config.network);
  const xs = fitPoints(problem.X, config.network.inputs);
  const fitOf = (w: Float64Array): Fit => ({ x: xs, f: networkOutputs(backend, shape, w, xs) });
  let system: NetworkSystem | null = null;
  let k = 0;
  let acc: LogRAccumulator | null = null;
  let windowsSent = 0;
  let lossesSent = 0;
  const clock = new ChunkClock(ly.qrEvery);
  const onChunk = (info: ChunkInfo) => {
    k = info.k;
    acc ??= new LogRAccumulator(info.k, ly.qrEvery, ly.ftleWindow, ly.transient);
    // As lyapunovSpectrum: chunks end at the end of the transient, and only measured QRs enter the estimates.
    if (info.start >= ly.transient && info.k > 0) acc.add(info.logRDiag, info.logRDiag.length / info.k);
    clock.tick(info.steps);
  };
  const onProgress = (done: number, total: number) => {
    if (!system) return;
    const losses = system.lossHistory().slice(lossesSent);
    const lossFrom = lossesSent;
    lossesSent += losses.length;
    const windows = acc?.windows();
    const runningAll = acc?.runningEstimates();
    const n = windows ? windows.starts.length : 0;
    const message: Progress = {
      type: "progress",
      id,
      done,
      total,
      lossFrom,
      losses,
      k,
      starts: windows ? windows.starts.slice(windowsSent) : [],
      ftle: windows ? windows.values.slice(windowsSent * k) : new Float64Array(0),
      runningSteps: runningAll ? runningAll.steps.slice(windowsSent) : [],
      running: runningAll ? runningAll.values.slice(windowsSent * k) : new Float64Array(0),
      fit: fitOf(system.weights()),
    };
    windowsSent = n;
    post(message, [message.losses.buffer, message.ftle.buffer, message.running.buffer]);
  };
  const result = trainNetwork(config, problem, backend, {
    onSystem: (s) => {
      system = s;
    },
    onProgress,
    spectrumHooks: { onChunk, nextStop: (done) => clock.next(done) },
  });
  const texts = runFileTexts(runOutputsOf(result));
  const clv = result.clv;
  const angles = clv?.collector ? clv.collector.csvTexts().angles : undefined;
  post({
    type: "done",
    id,
    files: { ...texts, ...(angles !== undefined ? { "clv-angles.csv": angles } : {}) },
    exponents: Array.from(result.spectrum.exponents),
    finalLoss: result.finalLoss,
    diverged: result.spectrum.diverged,
    fit: result.spectrum.diverged ? null : fitOf(result.finalWeights),
    clvAngles: clv?.arrays ? clv.arrays.angles : null,
    clvSkipped: clv && !clv.arrays ? String(clv.summary.skipped ?? "no CLVs") : null,
    seconds: (performance.now() - t0) / 1000,
  });
}

/** One run of an ensemble as `weightdyn ensemble` records it (src/ensemble/record.ts): final loss and early FTLEs. */
function member(config: RunConfig, pasted: PastedTable | undefined, e: number, backend: WasmBackend) {
  const problem = problemOf(config, pasted);
  const early = new EarlyAccumulator(exponentCount(config), config.lyapunov.qrEvery, [e]);
  const run = trainNetwork(config, problem, backend, {
    spectrumHooks: { onChunk: (c) => early.add(c.start, c.logRDiag) },
  });
  const lossAt = (t: number) => (t < run.losses.length ? run.losses[t] : Number.NaN);
  return { run, window: earlyWindow(e, early.ftle[0], lossAt(e)) };
}

function ensemble(id: number, msg: Extract<ToWorker, { type: "ensemble" }>, backend: WasmBackend): void {
  const t0 = performance.now();
  // The config and the pasted CSV are checked and parsed once; each run builds its problem from its own seed.
  const { config, pasted } = prepare(msg.raw, msg.csv);
  for (let i = 0; i < msg.runs; i++) {
    const seed = runSeed(msg.seed, i);
    const { run, window } = member(seededConfig(config, seed), pasted, msg.early, backend);
    post({
      type: "member",
      id,
      index: i,
      seed,
      diverged: run.spectrum.diverged,
      finalLoss: Number.isFinite(run.finalLoss) ? run.finalLoss : null,
      early: window.ftle,
      earlyMax: window.max,
    });
  }
  post({ type: "finished", id, seconds: (performance.now() - t0) / 1000 });
}

scope.onmessage = (event) => {
  const msg = event.data;
  backendReady.then(
    (backend) => {
      try {
        if (msg.type === "run") run(msg.id, msg.raw, msg.csv, backend);
        else ensemble(msg.id, msg, backend);
      } catch (err) {
        fail(msg.id, err);
      }
    },
    (err: unknown) => fail(msg.id, err),
  );
};

backendReady.then(
  () => post({ type: "ready" }),
  (err: unknown) => fail(-1, err),
);
