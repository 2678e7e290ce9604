import { z } from 'zod';

/** Zod pieces for action inputs, which always arrive as (trimmed) strings. */

export function booleanField(fallback: boolean) {
  return z.string().transform((value, ctx) => {
    if (value === '') return fallback;
    const lower = value.toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
    ctx.addIssue({ code: 'custom', message: `must be true or false, got '${value}'` });
    return z.NEVER;
  });
}

/** A duration in seconds (decimals allowed), returned in milliseconds. */
export function secondsField(fallback: number, { min = 0, max = 86_400 } = {}) {
  return z.string().transform((value, ctx) => {
    if (value === '') return fallback * 1000;
    if (!/^\d+(\.\d+)?$/.test(value)) {
      ctx.addIssue({ code: 'custom', message: `must be a number of seconds, got '${value}'` });
      return z.NEVER;
    }
    const seconds = Number(value);
    if (seconds < min || seconds > max) {
      ctx.addIssue({ code: 'custom', message: `must be between ${min} and ${max} seconds` });
      return z.NEVER;
    }
    return Math.round(seconds * 1000);
  });
}

export function integerField(fallback: number, { min, max }: { min: number; max: number }) {
  return z.string().transform((value, ctx) => {
    if (value === '') return fallback;
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      ctx.addIssue({
        code: 'custom',
        message: `must be a whole number from ${min} to ${max}, got '${value}'`,
      });
      return z.NEVER;
    }
    return Number(value);
  });
}

export function optionalText() {
  return z.string().transform((value) => (value === '' ? undefined : value));
}

export function choiceField<const T extends readonly string[]>(choices: T, fallback: T[number]) {
  return z.string().transform((value, ctx): T[number] => {
    if (value === '') return fallback;
    if ((choices as readonly string[]).includes(value)) return value as T[number];
    ctx.addIssue({
      code: 'custom',
      message: `must be one of ${choices.map((c) => `'${c}'`).join(', ')}, got '${value}'`,
    });
    return z.NEVER;
  });
}

/** Splits a newline-separated list input, dropping blank lines. */
export function lines(value: string): string[] {
  return value
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
}
