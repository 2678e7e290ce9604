import { toCommandLine } from './shell-quote.js';

const MAX_ARG_LENGTH = 200;

/**
 * A readable one-line form of a command for the log. Our fixed `sh -c`
 * scripts are named by their `$0` (`berth-switch`, `berth-lock`, ...), so the
 * log shows the name and the arguments rather than the script text; very
 * long arguments (JSON documents) are shortened.
 */
export function describeCommand(argv: readonly string[]): string {
  const shown =
    argv[0] === 'sh' && argv[1] === '-c' && argv[3]?.startsWith('berth-')
      ? argv.slice(3)
      : [...argv];
  return toCommandLine(
    shown.map((arg) => (arg.length > MAX_ARG_LENGTH ? `${arg.slice(0, MAX_ARG_LENGTH)}…` : arg)),
  );
}
