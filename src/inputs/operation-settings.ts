import { z } from 'zod';
import { ConfigurationError } from '../errors.js';
import { RELEASE_ID_PATTERN } from '../commands/site-layout.js';
import { booleanField, choiceField, integerField, optionalText } from './fields.js';
import { parseHealthSettings, type HealthSettings } from './health-settings.js';
import { parseInputs, type InputReader } from './read-inputs.js';
import { parseSharedSettings, type SharedSettings } from './shared-settings.js';

const releaseIdField = () =>
  optionalText().refine((v) => v === undefined || RELEASE_ID_PATTERN.test(v), {
    message: 'must match ^rel_\\d{10}_[a-f0-9]{8}$ (a release id as list-releases prints it)',
  });

export interface RollbackSettings extends SharedSettings {
  readonly releaseId?: string;
  readonly reason: string;
  readonly health: HealthSettings;
}

export function parseRollbackSettings(read: InputReader): RollbackSettings {
  const shared = parseSharedSettings(read);
  const input = parseInputs(
    z.object({
      'release-id': releaseIdField(),
      reason: z.string().refine((v) => v.length <= 1000 && !v.includes('\0'), {
        message: 'must be at most 1000 characters of text',
      }),
    }),
    read,
  );
  return Object.freeze({
    ...shared,
    releaseId: input['release-id'],
    reason: input.reason,
    health: parseHealthSettings(read, 'health-'),
  });
}

export interface HealthGateSettings extends SharedSettings {
  readonly health: HealthSettings;
  readonly failOnUnhealthy: boolean;
}

export function parseHealthGateSettings(read: InputReader): HealthGateSettings {
  const shared = parseSharedSettings(read, { siteOptional: true });
  const input = parseInputs(z.object({ 'fail-on-unhealthy': booleanField(true) }), read);
  const health = parseHealthSettings(read, '');
  if (!health.url && !(health.containers && shared.site.site)) {
    throw new ConfigurationError(
      'url',
      "is required unless 'containers' is true and 'site' names the compose project to check",
    );
  }
  return Object.freeze({ ...shared, health, failOnUnhealthy: input['fail-on-unhealthy'] });
}

export interface PruneSettings extends SharedSettings {
  readonly keep: number;
}

export function parsePruneSettings(read: InputReader): PruneSettings {
  const shared = parseSharedSettings(read);
  const input = parseInputs(z.object({ keep: integerField(5, { min: 1, max: 100_000 }) }), read);
  return Object.freeze({ ...shared, keep: input.keep });
}

export const LIFECYCLE_OPERATIONS = [
  'status',
  'start',
  'stop',
  'restart',
  'remove',
  'list-releases',
  'pin',
  'unpin',
] as const;
export type LifecycleOperation = (typeof LIFECYCLE_OPERATIONS)[number];

export interface LifecycleSettings extends SharedSettings {
  readonly operation: LifecycleOperation;
  readonly releaseId?: string;
  readonly keepData: boolean;
  readonly confirm: string;
}

export function parseLifecycleSettings(read: InputReader): LifecycleSettings {
  const shared = parseSharedSettings(read);
  const input = parseInputs(
    z.object({
      operation: z
        .string()
        .transform((value, ctx) => {
          if (value === '') {
            ctx.addIssue({
              code: 'custom',
              message: `is required: one of ${LIFECYCLE_OPERATIONS.join(', ')}`,
            });
            return z.NEVER;
          }
          return value;
        })
        .pipe(choiceField(LIFECYCLE_OPERATIONS, 'status')),
      'release-id': releaseIdField(),
      'keep-data': booleanField(true),
      confirm: z.string(),
    }),
    read,
  );
  if ((input.operation === 'pin' || input.operation === 'unpin') && !input['release-id']) {
    throw new ConfigurationError('release-id', `is required for operation '${input.operation}'`);
  }
  if (input.operation === 'remove' && !input['keep-data'] && input.confirm !== shared.site.site) {
    throw new ConfigurationError(
      'confirm',
      `must equal the site name '${shared.site.site}' exactly to remove the site with keep-data: false (its volumes and directory are deleted)`,
    );
  }
  return Object.freeze({
    ...shared,
    operation: input.operation,
    releaseId: input['release-id'],
    keepData: input['keep-data'],
    confirm: input.confirm,
  });
}
