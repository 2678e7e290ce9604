import { appendFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Where reliability cases record their outcome; `scripts/reliability-table.mjs` prints the table. */
export const RESULTS_DIR = fileURLToPath(new URL('../.results/', import.meta.url));

/**
 * Records one reliability case (section, case, outcome, count) for the
 * results table. Call it after the assertions, so only passing cases appear
 * as passed; failed ones are recorded by `recordFailure`.
 */
export function recordResult(section: string, name: string, outcome: string, count = 1): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  appendFileSync(
    `${RESULTS_DIR}reliability.jsonl`,
    JSON.stringify({ section, case: name, outcome, count, at: new Date().toISOString() }) + '\n',
  );
}
