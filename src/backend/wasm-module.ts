/**
 * Compiling the WASM kernels (build-wasm/weightdyn.wasm, exported as `weightdyn/weightdyn.wasm`) from what a page or
 * a bundler has: bytes, a URL, a fetch Response, or an already compiled module. No Node built-ins: this file is part
 * of the browser entry (src/browser.ts). The Node side reads the file from the package instead (wasm-file.ts).
 *
 *   loadWasmModule(source) -> Promise<WebAssembly.Module>
 *
 * A URL (or a string taken as one) is fetched; a Response served as application/wasm is compiled while it streams
 * (WebAssembly.compileStreaming), any other is read whole first, so a server with a generic content type still works.
 * A failed fetch names the URL and the HTTP status.
 */

/** What loadWasmModule accepts. */
export type WasmSource = WebAssembly.Module | ArrayBuffer | ArrayBufferView<ArrayBuffer> | Response | URL | string;

function isResponse(v: unknown): v is Response {
  return typeof Response !== "undefined" && v instanceof Response;
}

async function fromResponse(response: Response, where: string): Promise<WebAssembly.Module> {
  if (!response.ok) throw new Error(`weightdyn: cannot fetch the WASM kernels from ${where}: HTTP ${response.status}`);
  const type = response.headers.get("content-type") ?? "";
  if (type.split(";")[0].trim() === "application/wasm" && typeof WebAssembly.compileStreaming === "function") {
    return WebAssembly.compileStreaming(response);
  }
  return WebAssembly.compile(await response.arrayBuffer());
}

/** Compiles the WASM kernels from a module, bytes, a Response or a URL (module comment). */
export async function loadWasmModule(source: WasmSource): Promise<WebAssembly.Module> {
  if (source instanceof WebAssembly.Module) return source;
  if (ArrayBuffer.isView(source) || source instanceof ArrayBuffer) return WebAssembly.compile(source);
  if (isResponse(source)) return fromResponse(source, source.url || "a Response");
  if (typeof source === "string" || source instanceof URL) {
    const url = String(source);
    let response: Response;
    try {
      response = await fetch(url);
    } catch (err) {
      throw new Error(`weightdyn: cannot fetch the WASM kernels from ${url}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    return fromResponse(response, url);
  }
  throw new TypeError(
    "weightdyn: expected a WebAssembly.Module, an ArrayBuffer or typed array, a Response, a URL or a string for the WASM source",
  );
}
