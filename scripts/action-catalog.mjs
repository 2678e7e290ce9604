// The single source of every action's inputs and outputs. `npm run gen`
// writes the action.yml files and the README reference from it; CI fails
// when what is committed differs.

const input = (description, defaultValue, extra = {}) => ({
  description,
  default: defaultValue,
  ...extra,
});

export const sharedInputs = {
  host: input('Server to deploy to (name or IP). Required unless `transport` is `local`.'),
  port: input('SSH port, 1–65535.', '22'),
  username: input('SSH user on the server. Required unless `transport` is `local`.'),
  'private-key': input('OpenSSH or PEM private key text for `username` (secret).'),
  passphrase: input('Passphrase of an encrypted `private-key` (secret).'),
  'known-hosts': input(
    'One or more known_hosts lines for the host (`ssh-keyscan -p PORT HOST`); hashed lines, `[host]:port` and `@revoked` are understood.',
  ),
  'host-fingerprint': input(
    'Alternative to `known-hosts`: the host key fingerprint `SHA256:…` as `ssh-keygen -lf` prints it.',
  ),
  'insecure-ignore-host-key': input(
    'Connect without verifying the host key. Warns loudly on every run.',
    'false',
  ),
  transport: input(
    '`ssh`, or `local` to run the same commands on the runner itself (self-hosted runner on the target).',
    'ssh',
  ),
  site: input(
    'Site name: `^[a-zA-Z0-9][a-zA-Z0-9_-]{0,63}$`. Its files live in `<deploy-root>/<site>/`.',
  ),
  'deploy-root': input(
    'Directory on the server holding all sites: absolute or `~/`-relative, no `..`.',
    '~/berth',
  ),
  'lock-timeout': input('Seconds to wait for the site lock held by another operation.', '300'),
  'command-timeout': input('Seconds any one remote command may run.', '600'),
  'connect-timeout': input('Seconds to wait for the SSH connection and handshake.', '30'),
  'connect-retries': input(
    'Further connection attempts after a network failure (never after a host key or authentication failure).',
    '2',
  ),
  'compose-command': input(
    '`auto` (prefer `docker compose`, fall back to `docker-compose`), `docker compose` or `docker-compose`.',
    'auto',
  ),
  'dry-run': input(
    'Connect, validate and print every remote command without changing anything.',
    'false',
  ),
  'allow-fork-pull-requests': input(
    'Allow mutating operations on `pull_request`/`pull_request_target` events from forks.',
    'false',
  ),
};

const health = (prefix) => ({
  [`${prefix}url`]: input(
    'http(s) URL probed for health; without it, container state alone decides.',
  ),
  [`${prefix}via`]: input(
    '`host`: probe from the server through the SSH connection (reaches 127.0.0.1 there); `runner`: from the runner.',
    'host',
  ),
  [`${prefix}timeout`]: input('Seconds the whole health check may take.', '60'),
  [`${prefix}retries`]: input(
    'Responses outside the expected set tolerated before the release is unhealthy.',
    '3',
  ),
  [`${prefix}backoff`]: input('Seconds between probes.', '5'),
  [`${prefix}expect-status`]: input(
    'Healthy status codes and ranges, e.g. `200,204,300-399`.',
    '200-399',
  ),
  [`${prefix}expect-body`]: input('Text the body must contain, or `/regex/flags`.'),
  [`${prefix}request-timeout`]: input('Seconds per request.', '5'),
  [`${prefix}headers`]: input('Request headers, one `Name: value` per line (secret).'),
  [`${prefix}follow-redirects`]: input(
    'Follow redirects instead of judging the 3xx response.',
    'false',
  ),
  [`${prefix}containers`]: input(
    'Require every service container to be running (and healthy where a healthcheck exists).',
    'true',
  ),
});

const deploymentInputs = {
  'github-deployment': input(
    'Record the deploy as a GitHub Deployment (needs `permissions: deployments: write`).',
    'false',
  ),
  environment: input('GitHub environment name for the deployment.', 'production'),
  'environment-url': input(
    'URL shown on the deployment; defaults to the health URL origin when it is public.',
  ),
  'github-token': input('Token for the Deployments API.', '${{ github.token }}'),
};

const deployInputs = {
  'compose-file': input(
    'Compose file(s), one per line, relative to the workspace, applied in order like `-f`.',
  ),
  env: input('Dotenv text for the release `.env` (mode 0600; secret).'),
  'env-file': input('Workspace path of a dotenv file, instead of `env`.'),
  files: input('Extra workspace files or directories copied into the release, one per line.'),
  'project-name': input('Compose project name; defaults to `site` in lower case.'),
  pull: input('Pull images before pinning them.', 'true'),
  'before-up': input(
    'JSON array of compose subcommands run in the new release before the switch, e.g. `[["run","--rm","web","migrate"]]`.',
  ),
  force: input('Deploy even when the artifact equals the current release.', 'false'),
  'keep-releases': input('Releases kept after a healthy deploy (`0` = never prune).', '5'),
  'auto-rollback': input(
    'Roll back to the last good release when the new one is not healthy.',
    'true',
  ),
  'min-free-mb': input('Refuse to deploy when the deploy root has less free space (MiB).', '200'),
  ...health('health-'),
  ...deploymentInputs,
};

