/**
 * Debian's Chromium for the browser tests (test/98-browser, test/88-playground), headless and driven by
 * puppeteer-core: nothing downloads a browser. chromiumBinary() is null where there is none (the suites are then
 * skipped with the reason).
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import type { Browser } from "puppeteer-core";

/** Debian's chromium (or another on PATH); null when there is none. */
export function chromiumBinary(): string | null {
  for (const name of ["chromium", "chromium-browser"]) {
    const which = spawnSync("which", [name], { encoding: "utf8" });
    if (which.status === 0 && which.stdout.trim() !== "") return which.stdout.trim();
  }
  return null;
}

/** Launches headless Chromium with its profile in `dir` (no network services, no first-run). */
export async function launchChromium(executablePath: string, dir: string): Promise<Browser> {
  const puppeteer = await import("puppeteer-core");
  return puppeteer.launch({
    executablePath,
    headless: false, // the flags below say --headless themselves, exactly as listed
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      `--user-data-dir=${join(dir, "profile")}`,
    ],
  });
}
