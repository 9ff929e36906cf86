/**
 * What this CPU offers, for `weightdyn doctor` and for the native loader's check that a copied -march=native binary
 * fits the machine it runs on. Linux reports its flags in /proc/cpuinfo; elsewhere they are unknown (null).
 */
import { readFileSync } from "node:fs";
import { cpus } from "node:os";

/** The x86-64 extensions the build info reports (native/build_info.cc), in /proc/cpuinfo's spelling. */
export const TRACKED_FEATURES = ["sse4_2", "avx", "avx2", "fma", "avx512f"] as const;

export interface CpuInfo {
  model: string;
  /** Every flag of the first processor in /proc/cpuinfo, or null when unknown (not Linux, unreadable). */
  flags: string[] | null;
}

/** Parses the `flags` line of /proc/cpuinfo text (null when absent). */
export function parseCpuFlags(cpuinfo: string): string[] | null {
  const line = cpuinfo.split("\n").find((l) => /^flags\s*:/.test(l));
  return line
    ? line
        .replace(/^flags\s*:/, "")
        .trim()
        .split(/\s+/)
    : null;
}

let cached: CpuInfo | undefined;

export function cpuInfo(): CpuInfo {
  if (cached) return cached;
  let flags: string[] | null = null;
  if (process.platform === "linux") {
    try {
      flags = parseCpuFlags(readFileSync("/proc/cpuinfo", "utf8"));
    } catch {
      flags = null;
    }
  }
  cached = { model: cpus()[0]?.model.trim() ?? "unknown CPU", flags };
  return cached;
}

/** The extensions a binary was compiled for that this CPU does not report (empty when the flags are unknown). */
export function missingFeatures(targeted: readonly string[], cpu: CpuInfo = cpuInfo()): string[] {
  if (!cpu.flags) return [];
  const have = new Set(cpu.flags);
  return targeted.filter((f) => !have.has(f));
}
