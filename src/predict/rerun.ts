/**
 * Reruns a handful of runs of the ensemble through the library to draw their FTLEs over the whole training
 * (runs.ndjson keeps only loss checkpoints and the early spectra).
 *
 *   pickRuns(report, perClass)      -> perClass low-loss and perClass high-loss runs of each activation
 *   runConfigFor(base, run)         -> the run's raw config: study.json's base config and the run's params (dotted paths
 *                                      such as "network.activation"); the ensemble's seededConfig then sets the seeds
 *   rerunSeries(report, perClass)   -> { series, notes }
 *
 * The picks are spread over each class of each activation (the runs at 1/6, 1/2 and 5/6 of the class sorted by c_f,
 * for perClass = 3), not its extremes; high picks prefer converged runs. Each rerun is checked against its record: the final loss, and
 * the early FTLE max where an early window e is a whole number of FTLE windows (no transient), as the mean of the
 * first e / ftleWindow window FTLEs. A difference is reported in the notes (it means the config was not rebuilt as
 * the ensemble built it).
 * The engine is imported lazily: when it cannot load, there is a note instead of a figure.
 */

import { LOSS_FLOOR } from "./figure-style.js";
import { studyBaseConfig, studyBaseDir } from "./input.js";
import type { ClassSeries } from "./study-figures.js";
import type { PredictionReport, RunPoint } from "./types.js";

/** The parts of the engine used here, loaded only when the report reruns runs. */
interface Engine {
  trainRun: typeof import("../run.js").trainRun;
  parseRunConfig: typeof import("../config/validate.js").parseRunConfig;
  seededConfig: typeof import("../ensemble/seeds.js").seededConfig;
}

/**
 * Why a rerun may not reproduce its record: the ensemble trains runs of one hidden layer on the lockstep kernels
 * (src/ensemble/lockstep.ts), the rerun on the single-run kernels; the two agree to rounding at every step (test/24),
 * and a run can amplify that over thousands of steps. A large difference in many runs would rather mean a config
 * that is not rebuilt as the ensemble built it.
 */
const WHY_RERUN_DIFFERS =
  ": the ensemble trained it on the lockstep kernels and the rerun on the single-run ones, which agree to rounding " +
  "at each step; a run can amplify that over its steps (a large difference in many runs would rather mean a config " +
  "not rebuilt as the ensemble built it).";

/** Runs of each class per activation that are rerun by default. */
export const RERUNS_PER_CLASS = 8;

async function loadEngine(): Promise<Engine> {
  const [run, validate, seeds] = await Promise.all([
    import("../run.js"),
    import("../config/validate.js"),
    import("../ensemble/seeds.js"),
  ]);
  return { trainRun: run.trainRun, parseRunConfig: validate.parseRunConfig, seededConfig: seeds.seededConfig };
}

/** perClass runs of each label of each activation, spread over the class sorted by c_f. */
export function pickRuns(report: PredictionReport, perClass = RERUNS_PER_CLASS): RunPoint[] {
  const groups = [...new Set(report.runs.map((r) => r.group))].sort();
  return groups.flatMap((g) =>
    pickInGroup(
      report.runs.filter((r) => r.group === g),
      perClass,
    ),
  );
}

function pickInGroup(runs: readonly RunPoint[], perClass: number): RunPoint[] {
  const spread = (rs: RunPoint[]) => {
    const sorted = rs.slice().sort((a, b) => (a.log10FinalLoss ?? Infinity) - (b.log10FinalLoss ?? Infinity));
    if (sorted.length <= perClass) return sorted;
    return Array.from(
      { length: perClass },
      (_, i) => sorted[Math.floor(((2 * i + 1) / (2 * perClass)) * sorted.length)],
    );
  };
  const withSeed = runs.filter((r) => r.seed !== null);
  const low = spread(withSeed.filter((r) => r.label === 0));
  const highConverged = withSeed.filter((r) => r.label === 1 && !r.diverged);
  const high = spread(highConverged);
  const fill = withSeed.filter((r) => r.label === 1 && r.diverged).slice(0, Math.max(0, perClass - high.length));
  return [...low, ...high, ...fill];
}

