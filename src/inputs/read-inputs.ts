import { z } from 'zod';
import { ConfigurationError } from '../errors.js';

/** Reads one action input by name (already trimmed); '' when not set. */
export type InputReader = (name: string) => string;

/**
 * Parses the named inputs with one zod object schema. The first problem
 * becomes a ConfigurationError naming the input and its rule.
 */
export function parseInputs<S extends z.ZodObject>(schema: S, read: InputReader): z.output<S> {
  const raw: Record<string, string> = {};
  for (const name of Object.keys(schema.shape)) raw[name] = read(name);
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const input = String(issue?.path[0] ?? 'inputs');
  throw new ConfigurationError(input, issue?.message ?? 'is invalid');
}
