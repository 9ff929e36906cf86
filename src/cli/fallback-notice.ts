/**
 * The one-time notice of the WASM fallback. npm hides the output of install scripts, so a user whose native build
 * failed would never learn why runs are slower; the first CLI run that falls back to WASM under `auto` says why and
 * points to `weightdyn doctor`. It is shown again only when the reason changes (the reason is kept in
 * build/wasm-notice next to the addon; where that cannot be written, the notice is shown every time).
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type BackendChoice, whyNotLoaded } from "../backend/loader.js";
import { packageRoot } from "../backend/root.js";

const MARKER = join("build", "wasm-notice");

/** Prints the notice (once per reason) when `choice` is auto and the native backend does not load. */
export function noticeWasmFallback(
  choice: BackendChoice,
  stderr: { write(text: string): unknown } = process.stderr,
): void {
  if (choice !== "auto") return;
  const reason = whyNotLoaded("native");
  if (reason === null) return;
  const marker = join(packageRoot(), MARKER);
  try {
    if (readFileSync(marker, "utf8") === reason) return;
  } catch {
    // not shown yet
  }
  stderr.write(
    `weightdyn: running on the WASM backend, slower than the native one, which does not load: ${reason.replace(/^native: /, "")}\n` +
      "weightdyn: `npx weightdyn doctor` says more; this notice is shown once.\n",
  );
  try {
    mkdirSync(join(packageRoot(), "build"), { recursive: true });
    writeFileSync(marker, reason);
  } catch {
    // a read-only install: the notice is shown again next time
  }
}
