import { readFileSync, statSync } from 'node:fs';
import { z } from 'zod';
import { ConfigurationError } from '../errors.js';
import { RELEASE_FILES } from '../commands/site-layout.js';
import { validateDotenv } from './dotenv.js';
import { booleanField, integerField, lines, optionalText } from './fields.js';
import { parseHealthSettings, type HealthSettings } from './health-settings.js';
import { parseInputs, type InputReader } from './read-inputs.js';
import { parseSharedSettings, type SharedSettings } from './shared-settings.js';
import {
  collectWorkspaceFiles,
  resolveWorkspacePath,
  type WorkspaceFile,
} from './workspace-files.js';

const PROJECT_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

export interface DeploySettings extends SharedSettings {
  readonly composeFiles: readonly WorkspaceFile[];
  /** Dotenv text for the release's `.env` (secret). */
  readonly envText: string;
  /** Every env value, for masking. */
  readonly envValues: readonly string[];
  readonly extraFiles: readonly WorkspaceFile[];
  readonly projectName: string;
  readonly pull: boolean;
  readonly beforeUp: ReadonlyArray<readonly string[]>;
  readonly force: boolean;
  readonly keepReleases: number;
  readonly autoRollback: boolean;
  readonly minFreeMb: number;
  readonly health: HealthSettings;
}

const deploySchema = z.object({
  'compose-file': z.string(),
  env: z.string(),
  'env-file': optionalText(),
  files: z.string(),
  'project-name': z.string().refine((v) => v === '' || PROJECT_NAME.test(v), {
    message: 'must match ^[a-z0-9][a-z0-9_-]{0,62}$ (lower-case letters, digits, _ and -)',
  }),
  pull: booleanField(true),
  'before-up': z.string().transform((value, ctx) => {
    if (value === '') return [] as string[][];
    const rule =
      'must be a JSON array of argument arrays (non-empty arrays of strings), e.g. [["run","--rm","web","migrate"]]';
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: `${rule}; it is not valid JSON` });
      return z.NEVER;
    }
    const ok =
      Array.isArray(parsed) &&
      parsed.every(
        (argv) =>
          Array.isArray(argv) &&
          argv.length > 0 &&
          argv.every((arg) => typeof arg === 'string' && !arg.includes('\0')),
      );
    if (!ok) {
      ctx.addIssue({ code: 'custom', message: rule });
      return z.NEVER;
    }
    return parsed as string[][];
  }),
  force: booleanField(false),
  'keep-releases': integerField(5, { min: 0, max: 10_000 }),
  'auto-rollback': booleanField(true),
  'min-free-mb': integerField(200, { min: 0, max: 10_000_000 }),
});

const RESERVED = new Set<string>(Object.values(RELEASE_FILES));

export function parseDeploySettings(read: InputReader, workspace: string): DeploySettings {
  const shared = parseSharedSettings(read);
  const input = parseInputs(deploySchema, read);
  const health = parseHealthSettings(read, 'health-');

  const composeInputs = lines(input['compose-file']);
  if (composeInputs.length === 0) {
    throw new ConfigurationError(
      'compose-file',
      'is required: one or more compose files, one per line',
    );
  }
  const composeFiles = composeInputs.map((value) => {
    const files = collectWorkspaceFiles('compose-file', value, workspace);
    if (
      files.length !== 1 ||
      files[0]?.releasePath !== resolveWorkspacePath('compose-file', value, workspace).releasePath
    ) {
      throw new ConfigurationError('compose-file', `'${value}' must be a file, not a directory`);
    }
    return files[0];
  });

  if (input.env !== '' && input['env-file'] !== undefined) {
    throw new ConfigurationError('env-file', "cannot be used together with 'env'; pick one");
  }
  let envText = input.env;
  let envInput = 'env';
  if (input['env-file'] !== undefined) {
    envInput = 'env-file';
    const { absolute } = resolveWorkspacePath('env-file', input['env-file'], workspace);
    if (!statSync(absolute).isFile()) {
      throw new ConfigurationError('env-file', `'${input['env-file']}' must be a file`);
    }
    envText = readFileSync(absolute, 'utf8');
  }
  const envValues = validateDotenv(envInput, envText);

  const extraFiles = lines(input.files).flatMap((value) =>
    collectWorkspaceFiles('files', value, workspace),
  );
  // A path named twice (or a compose file also listed in `files`) is frozen once.
  const seen = new Set<string>();
  const uniqueExtraFiles: WorkspaceFile[] = [];
  for (const file of [...composeFiles, ...extraFiles]) {
    const inputName = composeFiles.includes(file) ? 'compose-file' : 'files';
    if (RESERVED.has(file.releasePath)) {
      throw new ConfigurationError(
        inputName,
        `'${file.releasePath}' is a name Berth reserves in a release`,
      );
    }
    if (seen.has(file.releasePath)) continue;
    seen.add(file.releasePath);
    if (!composeFiles.includes(file)) uniqueExtraFiles.push(file);
  }

  return Object.freeze({
    ...shared,
    composeFiles: Object.freeze(composeFiles),
    envText,
    envValues: Object.freeze(envValues),
    extraFiles: Object.freeze(uniqueExtraFiles),
    projectName: input['project-name'] || shared.site.site.toLowerCase(),
    pull: input.pull,
    beforeUp: Object.freeze(input['before-up']),
    force: input.force,
    keepReleases: input['keep-releases'],
    autoRollback: input['auto-rollback'],
    minFreeMb: input['min-free-mb'],
    health,
  });
}
