/**
 * Runs per second over a sliding window, for the coordinator's progress.
 *
 *   const rate = new RateMeter(30_000); rate.sample(done); rate.perSecond()
 *
 * The rate is (done now - done at the oldest sample in the window) / the time between them: it follows a study
 * whose workers come and go, and does not count runs found done at the start (resume) as work of this session.
 */
import { performance } from "node:perf_hooks";

export class RateMeter {
  private readonly samples: { t: number; done: number }[] = [];

  constructor(private readonly windowMs = 30_000) {}

  sample(done: number, now = performance.now()): void {
    this.samples.push({ t: now, done });
    // Keep one sample older than the window so that the window is always spanned.
    while (this.samples.length > 2 && now - this.samples[1].t > this.windowMs) this.samples.shift();
  }

  perSecond(): number {
    if (this.samples.length < 2) return 0;
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    const seconds = (last.t - first.t) / 1000;
    return seconds > 0 ? (last.done - first.done) / seconds : 0;
  }
}
