/**
 * The memory and time plan of a run (src/config/run-plan.ts), against independent truths: the route `auto` takes is
 * the kernels' own choice (chooseRoute on every backend); the bytes the plan puts in the backend are what the WASM
 * twin of the kernels allocates (its heap top before and after creating the network and reserving the route); and,
 * through the CLI as a user would hit it, oversized configs (data.samples 1e7, hidden 12000 with the explicit
 * Hessian, hidden 2^31, 1e12 steps, data.csv /dev/zero or a FIFO) are refused with an error naming the field before
 * the process grows (its resident memory is watched, and it is killed past 700 MiB), and a long run accepted
 * says how long it will take even when stderr is not a terminal.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { layerWidths } from "../src/backend/layers.js";
import { RuleId, type TrainingRule } from "../src/backend/types.js";
import type { WasmExports } from "../src/backend/wasm.js";
import { compileWasmModule } from "../src/backend/wasm-file.js";
import { trainingRule } from "../src/config/optimizer.js";
import { autoRoute, planRun, type RouteName } from "../src/config/run-plan.js";
import { networkShape, parameterCount } from "../src/config/shape.js";
import { parseRunConfig } from "../src/config/validate.js";
import { describeEachBackend } from "./support/backends.js";
import { runCliWatched, startCli, waitFor } from "./support/cli.js";

const dir = mkdtempSync(join(tmpdir(), "weightdyn-62-"));
const ROUTES: RouteName[] = ["hessian", "hvp", "factored"];
const MAX_RSS = 700 * 1024 ** 2;

/** Shapes (one to three hidden layers) and k on both sides of every route boundary of the cost model. */
const CASES: [number, number | number[], number, number, number][] = [];
for (const [i, h, o] of [
  [1, 3, 1],
  [1, 10, 1],
  [2, 40, 1],
  [8, 32, 2],
  [1, 100, 1],
  [3, 200, 3],
  [2, [8, 8], 1],
  [1, [16, 16, 16], 1],
  [3, [20, 10], 2],
  [2, [32, 32], 1],
] as [number, number | number[], number][]) {
  for (const N of [1, 4, 40, 300]) {
    const D = parameterCount({ inputs: i, hidden: h, outputs: o });
    for (const k of [1, 2, 5, Math.ceil(D / 4), D]) CASES.push([i, h, o, N, k]);
  }
}
const gd: TrainingRule = { rule: RuleId.gd, learningRate: 0.1, params: [] };

describeEachBackend("62 the route the plan expects is the kernels' choice", (backend) => {
  it(`autoRoute = chooseRoute for ${CASES.length} shapes, every route among them`, () => {
    const seen = new Set<RouteName>();
    for (const [i, h, o, N, k] of CASES) {
      const shape = networkShape({
        inputs: i,
        hidden: h,
        outputs: o,
        activation: "tanh",
        activationParam: 0,
        outputActivation: "identity",
      });
      const net = backend.createNetwork({
        shape,
        X: new Float64Array(N * i),
        Y: new Float64Array(N * o),
        maxK: k,
        rule: gd,
      });
      const kernel = ROUTES[net.chooseRoute(k) - 1];
      net.dispose();
      const dims = { inputs: i, hidden: h, outputs: o, samples: N, dimension: net.dimension, k, qrEvery: 1 };
      expect(autoRoute(dims), `${i}-${h}-${o}, N = ${N}, k = ${k}`).toBe(kernel);
      seen.add(kernel);
    }
    expect([...seen].sort()).toEqual([...ROUTES].sort());
  });
});

describe("62 the plan's backend bytes are what the WASM twin allocates", () => {
  const instance = new WebAssembly.Instance(compileWasmModule(), { env: { abort: () => {} } });
  const ex = instance.exports as unknown as WasmExports & { heap_top(): number; alloc_f64(n: number): number };
  // The shape's arrays (widths, activation ids, parameters), allocated once before any measurement.
  const shapeBase = ex.alloc_f64(64);
  function create(widths: number[], N: number, k: number, rule: number, params: number[]): number {
    const L = widths.length - 2;
    const ints = new Int32Array(ex.memory.buffer, shapeBase, 2 * L + 3);
    ints.set(widths);
    ints.fill(1, L + 2, 2 * L + 2);
    ints[2 * L + 2] = 0;
    new Float64Array(ex.memory.buffer, shapeBase + 8 * 16, L).fill(0);
    return ex.network_create(
      L,
      shapeBase,
      shapeBase + 4 * (L + 2),
      shapeBase + 8 * 16,
      N,
      k,
      rule,
      0.1,
      params[0] ?? 0,
      params[1] ?? 0,
      params[2] ?? 0,
    );
  }
  // The heap starts at the first allocation: one made and freed first, so that the differences below are sizes.
  ex.network_free(create([1, 1, 1], 1, 1, RuleId.gd, []));
  it.each([
    [1, 10, 1, 40, 31, "hessian", "gd"],
    [2, 30, 3, 100, 5, "factored", "gd"],
    [1, 50, 2, 64, 12, "hvp", "gd"],
    [3, 7, 1, 9, 0, "hvp", "gd"],
    [1, [6, 5], 1, 30, 20, "hessian", "gd"],
    [2, [9, 4, 3], 2, 25, 7, "factored", "gd"],
    [1, 8, 1, 20, 10, "hessian", "momentum"],
    [1, 8, 1, 20, 40, "factored", "adam"],
  ] as const)("%i-%s-%i, N = %i, k = %i, %s route, %s", (i, h, o, N, k, route, optimizer) => {
    const config = parseRunConfig({
      network: { inputs: i, hidden: h, outputs: o },
      data: { function: "sin", samples: N },
      training: { optimizer },
      lyapunov: { exponents: k, tangentRoute: route },
    });
    const plan = planRun(config, N);
    const rule = trainingRule(config.training.optimizer, 0.1);
    const before = ex.heap_top();
    const net = create(layerWidths({ inputs: i, hidden: h, outputs: o }), N, k, rule.rule, rule.params);
    expect(net).not.toBe(0);
    if (k > 0 && route === "hessian") expect(ex.network_reserve_hessian(net)).toBe(1);
    if (k > 0 && route === "factored") expect(ex.network_reserve_factored(net)).toBe(1);
    const allocated = ex.heap_top() - before;
    ex.network_free(net);
    // Block headers (16 bytes), 16-byte rounding of each array, the Network struct, its layout arrays and the
    // rule block: under 1 KiB in all.
    expect(allocated).toBeGreaterThanOrEqual(plan.backendBytes);
    expect(allocated - plan.backendBytes).toBeLessThan(1024);
  });
});

