import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parameterCount } from "../src/config/shape.js";
import { ConfigError, loadRunConfigFile, parseRunConfig } from "../src/config/validate.js";
import { buildDataset, gridSide, samplePoints } from "../src/data/dataset.js";
import { evaluateTarget, MULTI_OUTPUT_SHIFT, TARGETS } from "../src/data/targets.js";
import { CsvError, parseNumericCsv, readNumericCsv, writeCsv } from "../src/io/csv.js";
import { writeRunOutputs } from "../src/io/outputs.js";
import { initialWeights } from "../src/system/init.js";
import { createRng } from "../src/system/rng.js";

/**
 * Statistical tolerances of this file (about 5 standard errors for n = 1e5 draws, so a correct generator fails with
 * probability < 1e-6): mean of U(0,1) has s.e. sqrt(1/12/n) = 9e-4; its variance s.e. ~ 2.7e-4; mean of N(0,1)
 * has s.e. 3.2e-3; its variance s.e. sqrt(2/n) = 4.5e-3.
 */
const STAT = { draws: 100_000, uniformMean: 5e-3, uniformVariance: 2e-3, normalMean: 2e-2, normalVariance: 2.5e-2 };
/** Exact targets at exact points: only the rounding of sin/cos/exp. */
const TARGET_TOL = 1e-15;

const dir = mkdtempSync(join(tmpdir(), "weightdyn-61-"));
let fileCounter = 0;
/** Writes a config (and extra files) into a fresh sub-directory of `dir` and loads it. */
function setup(config: unknown, files: Record<string, string> = {}) {
  const sub = join(dir, `case${fileCounter++}`);
  mkdirSync(sub, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(sub, name), text);
  writeFileSync(join(sub, "run.json"), JSON.stringify(config));
  return loadRunConfigFile(join(sub, "run.json"));
}

function expectFieldError(fn: () => unknown, field: string, pattern: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(ConfigError);
  expect((caught as ConfigError).field).toBe(field);
  expect((caught as ConfigError).message).toMatch(pattern);
}

describe("targets at known points", () => {
  it.each([
    ["sin", [0.5], 1],
    ["sin", [0], 0],
    ["sin", [-0.5], -1],
    ["polynomial", [1], 0.5],
    ["polynomial", [0.5], -0.125],
    ["gauss", [0], 1],
    ["gauss", [0.25], Math.exp(-0.5)],
    ["abs", [-0.3], 0.3],
    ["abs", [0.7], 0.7],
    ["sin2d", [0.5, 0], 1],
    ["sin2d", [0.5, 1], -1],
    ["ripple", [0, 0], 1],
    ["ripple", [0.3, 0.4], -Math.exp(-0.25)],
    ["sin", [0.25, 0.75], 1], // scalar targets take the mean of the inputs
    ["abs", [-1, -0.5, 0], 0.5],
  ] as const)("%s at %j is %d", (name, x, y) => {
    expect(TARGETS[name].evaluate(x)).toBeCloseTo(y, 14);
    expect(Math.abs(TARGETS[name].evaluate(x) - y)).toBeLessThanOrEqual(TARGET_TOL);
  });

  it("output m is the target at x + m * 0.5", () => {
    const out = new Float64Array(3);
    evaluateTarget(TARGETS.sin, [0.25], 3, out);
    expect(MULTI_OUTPUT_SHIFT).toBe(0.5);
    expect(Array.from(out)).toEqual([Math.sin(Math.PI * 0.25), Math.sin(Math.PI * 0.75), Math.sin(Math.PI * 1.25)]);
  });
});

