/**
 * `npm run bench`: steps per second of the hot loop (train_chunk) for every case in bench/cases.ts on every backend
 * that loads here, measured by benchmark.js (mean of many cycles, with its relative margin of error).
 *
 *   node --import tsx bench/run.ts [--quick] [--filter TEXT]
 *
 * --quick: short measurement (for CI's smoke run); --filter: only cases whose name contains TEXT.
 */
import Benchmark from "benchmark";
import { availableBackends } from "../src/backend/loader.js";
import type { Backend } from "../src/backend/types.js";
import { networkShape } from "../src/config/shape.js";
import { type BenchCase, CASES, caseData, dimensionOf, kOf } from "./cases.js";

export interface BenchRow {
  backend: string;
  case: string;
  D: number;
  k: number;
  stepsPerSecond: number;
  rme: number;
}

/** A benchmark body: `steps` GD steps of the case, restarting from w0 every `restartEvery` steps. */
export function caseRunner(backend: Backend, c: BenchCase, steps: number) {
  const { X, Y, w0 } = caseData(c);
  const D = dimensionOf(c);
  const k = kOf(c);
  const kernel = backend.createNetwork(
    networkShape({ inputs: c.inputs, hidden: c.hidden, outputs: c.outputs, activation: c.activation, activationParam: 0, outputActivation: "identity" }),
    X,
    Y,
    k,
  );
  const lossOut = new Float64Array(steps);
  const logR = new Float64Array(steps * k);
  let taken = 0;
  const reset = () => {
    kernel.weights.set(w0);
    const Q = kernel.tangent;
    Q.fill(0);
    for (let j = 0; j < k; j++) Q[j * D + j] = 1;
    taken = 0;
  };
  reset();
  return {
    D,
    k,
    run(): void {
      if (taken > 20000) reset();
      const res = kernel.trainChunk(0.01, k, steps, c.qrEvery, 0, lossOut, logR, null);
      if (res.diverged) reset();
      taken += steps;
    },
    dispose: () => kernel.dispose(),
  };
}

export function runBench(options: { quick?: boolean; filter?: string } = {}): BenchRow[] {
  const { backends, missing } = availableBackends();
  for (const m of missing) console.log(`(skipped backend ${m})`);
  const rows: BenchRow[] = [];
  const cases = CASES.filter((c) => !options.filter || c.name.includes(options.filter));
  for (const c of cases) {
    for (const backend of backends) {
      const D = dimensionOf(c);
      // About 5 ms of work per benchmark call, whatever the size.
      const steps = Math.max(1, Math.round(2e5 / (D * (kOf(c) + 2) * c.samples ** 0.5)));
      const runner = caseRunner(backend, c, steps);
      const bench = new Benchmark(`${c.name} [${backend.name}]`, () => runner.run(), {
        maxTime: options.quick ? 0.05 : 2,
        minSamples: options.quick ? 1 : 5,
        initCount: 1,
      });
      bench.run();
      runner.dispose();
      const row: BenchRow = {
        backend: backend.name,
        case: c.name,
        D: runner.D,
        k: runner.k,
        stepsPerSecond: bench.hz * steps,
        rme: bench.stats.rme,
      };
      rows.push(row);
      console.log(
        `${row.case.padEnd(36)} ${row.backend.padEnd(7)} D=${String(row.D).padStart(4)} k=${String(row.k).padStart(4)}  ${row.stepsPerSecond.toFixed(1).padStart(11)} steps/s  ±${row.rme.toFixed(1)}%`,
      );
    }
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const argv = process.argv.slice(2);
  const filterAt = argv.indexOf("--filter");
  runBench({ quick: argv.includes("--quick"), filter: filterAt >= 0 ? argv[filterAt + 1] : undefined });
}
