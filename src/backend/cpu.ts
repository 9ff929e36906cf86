/**
 * What this CPU offers, for `weightdyn doctor` and for the native loader's check that a copied -march=native binary
 * fits the machine it runs on. Linux reports its flags in /proc/cpuinfo; elsewhere they are unknown (null).
 */
import { readFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg } from "node:os";

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

/**
 * idleCores(cores, load) -> the cores not busy with other work: cores minus the one-minute load average, rounded, at
 * least 1 (the default thread count of a single run). A run whose threads must wait for a busy core at every
 * fork and join of its parallel products is many times slower than on one thread (measured: 25 times on this 2-core
 * machine at load 3.8, 2026-11-30), so a run takes only the cores that are free when it starts. Where the load
 * average is not reported (Windows: 0) every core counts as idle.
 */
export function idleCores(cores: number = availableParallelism(), load: number = loadavg()[0]): number {
  return Math.max(1, Math.min(cores, Math.round(cores - load)));
}
