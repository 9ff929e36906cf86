/**
 * pickBackendName(flag, env, config) -> "auto" | "native" | "wasm"
 *
 * Which compute backend a CLI run asks for, by precedence: the --backend flag, then the WEIGHTDYN_BACKEND
 * environment variable, then the config's `backend` field, then "auto". An unset or empty flag/variable is
 * skipped; an unknown name is a UsageError naming the flag or the variable (exit code 2).
 */
import { BACKEND_CHOICES, type BackendChoice, oneOf } from "../config/schema.js";
import { UsageError } from "./errors.js";

function isBackendChoice(value: string): value is BackendChoice {
  return (BACKEND_CHOICES as readonly string[]).includes(value);
}

function checked(value: string, source: string): BackendChoice {
  const name = value.trim();
  if (isBackendChoice(name)) return name;
  throw new UsageError(`${source}: expected ${oneOf(BACKEND_CHOICES)} but received ${JSON.stringify(value)}`);
}

export function pickBackendName(
  flag: string | undefined,
  env: string | undefined,
  config: BackendChoice | undefined,
): BackendChoice {
  if (flag !== undefined && flag.trim() !== "") return checked(flag, "--backend");
  if (env !== undefined && env.trim() !== "") return checked(env, "WEIGHTDYN_BACKEND");
  return config ?? "auto";
}
