import { spawn } from 'node:child_process';
import { mkdir, writeFile, chmod } from 'node:fs/promises';
import { homedir } from 'node:os';
import { connect } from 'node:net';
import { dirname, resolve } from 'node:path';
import type { Duplex } from 'node:stream';
import { settle, withTimeout } from './command-output.js';
import type {
  CommandListener,
  ExecOptions,
  ExecResult,
  HeldProcess,
  Runner,
  TargetFile,
} from './runner.js';
import { describeCommand } from './describe-command.js';
import { holdUntilReady } from './hold-until-ready.js';

/**
 * `transport: local`: the same argument arrays, run on this machine without a
 * shell, from the home directory as an SSH session would be.
 */
export class LocalRunner implements Runner {
  readonly target = 'local';
  private readonly home = homedir();

  constructor(
    private readonly commandTimeoutMs: number,
    private readonly onCommand: CommandListener,
  ) {}

  private spawnArgv(argv: readonly string[]) {
    const [file, ...args] = argv;
    if (!file) throw new TypeError('a command needs at least one argument');
    return spawn(file, args, { cwd: this.home, stdio: ['pipe', 'pipe', 'pipe'] });
  }

  async exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const timeoutMs = options.timeoutMs ?? this.commandTimeoutMs;
    const startedAt = Date.now();
    const child = this.spawnArgv(withTimeout(argv, timeoutMs));
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.stdin);
    const code = await new Promise<number | null>((done) => {
      child.on('error', () => done(127));
      child.on('close', (exitCode) => done(exitCode));
    });
    try {
      const result = settle(
        argv,
        options,
        timeoutMs,
        code,
        Buffer.concat(out).toString('utf8'),
        Buffer.concat(err).toString('utf8'),
        startedAt,
      );
      this.onCommand(describeCommand(argv), result);
      return result;
    } catch (error) {
      this.onCommand(describeCommand(argv), undefined);
      throw error;
    }
  }

  async hold(argv: readonly string[], readyLine: string, heartbeatMs = 0): Promise<HeldProcess> {
    const child = this.spawnArgv(argv);
    child.stdin.on('error', () => undefined);
    const ended = new Promise<number | null>((done) => {
      child.on('error', () => done(127));
      child.on('close', (exitCode) => done(exitCode));
    });
    return holdUntilReady(
      argv,
      readyLine,
      heartbeatMs,
      {
        stdout: child.stdout,
        stderr: child.stderr,
        write: (data) => child.stdin.write(data),
        end: () => child.stdin.end(),
        ended,
      },
      this.onCommand,
    );
  }

  async writeFiles(files: readonly TargetFile[]): Promise<void> {
    for (const file of files) {
      const path = resolve(this.home, file.path);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, file.content, { mode: file.mode });
      await chmod(path, file.mode);
    }
  }

  openTcp(host: string, port: number): Promise<Duplex> {
    return new Promise((resolvePromise, reject) => {
      const socket = connect({ host, port }, () => resolvePromise(socket));
      socket.once('error', reject);
    });
  }

  async close(): Promise<void> {}
}
