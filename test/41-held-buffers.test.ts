/**
 * The arrays a network holds (its weights w and tangent block Q) and the arrays a call writes, misused as a careless
 * or hostile caller would: a real detached buffer (structuredClone with transfer), a resizable buffer shrunk or grown
 * under a held view, overlapping views of one buffer passed as an input and an output, a weights array kept past
 * dispose() or across growth of the WASM memory. Each backend must answer with an error naming the array, or with the
 * undisturbed value (the loss of a fresh network at the same weights), and the process must live: the scenarios run
 * in a child process (test/support/held-buffers-child.ts), which on a binding that trusts its held arrays dies of
 * SIGSEGV.
 */
import { spawnSync } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { describeEachBackend } from "./support/backends.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

interface Line {
  name: string;
  value?: unknown;
  threw?: string;
  message?: string;
}

function runScenarios(backend: string): { lines: Map<string, Line>; status: number | null; signal: string | null } {
  const r = spawnSync(
    process.execPath,
    ["--import", "tsx", join(root, "test/support/held-buffers-child.ts"), backend],
    {
      cwd: root,
      encoding: "utf8",
      timeout: 60_000,
    },
  );
  const lines = new Map<string, Line>();
  for (const text of r.stdout.split("\n")) {
    if (text.startsWith("{")) {
      const line = JSON.parse(text) as Line;
      lines.set(line.name, line);
    }
  }
  return { lines, status: r.status, signal: r.signal };
}

describeEachBackend("41 held and written arrays: misuse is an error or harmless, never a crash", (backend) => {
  const result = runScenarios(backend.name);
  const line = (name: string): Line => {
    const found = result.lines.get(name);
    if (!found)
      throw new Error(`scenario "${name}" printed nothing (the child ended by ${result.signal ?? result.status})`);
    return found;
  };
  const refused = (name: string, pattern: RegExp) => {
    const l = line(name);
    expect(l.threw, `${name}: ${JSON.stringify(l)}`).toBe("RangeError");
    expect(l.message).toMatch(pattern);
  };

  it("the child process survives every scenario", () => {
    expect(result.signal).toBeNull();
    expect(result.status).toBe(0);
  });
  it("a detached state buffer (weights are its view): loss, tangentApply and trainChunk refuse, naming state", () => {
    for (const call of ["loss", "tangentApply", "trainChunk"]) {
      refused(
        `detached weights: ${call}`,
        /^weightdyn: expected state to have 13 elements but its buffer was detached/,
      );
    }
  });
  it("a detached tangent buffer: tangentApply and trainChunk refuse, naming Q", () => {
    for (const call of ["tangentApply", "trainChunk"]) {
      refused(`detached tangent: ${call}`, /^weightdyn: expected Q to have 26 elements but its buffer was detached/);
    }
  });
  it("overlapping views of one buffer as input and output are refused", () => {
    refused("V and HV overlapping views of one buffer", /^weightdyn: V and HV must not overlap/);
    refused("grad overlapping the weights", /^weightdyn: grad and state must not overlap/);
    refused("lossOut overlapping logRDiag", /^weightdyn: lossOut and logRDiag must not overlap/);
    refused("qrPositive: R overlapping A", /^weightdyn: A and R must not overlap/);
  });
  it("a weights array kept past dispose() does not reach the next network", () => {
    const reference = line("reference loss").value as number;
    expect(Number.isFinite(reference)).toBe(true);
    expect(line("weights taken before dispose, written after the next network exists").value).toBe(reference);
  });
  it("a weights array cached across growth of the backend's memory still sets the weights", () => {
    const reference = line("reference loss at w0 / 2").value as number;
    expect(line("weights cached across growth of the backend's memory").value).toBe(reference);
  });
  if (backend.name === "native") {
    it("raw addon: w and Q sharing memory are refused at construction", () => {
      refused("raw: w === Q", /^weightdyn: state and Q must not overlap/);
      refused("raw: w and Q overlapping views", /^weightdyn: state and Q must not overlap/);
    });
    it("raw addon: a resizable buffer shrunk or grown under a held view is refused", () => {
      refused("raw: w on a resizable buffer, shrunk", /^weightdyn: expected state to have 13 elements but it has 0/);
      refused("raw: w length-tracking, buffer grown", /^weightdyn: expected state to have 13 elements but it has 26/);
      refused("raw: Q length-tracking, buffer shrunk", /^weightdyn: expected Q to have 26 elements but it has 1/);
    });
  }
});
