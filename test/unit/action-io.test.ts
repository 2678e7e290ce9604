import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { coreLogger, writeSummary } from '../../src/github/action-io.js';

describe('job summary', () => {
  afterEach(() => {
    delete process.env.GITHUB_STEP_SUMMARY;
    vi.restoreAllMocks();
  });

  it('repeats the run’s warnings, e.g. an unverified host key, below the summary', async () => {
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const file = join(mkdtempSync(join(tmpdir(), 'berth-summary-')), 'summary.md');
    writeFileSync(file, '');
    process.env.GITHUB_STEP_SUMMARY = file;
    coreLogger.warning('the identity of example.com is NOT verified', 'Host key not verified');
    await writeSummary('## Berth deploy');
    const summary = readFileSync(file, 'utf8');
    expect(summary).toContain('## Berth deploy');
    expect(summary).toContain('### Warnings');
    expect(summary).toContain('Host key not verified: the identity of example.com is NOT verified');
  });
});
