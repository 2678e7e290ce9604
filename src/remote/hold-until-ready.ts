import { describeCommand } from './describe-command.js';
import { settle } from './command-output.js';
import type { CommandListener, HeldProcess } from './runner.js';

/** What `hold` needs from a started process, whichever transport started it. */
export interface HeldStreams {
  readonly stdout: NodeJS.EventEmitter;
  readonly stderr: NodeJS.EventEmitter;
  /** Writes to the process's input (the heartbeat). */
  write(data: string): void;
  /** Closes the process's input, which ends a holder waiting for EOF. */
  end(): void;
  /** Resolves with the exit code once the process (or its channel) is gone. */
  readonly ended: Promise<number | null>;
}

/**
 * The shared half of `Runner.hold`: resolves once the process prints
 * `readyLine` (then sends a heartbeat line every `heartbeatMs`), or rejects
 * with the command's typed error if it ends first.
 */
export function holdUntilReady(
  argv: readonly string[],
  readyLine: string,
  heartbeatMs: number,
  streams: HeldStreams,
  onCommand: CommandListener,
): Promise<HeldProcess> {
  const startedAt = Date.now();
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    let ready = false;
    let heartbeat: NodeJS.Timeout | undefined;
    streams.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    streams.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      if (ready || !stdout.split('\n').includes(readyLine)) return;
      ready = true;
      onCommand(describeCommand(argv), {
        stdout,
        stderr,
        code: 0,
        durationMs: Date.now() - startedAt,
      });
      if (heartbeatMs > 0) {
        heartbeat = setInterval(() => streams.write('\n'), heartbeatMs);
        heartbeat.unref();
      }
      resolve({
        release: async () => {
          clearInterval(heartbeat);
          streams.end();
          await streams.ended;
        },
      });
    });
    void streams.ended.then((code) => {
      clearInterval(heartbeat);
      if (ready) return;
      try {
        settle(argv, { okCodes: [] }, 0, code, stdout, stderr, startedAt);
      } catch (error) {
        reject(error);
      }
    });
  });
}
