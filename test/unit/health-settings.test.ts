import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/errors.js';
import {
  parseHeaderLines,
  parseHealthSettings,
  parseStatusRanges,
  type HealthSettings,
} from '../../src/inputs/health-settings.js';

function parse(values: Record<string, string> = {}, prefix: '' | 'health-' = ''): HealthSettings {
  return parseHealthSettings((name) => values[name] ?? '', prefix);
}

function configError(fn: () => unknown, input: string): ConfigurationError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ConfigurationError);
  expect((caught as ConfigurationError).input).toBe(input);
  return caught as ConfigurationError;
}

describe('parseStatusRanges', () => {
  it.each([
    ['200', [[200, 200]]],
    ['200-399', [[200, 399]]],
    [
      '200,204,300-399',
      [
        [200, 200],
        [204, 204],
        [300, 399],
      ],
    ],
    [
      ' 200 , 301-302 ',
      [
        [200, 200],
        [301, 302],
      ],
    ],
    ['100-599', [[100, 599]]],
    ['418-418', [[418, 418]]],
  ])('%j', (text, expected) => {
    expect(parseStatusRanges(text)).toEqual(expected);
  });

  it.each([
    '',
    '99',
    '099',
    '600',
    '100-600',
    '399-200',
    '200-',
    '-200',
    '200,',
    ',200',
    'abc',
    '2000',
    '20',
    '200 - 300',
    '200;300',
    '2xx',
  ])('refuses %j', (text) => {
    expect(parseStatusRanges(text)).toBeUndefined();
  });
});

describe('parseHeaderLines', () => {
  it('reads Name: value lines, trimming, skipping blank lines', () => {
    expect(
      parseHeaderLines('Authorization: Bearer abc\n\n  X-Trace-Id:   42  \r\nAccept:text/plain'),
    ).toEqual([
      ['Authorization', 'Bearer abc'],
      ['X-Trace-Id', '42'],
      ['Accept', 'text/plain'],
    ]);
  });

  it('keeps colons inside the value', () => {
    expect(parseHeaderLines('X-Url: http://a:b@c')).toEqual([['X-Url', 'http://a:b@c']]);
  });

  it('allows an empty value', () => {
    expect(parseHeaderLines('X-Empty:')).toEqual([['X-Empty', '']]);
  });

  it('is empty for empty text', () => {
    expect(parseHeaderLines('')).toEqual([]);
    expect(parseHeaderLines('\n \n')).toEqual([]);
  });

  it.each([
    ['no colon', 'Authorization Bearer x', 1],
    ['no name', ': value', 1],
    ['space in name', 'Bad Name: v', 1],
    ['non-token name', 'X(y): v', 1],
    ['later bad line, counting blank lines', 'A: 1\n\nbroken', 3],
    ['bare CR in value', 'X-A: a\rb', 1],
    ['NUL in value', 'X-A: a\0b', 1],
  ])('refuses %s', (_label, text, line) => {
    const result = parseHeaderLines(text);
    expect(typeof result).toBe('string');
    expect(result).toContain(`line ${line}`);
  });

  it('does not echo the header value in its error', () => {
    const result = parseHeaderLines('Authorization Bearer s3cr3t-token');
    expect(result).not.toContain('s3cr3t-token');
  });
});

