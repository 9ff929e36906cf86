/**
 * The error classes of distributed ensembles. Their messages never hold a Redis password (redis-url.ts).
 *
 *   DistributedInputError    bad input: a --queue URL, a --shard value, a merge of shards that do not fit together.
 *                            The CLI reports it as a usage error (exit code 2); the message names the flag or the
 *                            directory at fault.
 *   RedisConnectionError     Redis cannot be reached, refuses the password, or stops answering (exit code 1):
 *                            `cannot reach Redis at redis://:***@host:port (<reason>)`.
 *   QueueRunError            the queue itself reports a problem: a run failed on a worker, another coordinator
 *                            holds the study (exit code 1).
 */

export class DistributedInputError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "DistributedInputError";
  }
}

export class RedisConnectionError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "RedisConnectionError";
  }
}

export class QueueRunError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "QueueRunError";
  }
}
