import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/errors.js';
import { validateDotenv } from '../../src/inputs/dotenv.js';

function configError(fn: () => unknown): ConfigurationError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ConfigurationError);
  return caught as ConfigurationError;
}

describe('validateDotenv', () => {
  it('returns the value of every KEY=value line, in order', () => {
    expect(validateDotenv('env', 'A=1\nB_2=two words\n_C=')).toEqual(['1', 'two words', '']);
  });

  it('keeps everything after the first = as the value', () => {
    expect(validateDotenv('env', 'URL=postgres://u:p@h/db?x=1')).toEqual([
      'postgres://u:p@h/db?x=1',
    ]);
  });

  it('skips blank lines and comments, indented or not', () => {
    expect(validateDotenv('env', '\n# comment\n   # indented comment\n \t \nA=1\n')).toEqual(['1']);
  });

  it('handles CRLF line endings', () => {
    expect(validateDotenv('env', 'A=1\r\nB=2\r\n')).toEqual(['1', '2']);
  });

  it('accepts empty text', () => {
    expect(validateDotenv('env', '')).toEqual([]);
  });

  it('allows spaces around the key', () => {
    expect(validateDotenv('env', '  KEY=v')).toEqual(['v']);
  });

  it.each([
    ['no equals sign', 'JUSTTEXT'],
    ['empty key', '=value'],
    ['key starting with a digit', '1A=x'],
    ['dash in key', 'A-B=1'],
    ['export prefix', 'export A=1'],
    ['space inside key', 'A B=1'],
    ['dot in key', 'a.b=1'],
  ])('refuses %s', (_label, line) => {
    const error = configError(() => validateDotenv('env', line));
    expect(error.input).toBe('env');
    expect(error.rule).toContain('line 1');
  });

  it('names the input it was given and the line number, never the line', () => {
    const secret = 'p4ssw0rd-do-not-print';
    const error = configError(() => validateDotenv('env-file', `A=1\n# c\n\n${secret}\nB=2`));
    expect(error.input).toBe('env-file');
    expect(error.rule).toContain('line 4');
    expect(error.message).not.toContain(secret);
    expect(error.message).not.toContain('p4ss');
  });
});