describe('parseHealthSettings', () => {
  it('has defaults for every input', () => {
    expect(parse()).toEqual({
      url: undefined,
      via: 'host',
      timeoutMs: 60_000,
      retries: 3,
      backoffMs: 5_000,
      expectStatus: [[200, 399]],
      expectBody: undefined,
      requestTimeoutMs: 5_000,
      headers: [],
      followRedirects: false,
      containers: true,
    });
  });

  it('reads every input without a prefix', () => {
    const settings = parse({
      url: 'https://example.com:8443/health?full=1',
      via: 'runner',
      timeout: '0.5',
      retries: '0',
      backoff: '0.05',
      'expect-status': '204',
      'expect-body': 'ok',
      'request-timeout': '2',
      headers: 'X-Token: abc',
      'follow-redirects': 'true',
      containers: 'false',
    });
    expect(settings.url).toBeInstanceOf(URL);
    expect(settings.url?.href).toBe('https://example.com:8443/health?full=1');
    expect(settings).toMatchObject({
      via: 'runner',
      timeoutMs: 500,
      retries: 0,
      backoffMs: 50,
      expectStatus: [[204, 204]],
      expectBody: { kind: 'substring', text: 'ok' },
      requestTimeoutMs: 2000,
      headers: [['X-Token', 'abc']],
      followRedirects: true,
      containers: false,
    });
    expect(Object.isFrozen(settings)).toBe(true);
  });

  it('reads the health- prefixed names and ignores bare ones', () => {
    const settings = parse(
      { 'health-url': 'http://a/', 'health-retries': '9', url: 'http://b/', retries: '1' },
      'health-',
    );
    expect(settings.url?.href).toBe('http://a/');
    expect(settings.retries).toBe(9);
  });

  it('names the prefixed input in errors', () => {
    configError(() => parse({ 'health-retries': 'x' }, 'health-'), 'health-retries');
    configError(() => parse({ 'health-expect-status': '700' }, 'health-'), 'health-expect-status');
  });

  it.each(['ftp://example.com/', 'file:///etc/passwd', 'javascript:alert(1)', 'ssh://host/'])(
    'refuses non-http URL %j',
    (url) => {
      const error = configError(() => parse({ url }), 'url');
      expect(error.rule).toContain('http');
    },
  );

  it.each(['not a url', '/health', 'example.com/health'])('refuses relative URL %j', (url) => {
    configError(() => parse({ url }), 'url');
  });

  it('refuses credentials in the URL and points to headers', () => {
    const error = configError(() => parse({ url: 'https://user:pw@example.com/' }), 'url');
    expect(error.rule).toContain("'headers'");
    expect(error.rule).not.toContain('pw');
    const prefixed = configError(
      () => parse({ 'health-url': 'https://user@example.com/' }, 'health-'),
      'health-url',
    );
    expect(prefixed.rule).toContain("'health-headers'");
  });

  it('reads /regex/flags as a regular expression', () => {
    const body = parse({ 'expect-body': '/"status":\\s*"ok"/i' }).expectBody;
    expect(body?.kind).toBe('regex');
    const pattern = body?.kind === 'regex' ? body.pattern : /never/;
    expect(pattern.flags).toBe('i');
    expect(pattern.test('{"STATUS": "OK"}')).toBe(true);
    expect(pattern.test('{"status": "down"}')).toBe(false);
  });

  it('reads a regex with slashes inside and the s flag', () => {
    const body = parse({ 'expect-body': '/a/b.c/s' }).expectBody;
    expect(body?.kind === 'regex' && body.pattern.source).toBe('a\\/b.c');
    expect(body?.kind === 'regex' && body.pattern.test('a/b\nc')).toBe(true);
  });

  it('treats text not in /.../ form, or with other flags, as a substring', () => {
    expect(parse({ 'expect-body': 'OK' }).expectBody).toEqual({ kind: 'substring', text: 'OK' });
    expect(parse({ 'expect-body': '/ok/g' }).expectBody).toEqual({
      kind: 'substring',
      text: '/ok/g',
    });
    expect(parse({ 'expect-body': '/ok' }).expectBody).toEqual({ kind: 'substring', text: '/ok' });
  });

  it('refuses an invalid regex', () => {
    const error = configError(() => parse({ 'expect-body': '/(unclosed/' }), 'expect-body');
    expect(error.rule).toContain('regex');
  });

  it.each([
    ['timeout', '0'],
    ['timeout', '3601'],
    ['timeout', 'abc'],
    ['backoff', '0.01'],
    ['request-timeout', '601'],
    ['retries', '101'],
    ['retries', '-1'],
    ['via', 'ssh'],
    ['expect-status', '200-'],
    ['headers', 'nonsense'],
    ['follow-redirects', 'yes'],
    ['containers', '1'],
  ])('refuses %s %j', (input, value) => {
    configError(() => parse({ [input]: value }), input);
  });
});
