import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { NpyWriter, npyHeader, readNpy, writeNpy } from "../src/io/npy.js";

const dir = mkdtempSync(join(tmpdir(), "weightdyn-npy-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** python3 with numpy, or the reason it is missing. */
function findNumpy(): { ok: true } | { ok: false; reason: string } {
  const r = spawnSync("python3", ["-c", "import numpy; print(numpy.__version__)"], { encoding: "utf8" });
  if (r.error) return { ok: false, reason: `python3 not found (${r.error.message})` };
  if (r.status !== 0) return { ok: false, reason: `numpy not importable: ${r.stderr.trim().split("\n").pop()}` };
  return { ok: true };
}
const numpy = findNumpy();

function python(script: string): string {
  const r = spawnSync("python3", ["-c", script], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr}`);
  return r.stdout.trim();
}

describe("51 npy writer and reader", () => {
  it("header: magic, version 1.0, the dict, padding to a multiple of 64, a final newline", () => {
    for (const shape of [[0], [3], [2, 3], [100000, 61, 61]]) {
      const h = npyHeader(shape);
      expect(h.length % 64).toBe(0);
      expect(Array.from(h.subarray(0, 8))).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
      expect(h.readUInt16LE(8)).toBe(h.length - 10);
      expect(h[h.length - 1]).toBe(0x0a);
      const text = h.subarray(10).toString("latin1").trimEnd();
      const tuple = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
      expect(text).toBe(`{'descr': '<f8', 'fortran_order': False, 'shape': ${tuple}, }`);
    }
  });

  it("slices written in reverse order land in place; the file appears only on finish", () => {
    const path = join(dir, "rev.npy");
    const w = new NpyWriter(path, [5, 2, 3]);
    expect(existsSync(path)).toBe(false);
    for (let i = 4; i >= 0; i--)
      w.writeSlice(
        i,
        Float64Array.from({ length: 6 }, (_, j) => i * 10 + j + 0.25),
      );
    w.finish();
    const a = readNpy(path);
    expect(a.shape).toEqual([5, 2, 3]);
    expect(Array.from(a.data)).toEqual(Array.from({ length: 30 }, (_, n) => Math.floor(n / 6) * 10 + (n % 6) + 0.25));
    expect(() => w.writeSlice(0, new Float64Array(6))).toThrow(/already closed/);
  });

  it("bad slices are errors naming the file; abort leaves no file behind", () => {
    const path = join(dir, "bad.npy");
    const w = new NpyWriter(path, [2, 2]);
    expect(() => w.writeSlice(2, new Float64Array(2))).toThrow(/slice 2 outside \[0, 2\) of .*bad\.npy/);
    expect(() => w.writeSlice(0, new Float64Array(3))).toThrow(/expected 2 numbers/);
    w.abort();
    expect(existsSync(path)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes("bad.npy"))).toEqual([]);
  });

  it.skipIf(!numpy.ok)(
    `numpy reads what NpyWriter writes, bit for bit${numpy.ok ? "" : ` [skipped: ${numpy.reason}]`}`,
    () => {
      const path = join(dir, "py.npy");
      const data = Float64Array.from({ length: 4 * 3 * 2 }, (_, n) => Math.sin(n) * 10 ** (n % 7) - n / 3);
      data[5] = -0;
      data[6] = Number.MIN_VALUE;
      data[7] = Number.MAX_VALUE;
      writeNpy(path, [4, 3, 2], data);
      const out = python(
        `import numpy as np, json; a = np.load(${JSON.stringify(path)}); ` +
          "print(json.dumps({'shape': list(a.shape), 'dtype': a.dtype.str, 'c': bool(a.flags['C_CONTIGUOUS']), " +
          "'hex': [float(x).hex() for x in a.ravel()]}))",
      );
      const parsed = JSON.parse(out) as { shape: number[]; dtype: string; c: boolean; hex: string[] };
      expect(parsed.shape).toEqual([4, 3, 2]);
      expect(parsed.dtype).toBe("<f8");
      expect(parsed.c).toBe(true);
      // Compare through Python's exact hexadecimal floats.
      const back = python(`import json; print(json.dumps([float.fromhex(h) for h in ${JSON.stringify(parsed.hex)}]))`);
      const values = JSON.parse(back) as number[];
      expect(values.length).toBe(data.length);
      for (let i = 0; i < data.length; i++) expect(Object.is(values[i], data[i])).toBe(true);
      expect(parsed.hex[5]).toBe("-0x0.0p+0");
    },
  );

  it.skipIf(!numpy.ok)(`readNpy reads what numpy.save writes${numpy.ok ? "" : ` [skipped: ${numpy.reason}]`}`, () => {
    const path = join(dir, "from-numpy.npy");
    python(`import numpy as np; np.save(${JSON.stringify(path)}, np.arange(12, dtype='<f8').reshape(3, 4) / 7)`);
    const a = readNpy(path);
    expect(a.shape).toEqual([3, 4]);
    expect(Array.from(a.data)).toEqual(Array.from({ length: 12 }, (_, i) => i / 7));
    const ints = join(dir, "ints.npy");
    python(`import numpy as np; np.save(${JSON.stringify(ints)}, np.arange(3))`);
    expect(() => readNpy(ints)).toThrow(/expected dtype '<f8'/);
    expect(readFileSync(path).subarray(1, 6).toString()).toBe("NUMPY");
  });
});
