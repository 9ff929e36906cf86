/**
 * The child process of test/41-held-buffers.test.ts: misuses of the arrays a network holds, through the public API
 * of one backend (argv[2]: native | wasm), in a process of its own, because on a binding that trusts its held arrays
 * these end in SIGSEGV. Prints one JSON line per scenario as it finishes: { name, threw, message } or
 * { name, value }; a scenario that kills the process leaves the lines before it.
 */
import { loadBackend } from "../../src/backend/loader.js";
import { loadNativeAddon } from "../../src/backend/native.js";
import { type Backend, type NetworkKernel, RuleId, type TrainingRule } from "../../src/backend/types.js";
import { createWasmBackend } from "../../src/backend/wasm.js";
import { compileWasmModule } from "../../src/backend/wasm-file.js";
import { sineNetwork141 } from "./networks.js";

const name = process.argv[2] === "native" ? "native" : "wasm";
const backend: Backend = loadBackend(name);
const { shape, X, Y, w0, D } = sineNetwork141();
const rule: TrainingRule = { rule: RuleId.gd, learningRate: 0.1, params: [] };
const chunk = (k: number, nSteps: number, lossOut: Float64Array, logRDiag: Float64Array) => ({
  k,
  nSteps,
  qrEvery: 1,
  route: 0,
  t0: 0,
  lossOut,
  logRDiag,
});

function net(maxK = 2, b: Backend = backend): NetworkKernel {
  const n = b.createNetwork({ shape, X, Y, maxK, rule });
  n.weights.set(w0);
  return n;
}
const detach = (a: Float64Array) => structuredClone(a.buffer, { transfer: [a.buffer] });

function report(scenario: string, run: () => unknown): void {
  let line: Record<string, unknown>;
  try {
    line = { name: scenario, value: run() };
  } catch (err) {
    line = { name: scenario, threw: (err as Error).name, message: (err as Error).message };
  }
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

// The loss at w0 on a fresh network: what a call that was not disturbed returns.
report("reference loss", () => net().loss());
report("detached weights: loss", () => {
  const n = net();
  detach(n.weights);
  return n.loss();
});
report("detached weights: tangentApply", () => {
  const n = net();
  detach(n.weights);
  n.tangentApply(2, 0, 0);
  return "returned";
});
report("detached weights: trainChunk", () => {
  const n = net();
  detach(n.weights);
  return n.trainChunk(chunk(2, 4, new Float64Array(4), new Float64Array(8)));
});
report("detached tangent: tangentApply", () => {
  const n = net();
  n.tangent.fill(0.5);
  detach(n.tangent);
  n.tangentApply(2, 0, 0);
  return "returned";
});
report("detached tangent: trainChunk", () => {
  const n = net();
  detach(n.tangent);
  return n.trainChunk(chunk(2, 4, new Float64Array(4), new Float64Array(8)));
});
report("V and HV overlapping views of one buffer", () => {
  const buf = new Float64Array(D + 1).fill(0.25);
  net().hvp(buf.subarray(0, D), 1, buf.subarray(1, D + 1));
  return "returned";
});
report("grad overlapping the weights", () => {
  const n = net();
  n.lossGrad(n.weights);
  return "returned";
});
report("lossOut overlapping logRDiag", () => {
  const out = new Float64Array(8);
  return net().trainChunk(chunk(1, 4, out.subarray(0, 4), out.subarray(3, 7)));
});
report("qrPositive: R overlapping A", () => {
  const A = Float64Array.from({ length: 6 }, (_, i) => 1 + i * i);
  backend.qrPositive(A, 3, 2, A.subarray(2, 6), new Float64Array(2));
  return "returned";
});
report("weights taken before dispose, written after the next network exists", () => {
  const first = net();
  const stale = first.weights;
  first.dispose();
  const second = net();
  stale.fill(7); // must not reach the second network
  return second.loss();
});
report("weights cached across growth of the backend's memory", () => {
  // A backend of its own (for WASM a fresh linear memory), a cached weights array, then a large network on the
  // same backend (WASM memory grows), then new weights through the cached array.
  const own = name === "wasm" ? createWasmBackend(compileWasmModule()) : backend;
  const n = net(2, own);
  const cached = n.weights;
  const big = own.createNetwork({
    shape: { ...shape, hidden: 400 },
    X: new Float64Array(2000),
    Y: new Float64Array(2000),
    maxK: 50,
    rule,
  });
  cached.set(w0.map((v) => 0.5 * v));
  const loss = n.loss();
  big.dispose();
  return loss;
});
report("reference loss at w0 / 2", () => {
  const n = net();
  n.weights.set(w0.map((v) => 0.5 * v));
  return n.loss();
});

if (name === "native") {
  // The raw addon, as a caller bypassing the TypeScript layer would use it: the held state and Q are its arguments.
  const A = loadNativeAddon() as unknown as { Network: new (...a: unknown[]) => Record<string, () => unknown> };
  const make = (w: Float64Array, Q: Float64Array) =>
    new A.Network(
      Int32Array.from([1, 4, 1]),
      Int32Array.from([1, 0]),
      new Float64Array(1),
      X,
      Y,
      2,
      RuleId.gd,
      0.1,
      new Float64Array(0),
      w,
      Q,
    );
  report("raw: w === Q", () => {
    const both = new Float64Array(2 * D);
    make(both.subarray(0, D), both.subarray(0, 2 * D));
    return "constructed";
  });
  report("raw: w and Q overlapping views", () => {
    const buf = new Float64Array(3 * D);
    make(buf.subarray(0, D), buf.subarray(D - 1, 3 * D - 1));
    return "constructed";
  });
  report("raw: w on a resizable buffer, shrunk", () => {
    const rab = new ArrayBuffer(8 * D, { maxByteLength: 8 * 4 * D });
    const w = new Float64Array(rab, 0, D);
    w.set(w0);
    const n = make(w, new Float64Array(2 * D));
    rab.resize(8 * 2);
    return n.loss();
  });
  report("raw: w length-tracking, buffer grown", () => {
    const rab = new ArrayBuffer(8 * D, { maxByteLength: 8 * 4 * D });
    const w = new Float64Array(rab);
    w.set(w0);
    const n = make(w, new Float64Array(2 * D));
    rab.resize(8 * 2 * D);
    return n.loss();
  });
  report("raw: Q length-tracking, buffer shrunk", () => {
    const rab = new ArrayBuffer(8 * 2 * D, { maxByteLength: 8 * 4 * D });
    const n = make(w0.slice(), new Float64Array(rab));
    rab.resize(8);
    return (n.trainChunk as (...a: unknown[]) => unknown)(
      2,
      2,
      1,
      0,
      0,
      null,
      null,
      new Float64Array(2),
      new Float64Array(4),
      null,
    );
  });
}
process.stdout.write("done\n");
