/** The Markdown table of a benchmark report (bench/run.ts): what `npm run bench` prints and the README shows. */
import type { BenchReport } from "./run.js";

const f = (x: number | null | undefined, digits: number) => (x === null || x === undefined ? "–" : x.toFixed(digits));

/** Three significant digits for rates of very different sizes. */
function rate(x: number): string {
  if (x >= 1000) return Math.round(x).toLocaleString("en-US");
  if (x >= 100) return x.toFixed(0);
  return x.toPrecision(3);
}

export function renderMarkdown(r: BenchReport): string {
  const lines: string[] = [];
  const day = r.date.slice(0, 10);
  lines.push(
    `Measured ${day} on ${r.machine.cpu} (${r.machine.cores} cores, load average ${r.machine.loadavg.join(" ")} at the start), ` +
      `Node ${r.machine.node}${r.quick ? ", quick run (short timings)" : ""}.`,
  );
  if (r.matmul && r.numpy.available) {
    lines.push(
      `Limit: NumPy ${r.numpy.version} matmul, float64, n = ${r.matmul.n}: **${r.matmul.gflops1.toFixed(1)} GFLOP/s on one thread** ` +
        `(the headline reference: the rows on one thread), ${r.matmul.gflopsAll.toFixed(1)} GFLOP/s on all ` +
        `${r.matmul.threadsAll ?? r.machine.cores} threads (${r.numpy.blas}, kernel ${r.numpy.kernel ?? "unknown"}). ` +
        "Peer: bench/numpy_peer.py, the same step in NumPy on one thread.",
    );
  } else lines.push(`No NumPy peer in this run${r.numpy.reason ? ` (${r.numpy.reason})` : ""}.`);
  lines.push("");
  lines.push(
    "| case | D | k | QR every | backend | route | steps/s | ± % | GFLOP/s | × NumPy | of matmul, 1 thread | of matmul, all |",
  );
  lines.push("|---|---:|---:|---:|---|---|---:|---:|---:|---:|---:|---:|");
  const names = [...new Set(r.rows.map((x) => x.case))];
  for (const name of names) {
    const p = r.peer.find((x) => x.case === name);
    for (const row of r.rows.filter((x) => x.case === name)) {
      lines.push(
        `| ${name}${row.lever ? " (lever)" : ""}${row.threads > 1 ? `, ${row.threads} threads` : ""} | ${row.D} | ${row.k} | ${row.qrEvery} | ${row.backend} | ${row.route} | ${rate(row.stepsPerSecond)} | ` +
          `${f(row.rme, 1)} | ${f(row.gflops, 2)} | ${f(row.vsNumpy, 1)} | ${f(row.vsMatmul1, 3)} | ${f(row.vsMatmulAll, 3)} |`,
      );
    }
    if (p) {
      const first = r.rows.find((x) => x.case === name);
      const m1 = r.matmul ? p.gflops / r.matmul.gflops1 : null;
      const ma = r.matmul ? p.gflops / r.matmul.gflopsAll : null;
      lines.push(
        `| ${name} | ${first?.D ?? ""} | ${first?.k ?? ""} | ${first?.qrEvery ?? ""} | NumPy | ${p.route} | ${rate(p.stepsPerSecond)} | ` +
          `${f(p.rme, 1)} | ${f(p.gflops, 2)} | 1 | ${f(m1, 3)} | ${f(ma, 3)} |`,
      );
    }
  }
  lines.push("");
  lines.push(
    "GFLOP/s is effective: the flops of the algorithm each backend ran (its route; bench/flops.ts) times steps/s. " +
      "× NumPy: steps/s over the NumPy peer's. Checks: the first step's log R_jj of weightdyn and of the peer agree to " +
      `${
        r.peer.length ? Math.max(...r.peer.flatMap((p) => Object.values(p.firstLogRMaxDiff))).toExponential(1) : "–"
      } (max abs), so both do the same work.`,
  );
  if (r.lockstep && r.lockstep.rows.length > 0) {
    lines.push("");
    lines.push(
      "Ensembles in lockstep (bench/lockstep.ts): many initial conditions of one network, gradient descent with the full " +
        "tangent map and a QR every step, one thread; weightdyn's runs on the SIMD lanes of its ensemble kernels, the " +
        "peer (bench/numpy_ensemble_peer.py) batches all its runs in NumPy (einsum, stacked matmul and QR).",
    );
    lines.push("");
    lines.push("| ensemble case | D | backend | runs per cycle | run-steps/s | ± % | × NumPy batched |");
    lines.push("|---|---:|---|---:|---:|---:|---:|");
    const cases = [...new Set(r.lockstep.rows.map((x) => x.case))];
    for (const name of cases) {
      const rows = r.lockstep.rows.filter((x) => x.case === name);
      const peer = rows.find((x) => x.backend === "NumPy");
      for (const row of rows) {
        const vs = peer ? row.runStepsPerSecond / peer.runStepsPerSecond : null;
        lines.push(
          `| ${name} | ${row.D} | ${row.backend} | ${row.runs} | ${rate(row.runStepsPerSecond)} | ${f(row.rme, 1)} | ${f(vs, 1)} |`,
        );
      }
    }
    const diffs = r.lockstep.rows.flatMap((x) => Object.values(x.firstLogRMaxDiff ?? {}));
    if (diffs.length > 0) {
      lines.push("");
      lines.push(
        `Check: the peer's first-step log R_jj agree with every backend's to ${Math.max(...diffs).toExponential(1)} (max abs).`,
      );
    }
  }
  if (r.targets.length) {
    lines.push("");
    lines.push("| issue | target | goal | reached | met |");
    lines.push("|---:|---|---|---:|---|");
    for (const t of r.targets)
      lines.push(
        `| ${t.issue} | ${t.name} | ${t.goal} | ${f(t.value, 2)} | ${t.met === null ? "–" : t.met ? "yes" : "no"} |`,
      );
  }
  return `${lines.join("\n")}\n`;
}
