import { z } from 'zod';
import { booleanField, choiceField, integerField, optionalText, secondsField } from './fields.js';
import { parseInputs, type InputReader } from './read-inputs.js';

export type StatusRange = readonly [number, number];
export type BodyExpectation =
  | { readonly kind: 'substring'; readonly text: string }
  | { readonly kind: 'regex'; readonly pattern: RegExp };

export interface HealthSettings {
  readonly url?: URL;
  readonly via: 'host' | 'runner';
  readonly timeoutMs: number;
  readonly retries: number;
  readonly backoffMs: number;
  readonly expectStatus: readonly StatusRange[];
  readonly expectBody?: BodyExpectation;
  readonly requestTimeoutMs: number;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly followRedirects: boolean;
  readonly containers: boolean;
}

/** `200-399`, `200,204,300-399`. */
export function parseStatusRanges(text: string): StatusRange[] | undefined {
  const ranges: StatusRange[] = [];
  for (const part of text.split(',').map((p) => p.trim())) {
    const match = /^(\d{3})(?:-(\d{3}))?$/.exec(part);
    if (!match) return undefined;
    const low = Number(match[1]);
    const high = Number(match[2] ?? match[1]);
    if (low < 100 || high > 599 || low > high) return undefined;
    ranges.push([low, high]);
  }
  return ranges.length > 0 ? ranges : undefined;
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export function parseHeaderLines(text: string): Array<[string, string]> | string {
  const headers: Array<[string, string]> = [];
  for (const [index, line] of text.split(/\r?\n/).entries()) {
    if (line.trim() === '') continue;
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon).trim() : '';
    const value = line.slice(colon + 1).trim();
    if (!HEADER_NAME.test(name) || /[\r\n\0]/.test(value)) {
      return `line ${index + 1} must be 'Name: value' with a valid header name`;
    }
    headers.push([name, value]);
  }
  return headers;
}

function healthSchema(prefix: string) {
  return z.object({
    [`${prefix}url`]: optionalText().transform((value, ctx) => {
      if (value === undefined) return undefined;
      let url: URL;
      try {
        url = new URL(value);
      } catch {
        ctx.addIssue({ code: 'custom', message: `must be an absolute http:// or https:// URL` });
        return z.NEVER;
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        ctx.addIssue({ code: 'custom', message: 'must use http or https' });
        return z.NEVER;
      }
      if (url.username || url.password) {
        ctx.addIssue({
          code: 'custom',
          message: `must not carry credentials; use '${prefix}headers'`,
        });
        return z.NEVER;
      }
      return url;
    }),
    [`${prefix}via`]: choiceField(['host', 'runner'] as const, 'host'),
    [`${prefix}timeout`]: secondsField(60, { min: 0.1, max: 3600 }),
    [`${prefix}retries`]: integerField(3, { min: 0, max: 100 }),
    [`${prefix}backoff`]: secondsField(5, { min: 0.05, max: 600 }),
    [`${prefix}expect-status`]: z.string().transform((value, ctx) => {
      const ranges = parseStatusRanges(value === '' ? '200-399' : value);
      if (ranges) return ranges;
      ctx.addIssue({
        code: 'custom',
        message:
          "must be status codes and ranges from 100 to 599, e.g. '200-399' or '200,204,300-399'",
      });
      return z.NEVER;
    }),
    [`${prefix}expect-body`]: optionalText().transform(
      (value, ctx): BodyExpectation | undefined => {
        if (value === undefined) return undefined;
        const regex = /^\/(.*)\/([imsu]*)$/s.exec(value);
        if (!regex) return { kind: 'substring', text: value };
        try {
          return { kind: 'regex', pattern: new RegExp(regex[1] ?? '', regex[2]) };
        } catch (error) {
          ctx.addIssue({
            code: 'custom',
            message: `is not a valid /regex/: ${(error as Error).message}`,
          });
          return z.NEVER;
        }
      },
    ),
    [`${prefix}request-timeout`]: secondsField(5, { min: 0.05, max: 600 }),
    [`${prefix}headers`]: z.string().transform((value, ctx) => {
      const parsed = parseHeaderLines(value);
      if (typeof parsed !== 'string') return parsed;
      ctx.addIssue({ code: 'custom', message: parsed });
      return z.NEVER;
    }),
    [`${prefix}follow-redirects`]: booleanField(false),
    [`${prefix}containers`]: booleanField(true),
  });
}

/** Health inputs, bare on `health-gate` and prefixed `health-` on deploy and rollback. */
export function parseHealthSettings(read: InputReader, prefix: '' | 'health-'): HealthSettings {
  const input = parseInputs(healthSchema(prefix), read) as Record<string, unknown>;
  const get = <T>(name: string) => input[`${prefix}${name}`] as T;
  return Object.freeze({
    url: get<URL | undefined>('url'),
    via: get<'host' | 'runner'>('via'),
    timeoutMs: get<number>('timeout'),
    retries: get<number>('retries'),
    backoffMs: get<number>('backoff'),
    expectStatus: get<StatusRange[]>('expect-status'),
    expectBody: get<BodyExpectation | undefined>('expect-body'),
    requestTimeoutMs: get<number>('request-timeout'),
    headers: get<Array<[string, string]>>('headers'),
    followRedirects: get<boolean>('follow-redirects'),
    containers: get<boolean>('containers'),
  });
}
