/** Bad input: names the input and the rule it broke. Raised before any connection. */
export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
  constructor(
    readonly input: string,
    readonly rule: string,
  ) {
    super(`Input '${input}': ${rule}`);
  }
}

/** A remote (or local-transport) command that exited with an unexpected status. */
export class RemoteCommandError extends Error {
  override readonly name = 'RemoteCommandError';
  constructor(
    readonly argv: readonly string[],
    readonly exitCode: number | null,
    readonly stderrTail: string,
    detail?: string,
  ) {
    const status = exitCode === null ? 'ended without an exit status' : `exited ${exitCode}`;
    super(
      `Command \`${argv.join(' ')}\` ${detail ?? status}` + (stderrTail ? `:\n${stderrTail}` : ''),
    );
  }
}

/** The site lock stayed held by another run for the whole `lock-timeout`. */
export class LockTimeoutError extends Error {
  override readonly name = 'LockTimeoutError';
  constructor(
    readonly site: string,
    readonly timeoutSeconds: number,
    readonly holder: string,
  ) {
    super(
      `Site '${site}' is locked by another operation (${holder || 'holder unknown'}); ` +
        `waited ${timeoutSeconds}s (input 'lock-timeout')`,
    );
  }
}

/** The server's host key could not be verified, or verification was not configured. */
export class HostKeyError extends Error {
  override readonly name = 'HostKeyError';
}

/** The SSH connection could not be made or was lost. */
export class ConnectionError extends Error {
  override readonly name = 'ConnectionError';
}

/** The server holds state Berth cannot use safely (a damaged file, a missing release). */
export class RemoteStateError extends Error {
  override readonly name = 'RemoteStateError';
}

/** Keeps the last lines of a command's stderr for an error message. */
export function tail(text: string, lines = 20): string {
  const all = text.trimEnd().split('\n');
  return all.slice(-lines).join('\n');
}