describe("datasets from a target", () => {
  it("inputs = 1: equally spaced points, ends included", () => {
    const config = parseRunConfig({ data: { function: "abs", samples: 5, range: [-1, 1] } });
    const { X, Y, samples } = buildDataset(config, dir);
    expect(samples).toBe(5);
    expect(Array.from(X)).toEqual([-1, -0.5, 0, 0.5, 1]);
    expect(Array.from(Y)).toEqual([1, 0.5, 0, 0.5, 1]);
  });

  it("the last point is range[1] exactly", () => {
    const X = samplePoints(1, 7, [-0.3, 0.7], 0);
    expect(X[0]).toBe(-0.3);
    expect(X[6]).toBe(0.7);
  });

  it("inputs = 2, samples = 9: a 3 x 3 grid, last input fastest", () => {
    const X = samplePoints(2, 9, [0, 1], 0);
    expect(gridSide(9, 2)).toBe(3);
    expect(Array.from(X)).toEqual([0, 0, 0, 0.5, 0, 1, 0.5, 0, 0.5, 0.5, 0.5, 1, 1, 0, 1, 0.5, 1, 1]);
  });

  it("inputs = 3, samples = 64: a 4^3 grid", () => {
    expect(gridSide(64, 3)).toBe(4);
    expect(gridSide(65, 3)).toBeNull();
  });

  it("inputs = 2, samples not a square: seeded uniform points in the box", () => {
    const a = samplePoints(2, 10, [-2, 3], 5);
    expect(a).toEqual(samplePoints(2, 10, [-2, 3], 5));
    expect(a).not.toEqual(samplePoints(2, 10, [-2, 3], 6));
    for (const v of a) expect(v >= -2 && v < 3).toBe(true);
  });

  it("several outputs follow the shift rule", () => {
    const config = parseRunConfig({ network: { inputs: 2, outputs: 2 }, data: { function: "sin2d", samples: 4 } });
    const { X, Y } = buildDataset(config, dir);
    for (let s = 0; s < 4; s++) {
      const [x1, x2] = [X[2 * s], X[2 * s + 1]];
      expect(Y[2 * s]).toBe(Math.sin(Math.PI * x1) * Math.cos(Math.PI * x2));
      expect(Y[2 * s + 1]).toBe(Math.sin(Math.PI * (x1 + 0.5)) * Math.cos(Math.PI * (x2 + 0.5)));
    }
  });
});

describe("datasets from a CSV file", () => {
  it("resolves data.csv against the config's directory and splits the columns", () => {
    const { config, baseDir } = setup(
      { network: { inputs: 2, outputs: 1 }, data: { csv: "d.csv" } },
      { "d.csv": "x1,x2,y\n1,2,3\n-4.5,5e-3,6\n" },
    );
    const { X, Y, samples } = buildDataset(config, baseDir);
    expect(samples).toBe(2);
    expect(Array.from(X)).toEqual([1, 2, -4.5, 5e-3]);
    expect(Array.from(Y)).toEqual([3, 6]);
  });

  it.each([
    [
      "a line with the wrong column count",
      "x,y\n1,2\n3,4,5\n",
      /data\.csv: .*d\.csv:3: expected 2 columns \(as in the header\) but received 3/,
    ],
    [
      "a NaN cell",
      "x,y\n1,2\n3,NaN\n",
      /data\.csv: .*d\.csv:3: column 2 \(y\): expected a finite number but received "NaN"/,
    ],
    ["an Infinity cell", "x,y\n1,-Infinity\n", /d\.csv:2: column 2 \(y\): .*"-Infinity"/],
    [
      "an empty cell",
      "x,y\n1,2\n,4\n",
      /d\.csv:3: column 1 \(x\): expected a finite number but received an empty cell/,
    ],
    ["a non-numeric cell", "x,y\n1,2\n3,abc\n", /d\.csv:3: column 2 \(y\): expected a number but received "abc"/],
    [
      "a header with the wrong column count",
      "x,y,z\n1,2,3\n",
      /data\.csv: expected network\.inputs \+ network\.outputs = 1 \+ 1 = 2 columns but .*d\.csv has 3/,
    ],
    ["no data rows", "x,y\n", /at least one data row/],
  ])("%s names data.csv, the line and the counts", (_what, text, pattern) => {
    const { config, baseDir } = setup({ data: { csv: "d.csv" } }, { "d.csv": text });
    expectFieldError(() => buildDataset(config, baseDir), "data.csv", pattern);
  });

  it("a missing CSV file names data.csv and the path", () => {
    const { config, baseDir } = setup({ data: { csv: "absent.csv" } });
    expectFieldError(() => buildDataset(config, baseDir), "data.csv", /absent\.csv: cannot read: no such file/);
  });

  it("CsvError carries file, line and column", () => {
    try {
      parseNumericCsv("a,b\n1,2\n\n3,4\n", "t.csv");
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(CsvError);
      expect((err as CsvError).line).toBe(3);
    }
    expect(parseNumericCsv('"a", "b"\r\n 1 , "2"\r\n\r\n', "t.csv")).toEqual({
      header: ["a", "b"],
      rows: 1,
      cols: 2,
      values: Float64Array.from([1, 2]),
    });
  });
});

