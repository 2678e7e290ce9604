import { afterEach, describe, expect, it, vi } from 'vitest';
import { runBerthStep } from '../../src/steps/berth-step.js';

describe('root action command lookup', () => {
  afterEach(() => {
    process.exitCode = undefined;
    vi.restoreAllMocks();
  });

  it.each(['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf'])(
    "'%s' is refused as an unknown command",
    async (command) => {
      const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
      await runBerthStep((name) => (name === 'command' ? command : ''));
      expect(process.exitCode).toBe(1);
      const written = out.mock.calls.map((c) => String(c[0])).join('');
      expect(written).toContain("::error title=Berth%3A input 'command'::");
      expect(written).toContain('deploy, health, rollback, prune, lifecycle');
    },
  );
});