const out = (description) => ({ description });

export const actions = {
  'deploy-release': {
    name: 'Berth deploy-release',
    description:
      'Deploy a Docker Compose release over SSH as an immutable, image-pinned snapshot, gated on health, rolled back automatically.',
    icon: 'upload-cloud',
    inputs: { ...sharedInputs, ...deployInputs },
    outputs: {
      'release-id': out('The new release (or the current one when nothing changed).'),
      'previous-release-id': out('The release that served before.'),
      'artifact-hash': out('sha256 of the release content and pinned image ids.'),
      deployed: out('`false` when nothing had to change.'),
      'release-dir': out('Absolute path of the release on the server.'),
      'health-status': out('`healthy`, `unhealthy`, `starting` or `unknown`.'),
      'rolled-back': out(
        '`true` when the new release was unhealthy and the previous one restored.',
      ),
      'current-release-id': out('The release serving after the step.'),
    },
  },
  'health-gate': {
    name: 'Berth health-gate',
    description:
      'Check a deployed site over HTTP and by container state, with retries, and record the result.',
    icon: 'activity',
    inputs: {
      ...sharedInputs,
      ...health(''),
      'fail-on-unhealthy': input('Fail the step unless healthy.', 'true'),
    },
    outputs: {
      status: out('`healthy`, `unhealthy`, `starting` or `unknown`.'),
      'http-status': out('Last HTTP status seen, if any.'),
      attempts: out('Number of probes.'),
      'elapsed-ms': out('Duration of the check.'),
      message: out('What decided the status.'),
    },
  },
  rollback: {
    name: 'Berth rollback',
    description:
      'Bring back the previous good release, or a named one, with exactly the images it ran before.',
    icon: 'rotate-ccw',
    inputs: {
      ...sharedInputs,
      'release-id': input(
        'Release to restore (`rel_<10 digits>_<8 hex>`); default: the newest older release not marked unhealthy.',
      ),
      reason: input('Free text recorded in the audit line.'),
      ...health('health-'),
      ...deploymentInputs,
    },
    outputs: {
      success: out('`true` when the target release is serving and healthy.'),
      'from-release': out('Release that served before.'),
      'to-release': out('Release restored.'),
      'lifecycle-status': out('State of the containers afterwards (running, exited, …).'),
      'health-status': out('Health of the restored release.'),
      message: out('What happened.'),
      warnings: out('JSON array of warnings.'),
    },
  },
  'prune-releases': {
    name: 'Berth prune-releases',
    description: 'Delete old releases and their image tags, never the current or a pinned one.',
    icon: 'trash-2',
    inputs: { ...sharedInputs, keep: input('Releases to keep (at least 1).', '5') },
    outputs: {
      'pruned-releases': out('JSON array of deleted release ids.'),
      'kept-releases': out('JSON array of kept release ids.'),
      'freed-bytes': out('Bytes freed on disk.'),
    },
  },
  lifecycle: {
    name: 'Berth lifecycle',
    description:
      'Start, stop, restart, remove or inspect a site; list, pin and unpin its releases.',
    icon: 'sliders',
    inputs: {
      ...sharedInputs,
      operation: input(
        '`status`, `start`, `stop`, `restart`, `remove`, `list-releases`, `pin` or `unpin`.',
      ),
      'release-id': input('Release for `pin` and `unpin`.'),
      'keep-data': input(
        '`remove` keeps releases, volumes and data unless this is `false`.',
        'true',
      ),
      confirm: input('Must equal the site name for `remove` with `keep-data: false`.'),
    },
    outputs: {
      status: out(
        'Site state: running, stopped, exited, restarting, paused, dead, created, unknown or absent.',
      ),
      services: out('JSON array of services: name, state, health, image id, started at.'),
      'current-release-id': out('The current release.'),
      releases: out('`list-releases`: JSON array, newest first.'),
    },
  },
};

const commandNames = {
  deploy: 'deploy-release',
  health: 'health-gate',
  rollback: 'rollback',
  prune: 'prune-releases',
  lifecycle: 'lifecycle',
};

function union(kind) {
  const merged = {};
  for (const name of Object.values(commandNames)) {
    for (const [key, value] of Object.entries(actions[name][kind])) {
      if (merged[key] && merged[key].description !== value.description) {
        merged[key] = {
          ...merged[key],
          description: `${merged[key].description} (${name}: ${value.description})`,
        };
      } else merged[key] ??= value;
    }
  }
  return merged;
}

export const rootAction = {
  name: 'Berth',
  description:
    'Deploy Docker Compose applications over SSH as immutable, health-gated releases; roll back, prune and manage sites.',
  icon: 'anchor',
  inputs: {
    command: input('`deploy`, `health`, `rollback`, `prune` or `lifecycle`.'),
    ...union('inputs'),
  },
  outputs: union('outputs'),
  commandNames,
};
