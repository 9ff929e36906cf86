/**
 * The error class of study files: a ConfigError (so the CLI exits with 2 and `field` names the offending field)
 * whose message reads `Invalid study: <field>: <detail>`, one line per issue. Fields are named as in the study file:
 * `runs`, `early[1]`, `base.training.learningRate`, `grid["network.activation"][1]`.
 */
import { ConfigError, type ConfigIssue } from "../config/errors.js";

export class StudyError extends ConfigError {
  /**
   * new StudyError(field, detail)
   * new StudyError(issues)   (the first issue gives `field`)
   */
  constructor(fieldOrIssues: string | readonly ConfigIssue[], detail?: string, options?: { cause?: unknown }) {
    super(fieldOrIssues, detail, options);
    this.name = "StudyError";
    this.message = this.issues
      .map((issue) =>
        issue.field === "" ? `Invalid study: ${issue.detail}` : `Invalid study: ${issue.field}: ${issue.detail}`,
      )
      .join("\n");
  }
}

/** An ensemble's output directory cannot be used: it holds another study, or runs without --resume, or a line of
 *  runs.ndjson is not a run record. The message names the directory or file (and line). */
export class EnsembleOutputError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "EnsembleOutputError";
  }
}
