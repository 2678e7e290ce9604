import type { Duplex } from 'node:stream';
import type { Client, ClientChannel, SFTPWrapper } from 'ssh2';
import { ConnectionError, RemoteCommandError } from '../errors.js';
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
import { toCommandLine } from './shell-quote.js';

/** OpenSSH's default MaxSessions is 10; one is the lock, keep a margin. */
const MAX_CHANNELS = 6;

/** Runs commands over one authenticated ssh2 connection, several channels at once. */
export class SshRunner implements Runner {
  private lost: Error | undefined;
  private sftp: Promise<SFTPWrapper> | undefined;
  private openChannels = 0;
  private readonly waiting: Array<() => void> = [];
  /** Commands running now, so a lost connection names what it interrupted. */
  private readonly running = new Map<object, string>();

  constructor(
    private readonly client: Client,
    readonly target: string,
    private readonly commandTimeoutMs: number,
    private readonly onCommand: CommandListener,
  ) {
    // Without a listener a late keepalive timeout or reset would crash the process.
    client.on('error', (error) => {
      this.lost = new ConnectionError(
        `SSH connection to ${target} failed: ${error.message}${this.interrupted()}`,
      );
    });
    client.on('close', () => {
      this.lost ??= new ConnectionError(`SSH connection to ${target} closed${this.interrupted()}`);
    });
  }

  private interrupted(): string {
    const [first, ...others] = this.running.values();
    if (first === undefined) return '';
    return ` while running \`${first}\`` + (others.length > 0 ? ` and ${others.length} more` : '');
  }

  private async acquireChannel(): Promise<void> {
    if (this.openChannels < MAX_CHANNELS) {
      this.openChannels++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private releaseChannel(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.openChannels--;
  }

  /**
   * Opens an exec channel. The exit status is captured inside ssh2's callback:
   * a fast command's `exit` can arrive in the same read as the open
   * confirmation, before any listener attached after an `await` would see it.
   */
  private openExec(
    commandLine: string,
  ): Promise<{ channel: ClientChannel; exitCode: () => number | null }> {
    if (this.lost) return Promise.reject(this.lost);
    return new Promise((resolve, reject) => {
      this.client.exec(commandLine, (error, channel) => {
        if (error) return reject(error);
        let code: number | null = null;
        channel.on('exit', (exitCode: number | null) => {
          code = typeof exitCode === 'number' ? exitCode : null;
        });
        resolve({ channel, exitCode: () => code });
      });
    });
  }

  async exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const timeoutMs = options.timeoutMs ?? this.commandTimeoutMs;
    const commandLine = toCommandLine(withTimeout(argv, timeoutMs));
    await this.acquireChannel();
    const startedAt = Date.now();
    const label = describeCommand(argv);
    const token = {};
    this.running.set(token, label);
    try {
      const { channel, exitCode } = await this.openExec(commandLine);
      const { code, stdout, stderr } = await new Promise<{
        code: number | null;
        stdout: string;
        stderr: string;
      }>((resolve) => {
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        // Backstop in case the far side's `timeout` itself never returns.
        const backstop = setTimeout(() => channel.close(), timeoutMs + 20_000);
        channel.on('data', (chunk: Buffer) => out.push(chunk));
        channel.stderr.on('data', (chunk: Buffer) => err.push(chunk));
        channel.on('close', () => {
          clearTimeout(backstop);
          resolve({
            code: exitCode(),
            stdout: Buffer.concat(out).toString('utf8'),
            stderr: Buffer.concat(err).toString('utf8'),
          });
        });
        channel.end(options.stdin);
      });
      const result = settle(argv, options, timeoutMs, code, stdout, stderr, startedAt);
      this.onCommand(label, result);
      return result;
    } catch (error) {
      this.onCommand(label, undefined);
      // A command cut off by the lost connection has no exit status: the connection is the news.
      if (this.lost && !(error instanceof RemoteCommandError && error.exitCode !== null)) {
        throw this.lost;
      }
      throw error;
    } finally {
      this.running.delete(token);
      this.releaseChannel();
    }
  }

  async hold(argv: readonly string[], readyLine: string, heartbeatMs = 0): Promise<HeldProcess> {
    const { channel, exitCode } = await this.openExec(toCommandLine(argv));
    const ended = new Promise<number | null>((done) => channel.on('close', () => done(exitCode())));
    return holdUntilReady(
      argv,
      readyLine,
      heartbeatMs,
      {
        stdout: channel,
        stderr: channel.stderr,
        write: (data) => channel.write(data),
        end: () => channel.end(),
        ended,
      },
      this.onCommand,
    );
  }

  private getSftp(): Promise<SFTPWrapper> {
    this.sftp ??= new Promise((resolve, reject) => {
      this.client.sftp((error, sftp) => (error ? reject(error) : resolve(sftp)));
    });
    return this.sftp;
  }

  async writeFiles(files: readonly TargetFile[]): Promise<void> {
    if (files.length === 0) return;
    const startedAt = Date.now();
    const sftp = await this.getSftp();
    await Promise.all(
      files.map(
        (file) =>
          new Promise<void>((resolve, reject) => {
            sftp.writeFile(file.path, file.content, { mode: file.mode }, (error) =>
              error
                ? reject(
                    new ConnectionError(`SFTP upload of ${file.path} failed: ${error.message}`),
                  )
                : resolve(),
            );
          }),
      ),
    );
    this.onCommand(`sftp put ${files.length} file(s)`, {
      stdout: '',
      stderr: '',
      code: 0,
      durationMs: Date.now() - startedAt,
    });
  }

  openTcp(host: string, port: number): Promise<Duplex> {
    if (this.lost) return Promise.reject(this.lost);
    return new Promise((resolve, reject) => {
      this.client.forwardOut('127.0.0.1', 0, host, port, (error, channel) =>
        error ? reject(error) : resolve(channel),
      );
    });
  }

  async close(): Promise<void> {
    if (this.sftp) (await this.sftp.catch(() => undefined))?.end();
    this.client.end();
  }
}
