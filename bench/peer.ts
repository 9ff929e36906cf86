/**
 * The NumPy peers of the benchmarks (bench/numpy_peer.py, bench/numpy_ensemble_peer.py), run as child processes.
 *
 *   runPython(script, request, threads) -> { out } or { out: null, reason }   the script's JSON answer to `request`
 *   maxAbsDiff(a, b)                                                          the largest |a_i - b_i| (Infinity when
 *                                                                             the lengths differ)
 */
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

/**
 * Runs bench/<script> with `request` as JSON on stdin and parses its JSON answer; null with the reason when python3 or
 * NumPy is missing or the script fails. threads "one" pins OpenBLAS, OpenMP and MKL to one thread; "all" leaves them
 * free. OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE (set on some machines for old OpenBLAS builds) slow a current NumPy:
 * both are unset, for the child only.
 */
export function runPython<T>(
  script: string,
  request: object,
  threads: "one" | "all",
): { out: T | null; reason?: string } {
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  for (const v of ["OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"]) {
    if (threads === "one") env[v] = "1";
    else delete env[v];
  }
  const res = spawnSync(process.env.PYTHON ?? "python3", [join(here, script)], {
    input: JSON.stringify(request),
    env,
    encoding: "utf8",
    maxBuffer: 256 << 20,
  });
  if (res.error) return { out: null, reason: `python3: ${res.error.message}` };
  if (res.status !== 0) return { out: null, reason: (res.stderr || `exit ${res.status}`).trim().split("\n").pop() };
  return { out: JSON.parse(res.stdout) as T };
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
