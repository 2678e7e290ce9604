import { z } from 'zod';
import { booleanField, optionalText } from './fields.js';
import { parseInputs, type InputReader } from './read-inputs.js';

export interface DeploymentSettings {
  readonly enabled: boolean;
  readonly environment: string;
  readonly environmentUrl: string;
  readonly token: string;
}

const schema = z.object({
  'github-deployment': booleanField(false),
  environment: z.string().refine((v) => v.length <= 255 && !/[\0\r\n]/.test(v), {
    message: 'must be an environment name of at most 255 characters on one line',
  }),
  'environment-url': optionalText().refine(
    (v) => v === undefined || /^https?:\/\/[^\s]+$/.test(v),
    {
      message: 'must be an http:// or https:// URL',
    },
  ),
  'github-token': z.string(),
});

/** Inputs of the opt-in GitHub Deployments record (deploy-release and rollback). */
export function parseDeploymentSettings(read: InputReader): DeploymentSettings {
  const input = parseInputs(schema, read);
  return Object.freeze({
    enabled: input['github-deployment'],
    environment: input.environment || 'production',
    environmentUrl: input['environment-url'] ?? '',
    token: input['github-token'],
  });
}
