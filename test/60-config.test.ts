import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_RUN_CONFIG } from "../src/config/defaults.js";
import { exponentCount, networkShape, parameterCount } from "../src/config/shape.js";
import { ConfigError, loadRunConfigFile, parseRunConfig } from "../src/config/validate.js";

/** Expects parseRunConfig(raw) to throw a ConfigError whose field is `field` and whose message matches `pattern`. */
function expectConfigError(raw: unknown, field: string, pattern?: RegExp): ConfigError {
  let caught: unknown;
  try {
    parseRunConfig(raw);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(ConfigError);
  const error = caught as ConfigError;
  expect(error.field).toBe(field);
  expect(error.message).toContain(field === "" ? "Invalid config: " : `Invalid config: ${field}: `);
  if (pattern) expect(error.message).toMatch(pattern);
  return error;
}

const FULL_DEFAULTS = {
  network: { inputs: 1, hidden: 10, outputs: 1, activation: "tanh", activationParam: 0, outputActivation: "identity" },
  data: { function: "sin", samples: 40, range: [-1, 1], seed: 0 },
  init: { distribution: "uniform", scale: 1, seed: 1 },
  training: {
    learningRate: 0.1,
    steps: 5000,
    optimizer: { name: "gd" },
    batchSize: null,
    batchSeed: 0,
    schedule: null,
  },
  lyapunov: {
    exponents: "all",
    qrEvery: 1,
    ftleWindow: 100,
    transient: 0,
    basis: "identity",
    basisSeed: 0,
    tangentRoute: "auto",
  },
  backend: "auto",
  limits: { memoryBudget: 2 * 1024 ** 3 },
};

describe("config defaults", () => {
  it("an empty config gets every default", () => {
    expect(parseRunConfig({})).toEqual(FULL_DEFAULTS);
  });

  it("DEFAULT_RUN_CONFIG equals the schema defaults", () => {
    expect(parseRunConfig(DEFAULT_RUN_CONFIG)).toEqual(parseRunConfig({}));
  });

  it("a partial section keeps its other defaults", () => {
    const config = parseRunConfig({ network: { hidden: 3 }, lyapunov: { exponents: 2 } });
    expect(config.network).toEqual({ ...FULL_DEFAULTS.network, hidden: 3 });
    expect(config.lyapunov.exponents).toBe(2);
    expect(config.training).toEqual(FULL_DEFAULTS.training);
  });

  it.each([
    ["leaky-relu", null, 0.01],
    ["elu", null, 1],
    ["tanh", null, 0],
    ["leaky-relu", 0.2, 0.2],
    ["elu", -0.5, -0.5],
  ])("activationParam for %s given %s resolves to %s", (activation, given, expected) => {
    const config = parseRunConfig({ network: { activation, activationParam: given } });
    expect(config.network.activationParam).toBe(expected);
  });

  it("parameterCount, networkShape and exponentCount follow the network", () => {
    const config = parseRunConfig({ network: { inputs: 2, hidden: 5, outputs: 3, activation: "elu" } });
    expect(parameterCount(config.network)).toBe(5 * 3 + 3 * 6);
    expect(exponentCount(config)).toBe(33);
    expect(networkShape(config.network)).toEqual({
      inputs: 2,
      hidden: 5,
      outputs: 3,
      activation: 5,
      activationParam: 1,
      outputActivation: 0,
    });
  });

  it("hidden layers: a list of widths, one activation for all or one per layer, parameters resolved per layer", () => {
    const one = parseRunConfig({ network: { hidden: [6, 4, 3], activation: "leaky-relu" } });
    expect(one.network).toMatchObject({ hidden: [6, 4, 3], activation: "leaky-relu", activationParam: 0.01 });
    // D = 6*2 + 4*7 + 3*5 + 1*4 = 59.
    expect(parameterCount(one.network)).toBe(59);
    expect(exponentCount(one)).toBe(59);
    expect(networkShape(one.network)).toMatchObject({ hidden: [6, 4, 3], activation: 4, activationParam: 0.01 });
    const per = parseRunConfig({
      network: { inputs: 2, hidden: [5, 5], activation: ["elu", "leaky-relu"], activationParam: [null, 0.2] },
    });
    expect(per.network.activationParam).toEqual([1, 0.2]);
    expect(networkShape(per.network)).toMatchObject({ hidden: [5, 5], activation: [5, 4], activationParam: [1, 0.2] });
    // A list of parameters with one name: one parameter per layer, the name's default where null.
    expect(
      parseRunConfig({ network: { hidden: [3, 3], activation: "elu", activationParam: [0.5, null] } }).network
        .activationParam,
    ).toEqual([0.5, 1]);
  });

  it("a three-layer network parses to what it parsed to before lists existed: numbers and names stay as written", () => {
    const config = parseRunConfig({ network: { hidden: 7, activation: "elu" } });
    expect(config.network).toEqual({ ...FULL_DEFAULTS.network, hidden: 7, activation: "elu", activationParam: 1 });
  });

  it("the csv and weights forms replace their sections", () => {
    const config = parseRunConfig({ data: { csv: "d.csv" }, init: { weights: "w0.json" } });
    expect(config.data).toEqual({ csv: "d.csv" });
    expect(config.init).toEqual({ weights: "w0.json" });
  });

  it("lyapunov.clv is validated: an unknown key inside it is an error naming it", () => {
    expect(() => parseRunConfig({ lyapunov: { clv: { every: 10, anything: "goes" } } })).toThrow(
      /lyapunov\.clv\.anything/,
    );
    expect(parseRunConfig({ training: { steps: 3000 }, lyapunov: { clv: { every: 10 } } }).lyapunov.clv).toMatchObject({
      every: 10,
    });
  });

  it("seeds up to 2^53 are accepted", () => {
    expect(parseRunConfig({ init: { seed: 2 ** 53 } }).init).toMatchObject({ seed: 2 ** 53 });
  });
});

describe("config errors name their field", () => {
  it("training.learningRate: a negative learning rate", () => {
    const error = expectConfigError({ training: { learningRate: -0.1 } }, "training.learningRate");
    expect(error.message).toBe(
      "Invalid config: training.learningRate: expected a positive finite number but received -0.1",
    );
  });

  it.each([
    [
      "network.activation",
      { network: { activation: "tanhh" } },
      /expected one of "identity", "tanh".*received "tanhh"/,
    ],
    ["network.outputActivation", { network: { outputActivation: "relu" } }, /received "relu"/],
    ["network.hidden", { network: { hidden: 0 } }, /positive integer but received 0/],
    ["network.inputs", { network: { inputs: 1.5 } }, /positive integer but received 1.5/],
    ["network.hidden[1]", { network: { hidden: [4, 0] } }, /expected a positive integer but received 0/],
    ["network.hidden", { network: { hidden: [] } }, /list of 1 to 64 positive integers .* but received \[\]/],
    ["network.hidden", { network: { hidden: "4" } }, /a positive integer or a list .* but received "4"/],
    [
      "network.activation",
      { network: { hidden: [4, 4, 4], activation: ["tanh", "relu"] } },
      /expected a list of 3 names \(one per hidden layer\) or a single name but received \["tanh","relu"\]/,
    ],
    ["network.activation[1]", { network: { hidden: [4, 4], activation: ["tanh", "tan"] } }, /received "tan"/],
    [
      "network.activationParam",
      { network: { hidden: [4, 4], activationParam: [0.1, 0.2, 0.3] } },
      /a list of 2 numbers or nulls \(one per hidden layer\), a number or null but received \[0.1,0.2,0.3\]/,
    ],
    ["network.activationParam[0]", { network: { hidden: [4, 4], activationParam: ["x", 1] } }, /finite number or null/],

    ["network.activationParam", { network: { activationParam: "x" } }, /finite number or null/],
    ["network.widht", { network: { widht: 3 } }, /unknown key \(known keys: inputs, hidden/],
    ["colour", { colour: "red" }, /unknown key/],
    ["data.function", { data: { function: "cos" } }, /received "cos"/],
    ["data.function", { data: { function: "sin2d" } }, /network.inputs = 1 \(sin2d takes exactly 2 inputs\)/],
    ["data.samples", { data: { samples: 0 } }, /positive integer/],
    ["data.range", { data: { range: [1, -1] } }, /low < high but received \[1,-1\]/],
    ["data.range", { data: { range: [0, 1, 2] } }, /low < high/],
    ["data.range[1]", { data: { range: [0, "1"] } }, /received "1"/],
    ["data.seed", { data: { seed: -1 } }, /between 0 and 2\^53/],
    ["data.csv", { data: { csv: 3 } }, /path string/],
    ["data.samples", { data: { csv: "d.csv", samples: 3 } }, /unknown key/],
    ["init.distribution", { init: { distribution: "cauchy" } }, /one of "uniform", "normal"/],
    ["init.scale", { init: { scale: 0 } }, /positive finite number but received 0/],
    ["init.seed", { init: { seed: 2 ** 53 + 2 } }, /between 0 and 2\^53/],
    ["init.seed", { init: { weights: "w.json", seed: 1 } }, /unknown key/],
    ["training.steps", { training: { steps: 0 } }, /positive integer but received 0/],
    ["training.steps", { training: { steps: Number.POSITIVE_INFINITY } }, /received Infinity/],
    ["lyapunov.exponents", { lyapunov: { exponents: 32 } }, /between 0 and D = 31/],
    ["lyapunov.exponents", { lyapunov: { exponents: -1 } }, /"all" or an integer >= 0/],
    ["lyapunov.exponents", { lyapunov: { exponents: "some" } }, /received "some"/],
    ["lyapunov.qrEvery", { lyapunov: { qrEvery: 0 } }, /positive integer/],
    [
      "lyapunov.ftleWindow",
      { lyapunov: { qrEvery: 3, ftleWindow: 10, transient: 3 } },
      /multiple of lyapunov.qrEvery \(3\) but received 10/,
    ],
    [
      "lyapunov.transient",
      { lyapunov: { qrEvery: 5, transient: 7 } },
      /multiple of lyapunov.qrEvery \(5\) but received 7/,
    ],
    [
      "lyapunov.transient",
      { training: { steps: 100 }, lyapunov: { transient: 100 } },
      /below training.steps \(100\) but received 100/,
    ],
    ["lyapunov.basis", { lyapunov: { basis: "orthogonal" } }, /one of "identity", "random"/],
    ["lyapunov.tangentRoute", { lyapunov: { tangentRoute: "fd" } }, /one of "auto", "hessian", "hvp"/],
    ["lyapunov.clv", { lyapunov: { clv: 3 } }, /expected an object but received 3/],
    ["backend", { backend: "gpu" }, /one of "auto", "native", "wasm" but received "gpu"/],
    ["network", { network: 3 }, /expected an object but received 3/],
  ])("%s", (field, raw, pattern) => {
    expectConfigError(raw, field, pattern);
  });

  it("a config that is not an object", () => {
    expectConfigError([], "", /expected an object but received \[\]/);
  });

  it("lists every issue, one per line, field of the first", () => {
    const error = expectConfigError({ training: { learningRate: -1, steps: 0 } }, "training.learningRate");
    expect(error.issues.map((i) => i.field)).toEqual(["training.learningRate", "training.steps"]);
    expect(error.message.split("\n")).toHaveLength(2);
  });
});

describe("loadRunConfigFile", () => {
  const dir = mkdtempSync(join(tmpdir(), "weightdyn-60-"));

  it("returns the config and its directory as baseDir", () => {
    const sub = join(dir, "cfg");
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, "run.json"), JSON.stringify({ training: { steps: 7 } }));
    const loaded = loadRunConfigFile(join(sub, "run.json"));
    expect(loaded.baseDir).toBe(sub);
    expect(loaded.config.training.steps).toBe(7);
  });

  it("malformed JSON names the file", () => {
    const path = join(dir, "bad.json");
    writeFileSync(path, '{"training": {"steps": 7,}}');
    expect(() => loadRunConfigFile(path)).toThrow(ConfigError);
    expect(() => loadRunConfigFile(path)).toThrow(/malformed JSON in config file .*bad\.json/);
  });

  it("a missing file names the file", () => {
    expect(() => loadRunConfigFile(join(dir, "absent.json"))).toThrow(
      /cannot read config file .*absent\.json: no such file/,
    );
  });

  it("field errors from a file name the field", () => {
    const path = join(dir, "neg.json");
    writeFileSync(path, JSON.stringify({ training: { learningRate: -0.1 } }));
    expect(() => loadRunConfigFile(path)).toThrow(/training\.learningRate: expected a positive finite number/);
  });
});
