/**
 * The seed of every run of an ensemble (run-seed.ts, re-exported), and the id of a study.
 *
 *   runSeed(studySeed, index) -> an integer in [0, 2^53)          (run-seed.ts)
 *   studyIdOf(canonical) -> 16 hex digits: the first 64 bits of SHA-256 of canonicalJson(value).
 */
import { createHash } from "node:crypto";

export { MAX_STUDY_SEED, runSeed, seededConfig } from "./run-seed.js";

/**
 * canonicalJson(value)
 *
 * JSON with the keys of every object sorted (so that two equal studies written with their keys in another order
 * have one text), no whitespace, and undefined members dropped as JSON.stringify does.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

/** 16 hex digits: the first 64 bits of the SHA-256 of canonicalJson(value). */
export function studyIdOf(value: unknown): string {
  return createHash("sha256").update(canonicalJson(value)).digest("hex").slice(0, 16);
}