describe("initial weights", () => {
  const D = parameterCount({ inputs: 1, hidden: 10, outputs: 1 });

  it("reads init.weights relative to the config's directory", () => {
    const w = Array.from({ length: D }, (_, p) => p / 7 - 1);
    const { config, baseDir } = setup({ init: { weights: "w0.json" } }, { "w0.json": JSON.stringify(w) });
    expect(Array.from(initialWeights(config, D, baseDir))).toEqual(w);
  });

  it.each([
    [
      "a wrong length",
      JSON.stringify([1, 2, 3]),
      /init\.weights: expected a JSON array of D = 31 numbers .* but received 3/,
    ],
    ["a null entry", JSON.stringify([...Array(30).fill(0), null]), /finite number at index 30 .* received null/],
    ["an overflowing entry", `[${Array(30).fill(0).join(",")},1e999]`, /index 30 .* received Infinity/],
    ["not an array", '{"w": 1}', /JSON array of D = 31 numbers/],
    ["malformed JSON", "[1, 2,", /malformed JSON in .*w0\.json/],
  ])("%s names init.weights", (_what, text, pattern) => {
    const { config, baseDir } = setup({ init: { weights: "w0.json" } }, { "w0.json": text });
    expectFieldError(() => initialWeights(config, D, baseDir), "init.weights", pattern);
  });

  it("a missing weights file names init.weights", () => {
    const { config, baseDir } = setup({ init: { weights: "none.json" } });
    expectFieldError(() => initialWeights(config, D, baseDir), "init.weights", /none\.json: no such file/);
  });

  it("uniform draws are reproducible and lie in [-scale, scale)", () => {
    const config = parseRunConfig({ init: { distribution: "uniform", scale: 0.3, seed: 42 } });
    const w = initialWeights(config, D, dir);
    expect(w).toEqual(initialWeights(config, D, dir));
    for (const v of w) expect(v >= -0.3 && v < 0.3).toBe(true);
    expect(w).not.toEqual(initialWeights(parseRunConfig({ init: { scale: 0.3, seed: 43 } }), D, dir));
  });

  it("normal draws have standard deviation scale", () => {
    const config = parseRunConfig({ init: { distribution: "normal", scale: 2, seed: 3 } });
    const w = initialWeights(config, STAT.draws, dir);
    const mean = w.reduce((a, b) => a + b, 0) / w.length;
    const variance = w.reduce((a, b) => a + (b - mean) ** 2, 0) / w.length;
    expect(Math.abs(mean)).toBeLessThan(2 * STAT.normalMean);
    expect(Math.abs(variance / 4 - 1)).toBeLessThan(STAT.normalVariance);
  });
});