let caseNo = 0;
function configFile(config: unknown): string {
  const sub = join(dir, `case${caseNo++}`);
  mkdirSync(sub, { recursive: true });
  const path = join(sub, "run.json");
  writeFileSync(path, JSON.stringify(config));
  return path;
}

// Each case is a process of its own (its memory watched): they run at once.
describe.concurrent("62 oversized runs are refused before they grow, naming the field", () => {
  const fifo = join(dir, "fifo.csv");
  const haveFifo = spawnSync("mkfifo", [fifo]).status === 0;
  const cases: [string, unknown, RegExp][] = [
    [
      "data.samples: 1e7",
      { data: { samples: 1e7 } },
      /Invalid config: data\.samples: this run needs .* above limits\.memoryBudget = 2 GiB: use fewer samples/,
    ],
    [
      "hidden: 12000 with the explicit Hessian",
      { network: { hidden: 12000 }, lyapunov: { exponents: 2, tangentRoute: "hessian" } },
      /Invalid config: lyapunov\.tangentRoute: this run needs .* GiB .*workspace .* above limits\.memoryBudget .*"factored" route/,
    ],
    [
      "hidden: 2^31",
      { network: { hidden: 2 ** 31 } },
      /Invalid config: network\.hidden: expected at most 1048576 \(the widest layer the kernels take\) but received 2147483648/,
    ],
    [
      "steps: 1e12",
      { training: { steps: 1e12 } },
      /Invalid config: training\.steps: this run needs .* TiB .*history .* use fewer steps/,
    ],
    [
      "data.csv: /dev/zero",
      { data: { csv: "/dev/zero" } },
      /Invalid config: data\.csv: .*\/dev\/zero.*is a device, not a regular file/,
    ],
    ...(haveFifo
      ? [
          [
            "data.csv: a FIFO",
            { data: { csv: fifo } },
            /Invalid config: data\.csv: .*fifo\.csv.*is a FIFO \(named pipe\), not a regular file/,
          ] as [string, unknown, RegExp],
        ]
      : []),
  ];
  it.each(cases)(
    "%s",
    async (_title, config, pattern) => {
      const r = await runCliWatched(["run", "--config", configFile(config), "--out", join(dir, "never"), "--quiet"], {
        maxRssBytes: MAX_RSS,
        timeoutMs: 60_000,
      });
      expect(r.killedFor, `peak resident memory ${(r.peakRss / 2 ** 20).toFixed(0)} MiB`).toBeNull();
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toMatch(pattern);
    },
    90_000,
  );
  if (!haveFifo) it.skip("data.csv: a FIFO [mkfifo not available]", () => {});
});

describe.concurrent("62 a long run says how long it will take", () => {
  it("without a terminal and without --quiet: the estimate, then progress lines", async () => {
    const path = configFile({ training: { steps: 2e7 } });
    const run = startCli(["run", "--config", path, "--out", join(dir, "long")]);
    try {
      await waitFor("the time estimate", () => /weightdyn: .*about .* (min|h|s) to go/.test(run.out.stderr), 60_000);
      expect(run.out.stderr).toMatch(
        /\/20000000 steps in \d+\.\d s: about [\d.]+ (min|h|days) to go; a line every 10%/,
      );
    } finally {
      run.child.kill("SIGKILL");
      await run.exited;
    }
  }, 90_000);
  it("a run whose steps are slow: the planned flops and a lower bound on the time, before it starts", async () => {
    // D = 9001, all 9001 exponents: about 1e12 flops a step; the first chunk of steps alone takes hours.
    const path = configFile({ network: { hidden: 3000 }, training: { steps: 100 } });
    const run = startCli(["run", "--config", path, "--out", join(dir, "slow")]);
    try {
      await waitFor("the plan", () => /weightdyn: planned: /.test(run.out.stderr), 60_000);
      expect(run.out.stderr).toMatch(
        /planned: [\d.]+e\+1\d flops \([\d.]+e\+1\d a step, factored route\) and [\d.]+ GiB: at least \d/,
      );
    } finally {
      run.child.kill("SIGKILL");
      await run.exited;
    }
  }, 90_000);
});
