import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  containerLogsCommand,
  projectContainerStatesCommand,
} from '../../src/commands/containers.js';
import { PROJECT_LABEL } from '../../src/commands/docker.js';
import { parseContainerStates } from '../../src/health/container-state.js';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-containers-'));
  // A stand-in `docker`: records calls; `ps` prints $FAKE_IDS (exit $FAKE_PS_EXIT);
  // `container inspect` prints one JSON document per id; `logs` prints a line.
  writeFileSync(
    join(dir, 'docker'),
    [
      '#!/bin/sh',
      '{ printf "%s\\037" "$@"; printf "\\036"; } >> "$FAKE_LOG"',
      'case "$1" in',
      '  ps) [ -z "$FAKE_IDS" ] || printf "%s\\n" $FAKE_IDS; exit "${FAKE_PS_EXIT:-0}";;',
      '  container) shift 4; for id in "$@"; do',
      '      printf \'{"Id":"%s","Name":"/%s","State":{"Status":"running"},"Config":{"Labels":{"com.docker.compose.service":"svc-%s"}}}\\n\' "$id" "$id" "$id"',
      '    done;;',
      '  logs) printf "log line of %s, tail %s\\n" "$4" "$3";;',
      'esac',
    ].join('\n'),
  );
  chmodSync(join(dir, 'docker'), 0o755);
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function runWithFakeDocker(argv: readonly string[], env: Record<string, string> = {}) {
  const log = join(dir, 'calls');
  const result = spawnSync(argv[0] as string, argv.slice(1), {
    cwd: dir,
    env: { PATH: `${dir}:/usr/bin:/bin`, FAKE_LOG: log, ...env },
    encoding: 'utf8',
  });
  const calls = existsSync(log)
    ? readFileSync(log, 'utf8')
        .split('\x1e')
        .filter((record) => record !== '')
        .map((record) => record.split('\x1f').slice(0, -1))
    : [];
  return { code: result.status, stdout: result.stdout, calls };
}

describe('projectContainerStatesCommand', () => {
  const project = "shop $(touch pwned) 'x'";

  it('passes the label and project as arguments, not inside the script', () => {
    const argv = projectContainerStatesCommand(project);
    expect(argv.slice(0, 2)).toEqual(['sh', '-c']);
    expect(argv[2]).not.toContain('shop');
    expect(argv[2]).not.toContain(PROJECT_LABEL);
    expect(argv.slice(3)).toEqual(['berth-containers', PROJECT_LABEL, project]);
  });

  it('filters by the exact project label and inspects every container in one call', () => {
    const { code, stdout, calls } = runWithFakeDocker(projectContainerStatesCommand(project), {
      FAKE_IDS: 'aaa bbb',
    });
    expect(code).toBe(0);
    expect(calls).toEqual([
      ['ps', '--all', '--quiet', '--no-trunc', '--filter', `label=${PROJECT_LABEL}=${project}`],
      ['container', 'inspect', '--format', '{{json .}}', 'aaa', 'bbb'],
    ]);
    expect(parseContainerStates(stdout).map((c) => [c.id, c.service])).toEqual([
      ['aaa', 'svc-aaa'],
      ['bbb', 'svc-bbb'],
    ]);
    expect(existsSync(join(dir, 'pwned'))).toBe(false);
  });

  it('prints nothing and succeeds when the project has no containers', () => {
    const { code, stdout, calls } = runWithFakeDocker(projectContainerStatesCommand('shop'));
    expect(code).toBe(0);
    expect(stdout).toBe('');
    expect(calls).toHaveLength(1);
  });

  it('fails when docker ps fails', () => {
    const { code, calls } = runWithFakeDocker(projectContainerStatesCommand('shop'), {
      FAKE_IDS: 'aaa',
      FAKE_PS_EXIT: '3',
    });
    expect(code).toBe(3);
    expect(calls).toHaveLength(1);
  });
});

describe('containerLogsCommand', () => {
  it('passes the count and names as arguments', () => {
    const argv = containerLogsCommand(['shop-web-1', 'shop-db-1'], 40);
    expect(argv.slice(0, 2)).toEqual(['sh', '-c']);
    expect(argv[2]).not.toContain('shop-web-1');
    expect(argv[2]).not.toContain('40');
    expect(argv.slice(3)).toEqual(['berth-logs', '40', 'shop-web-1', 'shop-db-1']);
  });

  it('heads each container block with its name', () => {
    const { code, stdout, calls } = runWithFakeDocker(containerLogsCommand(['web 1', 'db'], 7));
    expect(code).toBe(0);
    expect(stdout).toBe(
      '==== web 1 ====\nlog line of web 1, tail 7\n==== db ====\nlog line of db, tail 7\n',
    );
    expect(calls).toEqual([
      ['logs', '--tail', '7', 'web 1'],
      ['logs', '--tail', '7', 'db'],
    ]);
  });
});