describe("seeded RNG", () => {
  it("the same seed gives the same numbers, another seed others", () => {
    const draw = (seed: number) => {
      const rng = createRng(seed);
      return Array.from({ length: 20 }, (_, i) => (i % 2 ? rng.uniform() : rng.normal()));
    };
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
  });

  it("seeds up to 2^53 work and differ in their high bits", () => {
    const first = (seed: number) => createRng(seed).uniform();
    const values = [0, 2 ** 32, 2 ** 52, 2 ** 53 - 1, 2 ** 53].map(first);
    expect(new Set(values).size).toBe(values.length);
    expect(() => createRng(2 ** 53 + 2)).toThrow(/seed/);
    expect(() => createRng(-1)).toThrow(/seed/);
    expect(() => createRng(1.5)).toThrow(/seed/);
  });

  it("small seeds do not share their first draws", () => {
    const firsts = Array.from({ length: 10 }, (_, seed) => createRng(seed).uniform());
    expect(Math.max(...firsts) - Math.min(...firsts)).toBeGreaterThan(0.2);
  });

  it(`uniform(): mean 1/2 and variance 1/12 over ${STAT.draws} draws`, () => {
    const rng = createRng(12345);
    let sum = 0;
    let sumSq = 0;
    for (let i = 0; i < STAT.draws; i++) {
      const u = rng.uniform();
      expect(u >= 0 && u < 1).toBe(true);
      sum += u;
      sumSq += u * u;
    }
    const mean = sum / STAT.draws;
    expect(Math.abs(mean - 0.5)).toBeLessThan(STAT.uniformMean);
    expect(Math.abs(sumSq / STAT.draws - mean * mean - 1 / 12)).toBeLessThan(STAT.uniformVariance);
  });

  it(`normal(): mean 0 and variance 1 over ${STAT.draws} draws`, () => {
    const rng = createRng(2 ** 40 + 17);
    let sum = 0;
    let sumSq = 0;
    for (let i = 0; i < STAT.draws; i++) {
      const z = rng.normal();
      sum += z;
      sumSq += z * z;
    }
    const mean = sum / STAT.draws;
    expect(Math.abs(mean)).toBeLessThan(STAT.normalMean);
    expect(Math.abs(sumSq / STAT.draws - mean * mean - 1)).toBeLessThan(STAT.normalVariance);
  });
});

describe("CSV and output files", () => {
  it("float64 values survive a CSV round trip exactly", () => {
    const rng = createRng(99);
    const special = [0.1 + 0.2, 1 / 3, -0, 5e-324, Number.MAX_VALUE, -1e-300, Math.PI, 2 ** 53 + 2, 123456789.123];
    const rows = special.map((v) => [v, rng.normal() * 10 ** Math.floor(rng.uniform() * 40 - 20)]);
    const path = join(dir, "round.csv");
    writeCsv(path, ["a", "b"], rows);
    const table = readNumericCsv(path);
    expect(table.header).toEqual(["a", "b"]);
    expect(table.rows).toBe(rows.length);
    rows.forEach((row, r) => {
      expect(Object.is(table.values[2 * r], row[0])).toBe(true);
      expect(Object.is(table.values[2 * r + 1], row[1])).toBe(true);
    });
  });

  it("writeRunOutputs writes summary.json, loss.csv and ftle.csv and no temporary files", () => {
    const out = join(dir, "out", "nested");
    writeRunOutputs(out, {
      summary: { finalLoss: 0.25, exponents: Float64Array.from([0.5, -1]), diverged: false, nan: Number.NaN },
      loss: { steps: [0, 1, 2], values: Float64Array.from([1, 0.5, 0.25]) },
      ftle: { starts: [0, 2], values: Float64Array.from([0.1, -0.2, 0.3, -0.4]), k: 2 },
    });
    expect(readdirSync(out).sort()).toEqual(["ftle.csv", "loss.csv", "summary.json"]);
    expect(JSON.parse(readFileSync(join(out, "summary.json"), "utf8"))).toEqual({
      finalLoss: 0.25,
      exponents: [0.5, -1],
      diverged: false,
      nan: null,
    });
    expect(readFileSync(join(out, "loss.csv"), "utf8")).toBe("step,loss\n0,1\n1,0.5\n2,0.25\n");
    expect(readFileSync(join(out, "ftle.csv"), "utf8")).toBe("start,ftle_1,ftle_2\n0,0.1,-0.2\n2,0.3,-0.4\n");
  });

  it("writeRunOutputs rejects mismatched arrays before writing", () => {
    const out = join(dir, "bad-out");
    expect(() =>
      writeRunOutputs(out, {
        summary: {},
        loss: { steps: [0], values: new Float64Array(2) },
        ftle: { starts: [], values: new Float64Array(0), k: 3 },
      }),
    ).toThrow(/loss\.steps/);
  });
});
