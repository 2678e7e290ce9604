import { describe, expect, it } from 'vitest';
import {
  judgeContainers,
  parseContainerStates,
  type ContainerState,
} from '../../src/health/container-state.js';

function inspectLine(fields: {
  id: string;
  name?: string;
  service?: string;
  status?: string;
  health?: string;
  restarts?: number;
  exitCode?: number;
  oneoff?: string;
}): string {
  return JSON.stringify({
    Id: fields.id,
    Name: `/${fields.name ?? fields.id}`,
    Image: `sha256:${fields.id}`,
    RestartCount: fields.restarts ?? 0,
    State: {
      Status: fields.status ?? 'running',
      StartedAt: '2024-01-01T00:00:00Z',
      ExitCode: fields.exitCode ?? 0,
      ...(fields.health ? { Health: { Status: fields.health } } : {}),
    },
    Config: {
      Labels: {
        'com.docker.compose.project': 'shop',
        ...(fields.service ? { 'com.docker.compose.service': fields.service } : {}),
        ...(fields.oneoff ? { 'com.docker.compose.oneoff': fields.oneoff } : {}),
      },
    },
  });
}

function state(overrides: Partial<ContainerState> & { id: string }): ContainerState {
  return {
    name: overrides.id,
    service: overrides.id,
    state: 'running',
    health: 'none',
    imageId: 'sha256:x',
    startedAt: '',
    restartCount: 0,
    exitCode: 0,
    ...overrides,
  };
}

describe('parseContainerStates', () => {
  it('maps docker inspect documents to states', () => {
    const stdout = inspectLine({
      id: 'c1',
      name: 'shop-web-1',
      service: 'web',
      status: 'exited',
      health: 'unhealthy',
      restarts: 3,
      exitCode: 137,
    });
    expect(parseContainerStates(stdout)).toEqual<ContainerState[]>([
      {
        id: 'c1',
        name: 'shop-web-1',
        service: 'web',
        state: 'exited',
        health: 'unhealthy',
        imageId: 'sha256:c1',
        startedAt: '2024-01-01T00:00:00Z',
        restartCount: 3,
        exitCode: 137,
      },
    ]);
  });

  it('fills defaults for missing fields', () => {
    expect(parseContainerStates('{}')).toEqual<ContainerState[]>([
      {
        id: '',
        name: '',
        service: '',
        state: 'unknown',
        health: 'none',
        imageId: '',
        startedAt: '',
        restartCount: 0,
        exitCode: 0,
      },
    ]);
  });

  it('reports health none when there is no healthcheck', () => {
    const [only] = parseContainerStates(inspectLine({ id: 'c1', service: 'web' }));
    expect(only?.health).toBe('none');
  });

  it('skips one-off run containers, whatever the case of the label', () => {
    const stdout = [
      inspectLine({ id: 'a', service: 'web' }),
      inspectLine({ id: 'b', service: 'web', oneoff: 'True' }),
      inspectLine({ id: 'c', service: 'web', oneoff: 'False' }),
    ].join('\n');
    expect(parseContainerStates(stdout).map((c) => c.id)).toEqual(['a', 'c']);
  });

  it('ignores lines that are not JSON objects, including blank and CRLF-padded ones', () => {
    const stdout = `\nwarning: something\n  ${inspectLine({ id: 'a', service: 'web' })}\r\n\n`;
    expect(parseContainerStates(stdout).map((c) => c.id)).toEqual(['a']);
  });

  it('sorts by service, then name', () => {
    const stdout = [
      inspectLine({ id: '1', name: 'web-2', service: 'web' }),
      inspectLine({ id: '2', name: 'db-1', service: 'db' }),
      inspectLine({ id: '3', name: 'web-1', service: 'web' }),
    ].join('\n');
    expect(parseContainerStates(stdout).map((c) => c.name)).toEqual(['db-1', 'web-1', 'web-2']);
  });

  it('is empty for empty output', () => {
    expect(parseContainerStates('')).toEqual([]);
  });
});

describe('judgeContainers', () => {
  const none = new Map<string, number>();

  it('fails a project with no containers', () => {
    expect(judgeContainers([], none)).toEqual({
      kind: 'failed',
      detail: 'the project has no containers',
      services: [],
    });
  });

  it('is ready when every container runs and healthchecks pass', () => {
    const states = [state({ id: 'web', health: 'healthy' }), state({ id: 'worker' })];
    expect(judgeContainers(states, none)).toEqual({ kind: 'ready' });
  });

  it('fails an exited container, with its exit code', () => {
    const verdict = judgeContainers(
      [state({ id: 'web' }), state({ id: 'worker', state: 'exited', exitCode: 137 })],
      none,
    );
    expect(verdict).toEqual({
      kind: 'failed',
      detail: 'worker is exited (exit 137)',
      services: ['worker'],
    });
  });

  it.each(['dead', 'restarting', 'removing', 'paused'])('fails a %s container', (status) => {
    const verdict = judgeContainers([state({ id: 'web', state: status })], none);
    expect(verdict).toEqual({ kind: 'failed', detail: `web is ${status}`, services: ['web'] });
  });

  it('fails an unhealthy container', () => {
    const verdict = judgeContainers([state({ id: 'web', health: 'unhealthy' })], none);
    expect(verdict).toEqual({ kind: 'failed', detail: 'web is unhealthy', services: ['web'] });
  });

  it('fails a container that restarted since the baseline', () => {
    const baseline = new Map([['web', 1]]);
    const verdict = judgeContainers([state({ id: 'web', restartCount: 2 })], baseline);
    expect(verdict).toEqual({ kind: 'failed', detail: 'web restarted', services: ['web'] });
  });

  it('does not fail a restart count equal to the baseline', () => {
    const baseline = new Map([['web', 2]]);
    expect(judgeContainers([state({ id: 'web', restartCount: 2 })], baseline).kind).toBe('ready');
  });

  it('does not count restarts of a container missing from the baseline', () => {
    expect(judgeContainers([state({ id: 'web', restartCount: 5 })], none).kind).toBe('ready');
  });

  it('names each failing service once', () => {
    const verdict = judgeContainers(
      [
        state({ id: 'w1', service: 'web', state: 'exited', exitCode: 1 }),
        state({ id: 'w2', service: 'web', state: 'dead' }),
        state({ id: 'db', service: 'db' }),
      ],
      none,
    );
    expect(verdict.kind).toBe('failed');
    expect(verdict.kind === 'failed' && verdict.services).toEqual(['web']);
    expect(verdict.kind === 'failed' && verdict.detail).toBe('web is exited (exit 1), web is dead');
  });

  it('is starting while a healthcheck starts or a container is only created', () => {
    expect(
      judgeContainers([state({ id: 'web', health: 'starting' }), state({ id: 'db' })], none),
    ).toEqual({
      kind: 'starting',
      detail: 'web is starting',
    });
    expect(judgeContainers([state({ id: 'web', state: 'created' })], none)).toEqual({
      kind: 'starting',
      detail: 'web is created',
    });
  });

  it('lets a failure win over containers still starting', () => {
    const verdict = judgeContainers(
      [state({ id: 'web', health: 'starting' }), state({ id: 'db', state: 'exited', exitCode: 2 })],
      none,
    );
    expect(verdict.kind).toBe('failed');
    expect(verdict.kind === 'failed' && verdict.services).toEqual(['db']);
  });
});
