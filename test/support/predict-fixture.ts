/**
 * A synthetic ensemble directory for the tests of `weightdyn predict`, written without the ensemble code:
 * runs.ndjson (in the format `weightdyn ensemble` writes, with a trailing partial line) and study.json.
 *
 * Each run is high-loss with probability pHigh; log10 c_f is drawn around -1.5 (high) or -4 (low). The early loss
 * carries `lossSignal` of that information and the leading early FTLE `ftleSignal` (both in standard deviations of
 * their noise), so tests can build cases where the FTLEs add, or do not add, information. Some runs diverge (c_f
 * null), a few of them before the last early window (that window then has ftle null).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fixtureRng } from "./linalg.js";

export interface FixtureOptions {
  perGroup?: number;
  activations?: string[];
  pHigh?: number;
  pDiverged?: number;
  ftleSignal?: number;
  lossSignal?: number;
  windows?: number[];
  k?: number;
  seed?: number;
  /** Append a partial (unterminated) line. */
  partialLine?: boolean;
}

export function fixtureRuns(options: FixtureOptions = {}): Record<string, unknown>[] {
  const {
    perGroup = 60,
    activations = ["tanh", "relu"],
    pHigh = 0.35,
    pDiverged = 0.05,
    ftleSignal = 2,
    lossSignal = 1,
    windows = [20, 60],
    k = 4,
    seed = 7,
  } = options;
  const u = fixtureRng(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
  const runs: Record<string, unknown>[] = [];
  let index = 0;
  activations.forEach((activation, g) => {
    for (let d = 0; d < perGroup; d++) {
      const high = u() < pHigh;
      const diverged = u() < pDiverged;
      const divergedAt = diverged ? (u() < 0.5 ? windows[windows.length - 1] - 1 : 150) : null;
      const log10cf = high ? -1.5 + 0.3 * normal() : -4 + 0.4 * normal();
      const early = windows.map((window) => {
        if (divergedAt !== null && divergedAt < window) {
          return { window, ftle: null, max: null, sum: null, positive: null, loss: null };
        }
        const bad = high || diverged ? 1 : 0;
        const ftle = Array.from(
          { length: k },
          (_, j) => 0.002 * (bad * ftleSignal * (j === 0 ? 1 : 0) + normal()) - 0.01 * j,
        );
        const loss = 10 ** (-1 + 0.2 * (bad * lossSignal + normal()));
        return {
          window,
          ftle,
          max: Math.max(...ftle),
          sum: ftle.reduce((a, b) => a + b, 0),
          positive: ftle.filter((v) => v > 0).length,
          loss,
        };
      });
      const finalLoss = diverged ? null : 10 ** log10cf;
      runs.push({
        index,
        studyId: "fixture",
        gridPoint: g,
        draw: d,
        params: { "network.activation": activation },
        seed: 1000 + index,
        backend: "native",
        steps: 200,
        diverged,
        divergedAt,
        finalLoss,
        lossCheckpoints: [
          [0, 0.4],
          [windows[0], early[0].loss],
          [200, finalLoss],
        ],
        early,
        wallTimeSeconds: 0.01,
      });
      index++;
    }
  });
  return runs;
}

/** Writes runs.ndjson and study.json into dir (created) and returns the runs. */
export function writeFixture(dir: string, options: FixtureOptions = {}): Record<string, unknown>[] {
  mkdirSync(dir, { recursive: true });
  const runs = fixtureRuns(options);
  const windows = options.windows ?? [20, 60];
  let text = runs.map((r) => `${JSON.stringify(r)}\n`).join("");
  if (options.partialLine ?? true) text += `{"index": ${runs.length}, "studyId": "fixture", "finalLoss": 0.0`;
  writeFileSync(join(dir, "runs.ndjson"), text);
  // The shape of the ensemble's study.json header (src/ensemble/store.ts), with the fields predict reads.
  const study = {
    format: "weightdyn-ensemble/1",
    studyId: "fixture",
    study: {
      base: {
        network: { inputs: 1, hidden: 3, outputs: 1, activation: "tanh" },
        data: { function: "sin", samples: 12 },
        training: { learningRate: 0.1, steps: 200 },
        lyapunov: { exponents: options.k ?? 4, ftleWindow: 20 },
      },
      grid: { "network.activation": options.activations ?? ["tanh", "relu"] },
      runs: options.perGroup ?? 60,
      seed: 7,
      early: windows,
      lossCheckpoints: null,
    },
    baseDir: dir,
  };
  writeFileSync(join(dir, "study.json"), JSON.stringify(study, null, 2));
  return runs;
}
