/** The environment of the workflow run, recorded in releases and audit lines. */
export interface RunContext {
  readonly actor: string;
  readonly runUrl: string;
  readonly sha: string;
  readonly ref: string;
  readonly repository: string;
}

export function runContextFrom(env: NodeJS.ProcessEnv): RunContext {
  const server = env.GITHUB_SERVER_URL ?? 'https://github.com';
  const repository = env.GITHUB_REPOSITORY ?? '';
  const runId = env.GITHUB_RUN_ID ?? '';
  const attempt = env.GITHUB_RUN_ATTEMPT ? `/attempts/${env.GITHUB_RUN_ATTEMPT}` : '';
  return Object.freeze({
    actor: env.GITHUB_ACTOR ?? env.USER ?? 'unknown',
    runUrl: repository && runId ? `${server}/${repository}/actions/runs/${runId}${attempt}` : '',
    sha: env.GITHUB_SHA ?? '',
    ref: env.GITHUB_REF ?? '',
    repository,
  });
}

export type HealthStatus = 'healthy' | 'unhealthy' | 'starting' | 'unknown';

export interface ServicePin {
  readonly service: string;
  readonly image: string;
  readonly image_id: string;
  readonly repo_digest: string | null;
  readonly pinned_tag: string;
}

/** `release.json`: never holds a secret value (env keys and values stay in `.env`). */
export interface ReleaseMetadata {
  readonly release_id: string;
  readonly site_id: string;
  readonly artifact_hash: string;
  readonly created_at: string;
  health_status: HealthStatus;
  health_checked_at?: string;
  /** Set when the deploy failed before the release went live (it never served). */
  deploy_failure?: string;
  pinned?: boolean;
  readonly project_name: string;
  readonly compose_command: string;
  readonly compose_version: string;
  readonly compose_files: readonly string[];
  readonly project_directory: string;
  /** Every frozen file, the input of the artifact hash. */
  readonly files: readonly string[];
  readonly services: readonly ServicePin[];
  readonly git: { readonly sha: string; readonly ref: string; readonly repository: string };
  readonly run_url: string;
  readonly actor: string;
}

export interface Manifest {
  readonly site_id: string;
  readonly current_release_id: string | null;
  readonly previous_release_id: string | null;
  readonly last_health_status: HealthStatus;
  readonly updated_at: string;
  /** Set by `lifecycle stop`, so `status` can tell a stop from a crash. */
  readonly stopped?: boolean;
}

export interface AuditEntry {
  readonly time: string;
  readonly operation: string;
  readonly site: string;
  readonly actor: string;
  readonly run_url: string;
  readonly from_release: string | null;
  readonly to_release: string | null;
  readonly result: string;
  readonly duration_ms: number;
  readonly detail?: string;
}

export function auditLine(entry: AuditEntry): string {
  return JSON.stringify(entry);
}
