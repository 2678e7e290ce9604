/**
 * The one place where an argument array becomes a command line for a remote
 * POSIX shell. Every remote command in Berth goes through `toCommandLine`.
 *
 * Audit notes:
 * - An argument made only of characters that no POSIX shell treats specially
 *   is passed bare, for readable logs. `=` is excluded (a bare first word
 *   `A=b` would be an assignment), and so are `~`, globs, braces and `#`.
 * - Anything else is wrapped in single quotes, inside which no character is
 *   special; a single quote itself is written as `'\''` (close, escaped
 *   quote, reopen).
 * - NUL cannot be carried by a C string, so it is refused rather than
 *   silently truncating the argument.
 */
const BARE_SAFE = /^[A-Za-z0-9_./,:@%+-]+$/;

export function quoteArg(arg: string): string {
  if (arg.includes('\0')) {
    throw new TypeError('a command argument cannot contain a NUL byte');
  }
  if (BARE_SAFE.test(arg)) return arg;
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

export function toCommandLine(argv: readonly string[]): string {
  if (argv.length === 0) throw new TypeError('a command needs at least one argument');
  return argv.map(quoteArg).join(' ');
}
