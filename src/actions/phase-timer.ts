import type { Logger } from './deps.js';

/** Runs each phase in a log group and keeps its elapsed time for the summary. */
export class PhaseTimer {
  readonly timings: Array<{ phase: string; ms: number }> = [];
  /** The phase running now, named in errors. */
  current = '';

  constructor(
    private readonly log: Logger,
    private readonly now: () => number,
  ) {}

  async run<T>(phase: string, body: () => Promise<T>): Promise<T> {
    const startedAt = this.now();
    this.current = phase;
    try {
      return await this.log.group(phase, async () => {
        try {
          return await body();
        } catch (error) {
          // The first phase an error passes through is where it happened; the annotation names it.
          if (error instanceof Error && !('phase' in error)) Object.assign(error, { phase });
          throw error;
        } finally {
          this.log.info(`${phase}: ${this.now() - startedAt} ms`);
        }
      });
    } finally {
      this.timings.push({ phase, ms: this.now() - startedAt });
    }
  }
}
