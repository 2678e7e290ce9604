/** The compose CLI chosen on the target, with its version. */
export interface ComposeTool {
  readonly argv: readonly ['docker', 'compose'] | readonly ['docker-compose'];
  readonly version: string;
}

/** Everything that identifies one compose project on disk. */
export interface ComposeProject {
  readonly tool: ComposeTool;
  readonly projectName: string;
  /** Directory relative paths in the compose files resolve against. */
  readonly projectDirectory: string;
  readonly envFile: string;
  /** Applied in order, like repeated `-f`. */
  readonly files: readonly string[];
}

export function composeCommand(project: ComposeProject, subcommand: readonly string[]): string[] {
  return [
    ...project.tool.argv,
    '--project-name',
    project.projectName,
    '--project-directory',
    project.projectDirectory,
    '--env-file',
    project.envFile,
    ...project.files.flatMap((file) => ['--file', file]),
    ...subcommand,
  ];
}

/** Prints the fully resolved configuration (YAML for v1, YAML for v2); validates the files. */
export const configSubcommand = (): string[] => ['config'];
export const pullSubcommand = (): string[] => ['pull', '--quiet'];
export const upSubcommand = (): string[] => ['up', '--detach', '--remove-orphans'];
export const stopSubcommand = (): string[] => ['stop'];
export const restartSubcommand = (): string[] => ['restart'];
export const downSubcommand = (removeVolumes: boolean): string[] =>
  removeVolumes ? ['down', '--remove-orphans', '--volumes'] : ['down', '--remove-orphans'];

/**
 * Which compose CLI answers for this user, as `<command>\t<version>`:
 * `auto` prefers `docker compose` and falls back to `docker-compose`.
 * Prints nothing when none works.
 */
export function composeProbeCommand(choice: string): string[] {
  return [
    'sh',
    '-c',
    'v2() { v=$(docker compose version --short 2>/dev/null) && printf "docker compose\\t%s\\n" "$v"; }; ' +
      'v1() { v=$(docker-compose version --short 2>/dev/null) && printf "docker-compose\\t%s\\n" "$v"; }; ' +
      'case "$1" in auto) v2 || v1 || true;; "docker compose") v2 || true;; docker-compose) v1 || true;; esac',
    'berth-compose-probe',
    choice,
  ];
}

/** Reads `composeProbeCommand` output. */
export function parseComposeProbe(stdout: string): ComposeTool | null {
  const [command, version] = stdout.trim().split('\t');
  if (command === 'docker compose')
    return { argv: ['docker', 'compose'], version: (version ?? '').trim() };
  if (command === 'docker-compose')
    return { argv: ['docker-compose'], version: (version ?? '').trim() };
  return null;
}
