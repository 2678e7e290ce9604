import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Client } from 'ssh2';
import { SshRunner } from '../../src/remote/ssh-runner.js';

/** A channel that delivers exit status and close in the same tick as the open confirmation. */
function fastChannel(code: number) {
  const channel = Object.assign(new PassThrough(), {
    stderr: new PassThrough(),
    close: () => undefined,
  });
  const client = Object.assign(new EventEmitter(), {
    exec(_command: string, callback: (error: Error | undefined, channel: PassThrough) => void) {
      callback(undefined, channel);
      channel.emit('exit', code);
      setImmediate(() => {
        channel.push(null);
        channel.emit('close');
      });
    },
    end: () => undefined,
  });
  return client as unknown as Client;
}

describe('SshRunner exit status', () => {
  it('keeps an exit status that arrives together with the channel confirmation', async () => {
    const runner = new SshRunner(fastChannel(0), 'test', 10_000, () => undefined);
    await expect(runner.exec(['true'])).resolves.toMatchObject({ code: 0 });
  });

  it('reports that same-tick status when it is a failure', async () => {
    const runner = new SshRunner(fastChannel(3), 'test', 10_000, () => undefined);
    await expect(runner.exec(['false'])).rejects.toThrow(/exited 3/);
  });
});
