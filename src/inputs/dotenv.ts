import { ConfigurationError } from '../errors.js';

const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Checks dotenv text line by line: blank lines and `#` comments, else
 * `KEY=value`. Errors give the line number, never the line (it is secret).
 * Returns the values, which the caller masks.
 */
export function validateDotenv(input: string, text: string): string[] {
  const values: string[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const eq = line.indexOf('=');
    const key = eq > 0 ? line.slice(0, eq).trim() : '';
    if (!ENV_KEY.test(key)) {
      throw new ConfigurationError(
        input,
        `line ${index + 1} must be KEY=value with KEY matching ^[A-Za-z_][A-Za-z0-9_]*$`,
      );
    }
    values.push(line.slice(eq + 1));
  });
  return values;
}
