/**
 * The one reader of JSON files a config names or is (configs, studies, initial weights, minibatch schedules), on top
 * of the input-file reader (src/io/input-file.ts: regular files of bounded size, opened without blocking, described
 * without their contents).
 *
 *   readJsonFile(path, what, fail) -> the parsed value
 *
 * A byte-order mark is skipped. A file that cannot be read gives fail(`cannot read <what> <path>: <reason>`), malformed
 * JSON gives fail(`malformed JSON in <what> <path> (line L, column C): <parser message without its excerpt>`); `fail`
 * builds the caller's error class (ConfigError naming the field, StudyError, ...), so each layer keeps its own error
 * type and the messages read alike everywhere.
 */
import { InputFileError, readJsonFile as readInputJson } from "../io/input-file.js";

export function readJsonFile(path: string, what: string, fail: (detail: string, cause: unknown) => Error): unknown {
  try {
    return readInputJson(path);
  } catch (err) {
    if (err instanceof InputFileError) throw fail(err.describe(`${what} ${path}`), err);
    throw err;
  }
}
