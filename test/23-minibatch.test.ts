/**
 * Minibatches and optimizers through the whole run (issue 12): the epoch schedule's permutations, a one-entry schedule
 * against a run on only those samples, full batch against gd bit for bit, the optimizer in summary.json, CLVs of a
 * 2D state, and the config errors of the new fields.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Backend } from "../src/backend/types.js";
import { ConfigError } from "../src/config/errors.js";
import { parseRunConfig } from "../src/config/validate.js";
import { buildDataset } from "../src/data/dataset.js";
import { runSummary, trainRun } from "../src/run.js";
import { EpochBatches } from "../src/system/batches.js";
import { batchScheduleOf } from "../src/system/schedule-file.js";
import { describeEachBackend } from "./support/backends.js";

const base = {
  network: { hidden: 3, activation: "tanh" },
  data: { function: "sin", samples: 12 },
  training: { learningRate: 0.2, steps: 150 },
  lyapunov: { ftleWindow: 30 },
};

function tmp(): string {
  return mkdtempSync(join(tmpdir(), "weightdyn-23-"));
}

describe("23 the epoch schedule of training.batchSize", () => {
  it("each epoch is a permutation of the samples cut into slices of B, the last one partial (N = 10, B = 4)", () => {
    const s = new EpochBatches(10, 4, 7);
    for (let e = 0; e < 3; e++) {
      const sizes = [0, 1, 2].map((j) => s.batchAt(3 * e + j).length);
      expect(sizes).toEqual([4, 4, 2]);
      const all = [0, 1, 2].flatMap((j) => [...s.batchAt(3 * e + j)]).sort((a, b) => a - b);
      expect(all).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    }
    const epoch = (e: number) => [0, 1, 2].flatMap((j) => [...s.batchAt(3 * e + j)]);
    expect(epoch(0)).not.toEqual(epoch(1));
  });

  it("random access equals sequential access, and the seed alone fixes the batches", () => {
    const a = new EpochBatches(13, 5, 3);
    const late = [...a.batchAt(40)];
    const b = new EpochBatches(13, 5, 3);
    const packed = b.batches(0, 41);
    expect([...packed.indices.subarray(packed.offsets[40], packed.offsets[41])]).toEqual(late);
    expect([...new EpochBatches(13, 5, 4).batchAt(40)]).not.toEqual(late);
  });

  it("a batch size of N or more is full batch", () => {
    const config = parseRunConfig({ ...base, training: { ...base.training, batchSize: 12 } });
    expect(batchScheduleOf(config, 12, ".")).toBeNull();
  });
});

describeEachBackend("23 minibatch runs", (backend: Backend) => {
  it("a one-entry schedule trains exactly like a data file holding only those samples (weights and exponents bit for bit)", () => {
    const dir = tmp();
    const picked = [7, 2, 9, 4, 0];
    const full = buildDataset(parseRunConfig(base), dir);
    const rows = picked.map((s) => `${full.X[s]},${full.Y[s]}`);
    writeFileSync(join(dir, "subset.csv"), `x,y\n${rows.join("\n")}\n`);
    writeFileSync(join(dir, "schedule.json"), JSON.stringify([picked]));
    // One route for both (auto would weigh 12 samples against 5).
    const lyapunov = { ...base.lyapunov, tangentRoute: "hvp" };
    const a = trainRun(
      parseRunConfig({ ...base, lyapunov, training: { ...base.training, schedule: "schedule.json" } }),
      {
        backend,
        baseDir: dir,
      },
    );
    const b = trainRun(parseRunConfig({ ...base, lyapunov, data: { csv: "subset.csv" } }), { backend, baseDir: dir });
    expect([...a.finalWeights]).toEqual([...b.finalWeights]);
    expect([...a.spectrum.exponents]).toEqual([...b.spectrum.exponents]);
    expect([...a.spectrum.ftle.values]).toEqual([...b.spectrum.ftle.values]);
    // loss.csv is the loss on all samples: at w_0 it is the full-batch run's, not the subset's.
    const plain = trainRun(parseRunConfig(base), { backend });
    expect(a.losses[0]).toBe(plain.losses[0]);
    expect(a.losses[0]).not.toBe(b.losses[0]);
  });

  it("full batch through the minibatch path (a schedule of all samples in order) equals gd bit for bit", () => {
    const dir = tmp();
    writeFileSync(join(dir, "all.json"), JSON.stringify([[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]]));
    for (const optimizer of ["gd", "adam"]) {
      const plain = trainRun(parseRunConfig({ ...base, training: { ...base.training, optimizer } }), { backend });
      const listed = trainRun(
        parseRunConfig({ ...base, training: { ...base.training, optimizer, schedule: "all.json" } }),
        { backend, baseDir: dir },
      );
      expect([...listed.losses]).toEqual([...plain.losses]);
      expect([...listed.finalState]).toEqual([...plain.finalState]);
      expect([...listed.spectrum.exponents]).toEqual([...plain.spectrum.exponents]);
    }
  });

  it("summary.json states the optimizer, the state dimension and the batches; momentum has 2D exponents", () => {
    const config = parseRunConfig({
      ...base,
      training: { ...base.training, optimizer: { name: "momentum", beta: 0.5 }, batchSize: 5, batchSeed: 2 },
    });
    const run = trainRun(config, { backend });
    const s = runSummary(run);
    expect(s.optimizer).toEqual({ name: "momentum", beta: 0.5 });
    expect(s.dimension).toBe(10);
    expect(s.stateDimension).toBe(20);
    expect(s.exponentCount).toBe(20);
    expect(s.batches).toBe("minibatches of 5, 3 per epoch of 12 samples, batchSeed 2");
    expect(run.finalState.length).toBe(20);
    expect([...run.finalState.subarray(0, 10)]).toEqual([...run.finalWeights]);
  });

  it("CLVs of an Adam run live in the 3D state and name the blocks of w, m and v", () => {
    const config = parseRunConfig({
      ...base,
      training: { ...base.training, optimizer: "adam", learningRate: 0.02 },
      lyapunov: { ftleWindow: 30, exponents: 4, clv: { from: 0, to: 60, backwardTransient: 60 } },
    });
    const run = trainRun(config, { backend });
    const clv = run.clv;
    if (!clv?.arrays) throw new Error("no CLV arrays");
    expect(clv.summary.layers).toEqual([
      "W1",
      "b1",
      "W2",
      "b2",
      "m.W1",
      "m.b1",
      "m.W2",
      "m.b2",
      "v.W1",
      "v.b1",
      "v.W2",
      "v.b2",
    ]);
    expect(clv.arrays.weights.length).toBe(clv.arrays.times.length * 30);
    // Every CLV is a unit vector and its 12 block shares sum to 1.
    const layers = clv.arrays.layers as Float64Array;
    for (let i = 0; i < layers.length; i += 12) {
      const sum = layers.subarray(i, i + 12).reduce((a, b) => a + b, 0);
      expect(Math.abs(sum - 1)).toBeLessThan(1e-12);
    }
  });
});

describe("23 config errors of the optimizer and the minibatches name their field", () => {
  const cases: [string, unknown, string, RegExp][] = [
    [
      "an unknown optimizer",
      { optimizer: "sgdw" },
      "training.optimizer",
      /one of "gd", "momentum", "nesterov", "adam"/,
    ],
    ["an unknown name in the object form", { optimizer: { name: "rmsprop" } }, "training.optimizer.name", /one of/],
    [
      "beta = 1",
      { optimizer: { name: "momentum", beta: 1 } },
      "training.optimizer.beta",
      /a number in \[0, 1\) but received 1/,
    ],
    ["epsilon = 0", { optimizer: { name: "adam", epsilon: 0 } }, "training.optimizer.epsilon", /a number > 0/],
    [
      "a key of another optimizer",
      { optimizer: { name: "momentum", beta1: 0.9 } },
      "training.optimizer.beta1",
      /known keys of momentum: name, beta/,
    ],
    ["a number", { optimizer: 3 }, "training.optimizer", /or an object/],
    ["batchSize 0", { batchSize: 0 }, "training.batchSize", /a positive integer/],
    [
      "batchSize and schedule together",
      { batchSize: 4, schedule: "s.json" },
      "training.batchSize",
      /null when training.schedule is given/,
    ],
  ];
  for (const [title, training, field, pattern] of cases) {
    it(title, () => {
      let err: unknown;
      try {
        parseRunConfig({ training });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).field).toBe(field);
      expect((err as ConfigError).message).toMatch(pattern);
    });
  }

  it("lyapunov.exponents is bounded by the state dimension (2D for momentum)", () => {
    expect(() => parseRunConfig({ ...base, training: { optimizer: "momentum" }, lyapunov: { exponents: 21 } })).toThrow(
      /lyapunov.exponents: expected "all" or an integer between 0 and S = 20 \(the dimension of the training state of momentum: 2 blocks of D = 10\)/,
    );
    expect(parseRunConfig({ ...base, training: { optimizer: "momentum" }, lyapunov: { exponents: 20 } })).toBeTruthy();
  });

  const files: [string, string, RegExp][] = [
    [
      "an index out of range",
      "[[0, 12]]",
      /expected a sample index in \[0, 11\] at entry 0, position 1 but received 12/,
    ],
    ["an empty entry", "[[1], []]", /expected entry 1 to be a list of 1 to N = 12 sample indices/],
    ["not a list", '{"a": 1}', /expected a non-empty JSON array of index lists/],
    ["malformed JSON", "[[1, 2]", /malformed JSON in schedule file/],
  ];
  for (const [title, text, pattern] of files) {
    it(`a schedule file with ${title} is an error naming training.schedule`, () => {
      const dir = tmp();
      writeFileSync(join(dir, "s.json"), text);
      const config = parseRunConfig({ ...base, training: { ...base.training, schedule: "s.json" } });
      let err: unknown;
      try {
        trainRun(config, { baseDir: dir, backend: "wasm" });
      } catch (e) {
        err = e;
      }
      expect((err as ConfigError).field).toBe("training.schedule");
      expect((err as Error).message).toMatch(pattern);
    });
  }
});
