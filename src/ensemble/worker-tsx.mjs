/**
 * The ensemble worker entry when weightdyn runs from its TypeScript sources (vitest, `node --import tsx`): registers
 * tsx's loader in this worker thread, then loads worker.ts. Compiled builds use dist/ensemble/worker.js instead and
 * never load this file.
 *
 * Registering here, before the import that needs it, rather than with `execArgv: ["--import", "tsx"]`: with the
 * flag, a worker now and then loaded worker.ts without any loader hooks (ERR_UNKNOWN_FILE_EXTENSION, Node 20.20,
 * about once in tens of pools) and the ensemble failed.
 */
import { register } from "tsx/esm/api";

register();
const worker = await import("./worker.ts");

export default worker.default;