/** Sets a dotted path ("network.activation") in a plain object, creating the objects on the way. */
function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split(".");
  let node = target;
  for (const key of keys.slice(0, -1)) {
    if (typeof node[key] !== "object" || node[key] === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]] = value;
}

export function runConfigFor(base: Record<string, unknown>, run: RunPoint): Record<string, unknown> {
  const config = structuredClone(base);
  for (const [path, value] of Object.entries(run.params)) setPath(config, path, value);
  return config;
}

/** The config fields the early check reads. */
interface ConfigView {
  lyapunov: { ftleWindow: number; transient: number };
}

/** Compares the record's early FTLE max with the rerun's windows, where they cover the same steps. */
function checkEarly(run: RunPoint, config: ConfigView, spectrum: ReturnType<Engine["trainRun"]>["spectrum"]): string[] {
  const { ftleWindow, transient } = config.lyapunov;
  const { k, ftle } = spectrum;
  const notes: string[] = [];
  for (const [key, recorded] of Object.entries(run.earlyMax)) {
    const e = Number(key);
    const windows = e / ftleWindow;
    if (recorded === null || transient !== 0 || !Number.isInteger(windows) || windows > ftle.starts.length) continue;
    let max = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < k; j++) {
      let mean = 0;
      for (let w = 0; w < windows; w++) mean += ftle.values[w * k + j] / windows;
      max = Math.max(max, mean);
    }
    if (Math.abs(max - recorded) > 1e-9 * (1 + Math.abs(recorded))) {
      notes.push(
        `The rerun of run ${run.index} has early FTLE max ${max.toExponential(4)} at e = ${e}, the ensemble recorded ` +
          `${recorded.toExponential(4)}${WHY_RERUN_DIFFERS}`,
      );
    }
  }
  return notes;
}

export async function rerunSeries(
  report: PredictionReport,
  perClass = RERUNS_PER_CLASS,
): Promise<{ series: ClassSeries[]; notes: string[] }> {
  const base = studyBaseConfig(report.study);
  if (!base) return { series: [], notes: ["No base config in study.json: the runs could not be rerun."] };
  let engine: Engine;
  try {
    engine = await loadEngine();
  } catch (err) {
    return {
      series: [],
      notes: [`The training engine could not be loaded, so no run was rerun: ${(err as Error).message.split("\n")[0]}`],
    };
  }
  const series: ClassSeries[] = [];
  const notes: string[] = [];
  for (const run of pickRuns(report, perClass)) {
    try {
      // The ensemble's own seeding (init.seed and, for random bases, basisSeed), so the rerun is the same run.
      const parsed = engine.parseRunConfig(runConfigFor(base, run));
      const config = run.seed === null ? parsed : engine.seededConfig(parsed, run.seed);
      const result = engine.trainRun(config, { baseDir: studyBaseDir(report.study) ?? report.dir });
      const { k, ftle } = result.spectrum;
      series.push({
        run: run.index,
        group: run.group,
        label: run.label,
        ftle: ftle.starts.map((s, w) => [s, ...Array.from(ftle.values.subarray(w * k, (w + 1) * k))]),
      });
      // Exact fits (both below LOSS_FLOOR) differ at the level of rounding: not worth a note.
      const exactFits =
        run.log10FinalLoss !== null && run.log10FinalLoss < Math.log10(LOSS_FLOOR) && result.finalLoss < LOSS_FLOOR;
      if (run.log10FinalLoss !== null && Number.isFinite(result.finalLoss) && result.finalLoss > 0 && !exactFits) {
        const diff = Math.abs(Math.log10(result.finalLoss) - run.log10FinalLoss);
        if (diff > 1e-6) {
          notes.push(
            `The rerun of run ${run.index} ends at c_f = ${result.finalLoss.toExponential(4)}, the ensemble recorded ` +
              `${(10 ** run.log10FinalLoss).toExponential(4)}${WHY_RERUN_DIFFERS}`,
          );
        }
      }
      notes.push(...checkEarly(run, config as ConfigView, result.spectrum));
    } catch (err) {
      notes.push(`Run ${run.index} could not be rerun: ${(err as Error).message.split("\n")[0]}`);
    }
  }
  return { series, notes };
}
