import { describe, expect, it } from 'vitest';
import type { ContainerState } from '../../src/health/container-state.js';
import {
  bodyExpected,
  runHealthCheck,
  statusExpected,
  type Clock,
  type HealthProbes,
} from '../../src/health/health-check.js';
import type { HttpOutcome } from '../../src/health/http-probe.js';
import type { HealthSettings } from '../../src/inputs/health-settings.js';

const URL_TEXT = 'http://127.0.0.1:8080/health';

function settings(overrides: Partial<HealthSettings> = {}): HealthSettings {
  return {
    url: new URL(URL_TEXT),
    via: 'host',
    timeoutMs: 10_000,
    retries: 3,
    backoffMs: 2_000,
    expectStatus: [[200, 399]],
    expectBody: undefined,
    requestTimeoutMs: 5_000,
    headers: [],
    followRedirects: false,
    containers: true,
    ...overrides,
  };
}

/** Virtual time: `sleep` only moves the clock. */
class FakeClock implements Clock {
  time = 1_000_000;
  readonly sleeps: number[] = [];
  now(): number {
    return this.time;
  }
  async sleep(ms: number): Promise<void> {
    expect(ms).toBeGreaterThan(0);
    this.sleeps.push(ms);
    this.time += ms;
  }
}

const response = (status: number, body = 'ok'): HttpOutcome => ({
  kind: 'response',
  status,
  body,
  url: URL_TEXT,
});
const noResponse = (error = 'ECONNREFUSED'): HttpOutcome => ({
  kind: 'no-response',
  error,
  url: URL_TEXT,
});

function container(overrides: Partial<ContainerState> = {}): ContainerState {
  return {
    id: 'c-web',
    name: 'shop-web-1',
    service: 'web',
    state: 'running',
    health: 'none',
    imageId: 'sha256:abc',
    startedAt: '',
    restartCount: 0,
    exitCode: 0,
    ...overrides,
  };
}

/** A probe that answers from a script (the last entry repeats) and records when it was called. */
function scripted<T>(clock: FakeClock, script: ReadonlyArray<T | ((timeoutMs: number) => T)>) {
  const calls: Array<{ at: number; timeoutMs?: number }> = [];
  const probe = async (timeoutMs?: number): Promise<T> => {
    calls.push({ at: clock.now(), timeoutMs });
    const step = script[Math.min(calls.length - 1, script.length - 1)] as T | ((t: number) => T);
    return typeof step === 'function' ? (step as (t: number) => T)(timeoutMs ?? 0) : step;
  };
  return { probe, calls };
}

async function run(config: HealthSettings, probes: HealthProbes, clock: FakeClock) {
  const lines: string[] = [];
  const startedAt = clock.now();
  const report = await runHealthCheck(config, probes, clock, (line) => lines.push(line));
  return { report, lines, startedAt };
}

describe('statusExpected / bodyExpected', () => {
  it('checks the status against every range, inclusive', () => {
    const config = settings({
      expectStatus: [
        [200, 204],
        [301, 301],
      ],
    });
    expect([199, 200, 204, 205, 301, 302].map((s) => statusExpected(s, config))).toEqual([
      false,
      true,
      true,
      false,
      true,
      false,
    ]);
  });

  it('checks the body by substring or regex, and accepts anything without an expectation', () => {
    expect(bodyExpected('anything', settings())).toBe(true);
    const substring = settings({ expectBody: { kind: 'substring', text: '"ok"' } });
    expect(bodyExpected('{"status":"ok"}', substring)).toBe(true);
    expect(bodyExpected('{"status":"OK"}', substring)).toBe(false);
    const regex = settings({ expectBody: { kind: 'regex', pattern: /^up\b/i } });
    expect(bodyExpected('UP and running', regex)).toBe(true);
    expect(bodyExpected('not up', regex)).toBe(false);
  });
});

describe('runHealthCheck', () => {
  it('is healthy on the first try without sleeping', async () => {
    const clock = new FakeClock();
    const http = scripted(clock, [response(200)]);
    const containers = scripted(clock, [[container({ health: 'healthy' })]]);
    const { report, lines } = await run(
      settings(),
      { http: http.probe, containers: () => containers.probe() },
      clock,
    );
    expect(report.status).toBe('healthy');
    expect(report.httpStatus).toBe(200);
    expect(report.elapsedMs).toBe(0);
    expect(report.attempts).toEqual([{ attempt: 1, atMs: 0, httpStatus: 200, outcome: 'healthy' }]);
    expect(report.message).toContain(URL_TEXT);
    expect(report.message).toContain('200');
    expect(report.failingServices).toEqual([]);
    expect(report.containers).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
    expect(lines).toEqual(['attempt 1 at 0.00s: HTTP 200 -> healthy']);
  });

  it('retries no response every backoff until the timeout, then reports unknown', async () => {
    const clock = new FakeClock();
    const http = scripted(clock, [noResponse('ECONNREFUSED')]);
    const { report, startedAt } = await run(
      settings({ timeoutMs: 10_000, backoffMs: 2_000 }),
      { http: http.probe },
      clock,
    );
    expect(report.status).toBe('unknown');
    expect(http.calls.map((c) => c.at - startedAt)).toEqual([0, 2000, 4000, 6000, 8000]);
    expect(report.attempts.map((a) => a.atMs)).toEqual([0, 2000, 4000, 6000, 8000]);
    expect(report.attempts.every((a) => a.outcome === 'retry' && a.error === 'ECONNREFUSED')).toBe(
      true,
    );
    expect(report.attempts.every((a) => a.httpStatus === null)).toBe(true);
    expect(clock.sleeps).toEqual([2000, 2000, 2000, 2000]);
    // Ends once no further probe could start before the timeout, never after it.
    expect(report.elapsedMs).toBe(8_000);
    expect(report.httpStatus).toBeNull();
    expect(report.message).toContain('No response');
    expect(report.message).toContain('10s');
    expect(report.message).toContain('ECONNREFUSED');
  });

  it('stops when the next probe could not start before the deadline', async () => {
    const clock = new FakeClock();
    const http = scripted(clock, [noResponse()]);
    const { report } = await run(
      settings({ timeoutMs: 5_000, backoffMs: 2_000 }),
      { http: http.probe },
      clock,
    );
    expect(clock.sleeps).toEqual([2000, 2000]);
    expect(report.elapsedMs).toBe(4_000);
    expect(report.status).toBe('unknown');
  });

  it('caps each request timeout by the time left', async () => {
    const clock = new FakeClock();
    // Each attempt waits out its whole request timeout before giving up.
    const http = scripted<HttpOutcome>(clock, [
      (timeoutMs) => {
        clock.time += timeoutMs;
        return noResponse('timeout');
      },
    ]);
    const { report } = await run(
      settings({ timeoutMs: 10_000, backoffMs: 2_000, requestTimeoutMs: 5_000 }),
      { http: http.probe },
      clock,
    );
    expect(http.calls.map((c) => c.timeoutMs)).toEqual([5000, 3000]);
    expect(report.elapsedMs).toBe(10_000);
    expect(report.status).toBe('unknown');
  });

  it('counts bad statuses against retries and fails after retries+1 without waiting out the timeout', async () => {
    const clock = new FakeClock();
    const http = scripted(clock, [response(503, 'down')]);
    const { report } = await run(
      settings({ retries: 2, backoffMs: 1_000, timeoutMs: 60_000 }),
      { http: http.probe },
      clock,
    );
    expect(report.status).toBe('unhealthy');
    expect(http.calls).toHaveLength(3);
    expect(report.attempts.map((a) => a.outcome)).toEqual([
      'bad-response',
      'bad-response',
      'bad-response',
    ]);
    expect(report.elapsedMs).toBe(2_000);
    expect(report.httpStatus).toBe(503);
    expect(report.message).toContain('HTTP 503 is outside the expected statuses');
    expect(report.message).toContain('3 such responses');
  });

  it('fails on the first bad status with retries 0', async () => {
    const clock = new FakeClock();
    const http = scripted(clock, [response(500)]);
    const { report } = await run(settings({ retries: 0 }), { http: http.probe }, clock);
    expect(report.status).toBe('unhealthy');
    expect(report.attempts).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
  });

  it('fails when the body does not match', async () => {
    const clock = new FakeClock();
    const http = scripted(clock, [response(200, 'maintenance mode')]);
    const { report } = await run(
      settings({ retries: 1, backoffMs: 500, expectBody: { kind: 'substring', text: 'ok' } }),
      { http: http.probe },
      clock,
    );
    expect(report.status).toBe('unhealthy');
    expect(http.calls).toHaveLength(2);
    expect(report.message).toContain('the body did not match');
  });

  it('recovers when a bad status is followed by a good one within retries', async () => {
    const clock = new FakeClock();
    const http = scripted(clock, [response(502), response(200)]);
    const { report } = await run(
      settings({ retries: 3, backoffMs: 1_500 }),
      { http: http.probe },
      clock,
    );
    expect(report.status).toBe('healthy');
    expect(report.attempts.map((a) => a.outcome)).toEqual(['bad-response', 'healthy']);
    expect(report.elapsedMs).toBe(1_500);
  });

  it('reports unhealthy at the timeout when only unexpected responses came, within retries', async () => {
    const clock = new FakeClock();
    const http = scripted(clock, [response(404)]);
    const { report } = await run(
      settings({ retries: 100, backoffMs: 1_000, timeoutMs: 3_000 }),
      { http: http.probe },
      clock,
    );
    expect(report.status).toBe('unhealthy');
    expect(report.elapsedMs).toBe(2_000);
    expect(report.message).toContain('answered HTTP 404');
    expect(report.message).toContain('3s timeout');
  });

  it('fails at once when a container exited, naming its service', async () => {
    const clock = new FakeClock();
    const http = scripted(clock, [response(200)]);
    const containers = scripted(clock, [
      [container(), container({ id: 'c-w', service: 'worker', state: 'exited', exitCode: 1 })],
    ]);
    const { report } = await run(
      settings(),
      { http: http.probe, containers: () => containers.probe() },
      clock,
    );
    expect(report.status).toBe('unhealthy');
    expect(report.attempts).toHaveLength(1);
    expect(report.attempts[0]?.outcome).toBe('failed');
    expect(report.failingServices).toEqual(['worker']);
    expect(report.message).toContain('worker is exited (exit 1)');
    expect(report.elapsedMs).toBe(0);
  });

  it('fails when a container restarts during the check', async () => {
    const clock = new FakeClock();
    const containers = scripted(clock, [
      [container({ health: 'starting', restartCount: 4 })],
      [container({ health: 'starting', restartCount: 5 })],
    ]);
    const { report } = await run(
      settings({ url: undefined, backoffMs: 1_000 }),
      { containers: () => containers.probe() },
      clock,
    );
    expect(report.status).toBe('unhealthy');
    expect(containers.calls).toHaveLength(2);
    expect(report.message).toContain('web restarted');
    expect(report.failingServices).toEqual(['web']);
  });

  it('reports starting when a healthcheck is still starting at the timeout', async () => {
    const clock = new FakeClock();
    const http = scripted(clock, [response(200)]);
    const containers = scripted(clock, [[container({ health: 'starting' })]]);
    const { report } = await run(
      settings({ timeoutMs: 5_000, backoffMs: 1_000 }),
      { http: http.probe, containers: () => containers.probe() },
      clock,
    );
    expect(report.status).toBe('starting');
    expect(report.elapsedMs).toBe(4_000);
    expect(report.message).toContain('still starting after 5s');
    expect(report.attempts.every((a) => a.containers === 'web is starting')).toBe(true);
  });

  it('waits for containers to become healthy alongside a good HTTP answer', async () => {
    const clock = new FakeClock();
    const http = scripted(clock, [response(200)]);
    const containers = scripted(clock, [
      [container({ health: 'starting' })],
      [container({ health: 'starting' })],
      [container({ health: 'healthy' })],
    ]);
    const { report } = await run(
      settings({ backoffMs: 1_000 }),
      { http: http.probe, containers: () => containers.probe() },
      clock,
    );
    expect(report.status).toBe('healthy');
    expect(report.attempts.map((a) => a.outcome)).toEqual(['retry', 'retry', 'healthy']);
    expect(report.elapsedMs).toBe(2_000);
  });

  it('needs about a second of running containers when there is neither URL nor healthcheck', async () => {
    const clock = new FakeClock();
    const containers = scripted(clock, [[container({ health: 'none' })]]);
    const { report } = await run(
      settings({ url: undefined, backoffMs: 5_000 }),
      { containers: () => containers.probe() },
      clock,
    );
    expect(report.status).toBe('healthy');
    expect(containers.calls.length).toBeGreaterThanOrEqual(2);
    expect(report.elapsedMs).toBeGreaterThanOrEqual(1_000);
    expect(report.elapsedMs).toBeLessThan(5_000);
    expect(report.message).toContain('1 container(s) running');
  });

  it('restarts the settle period when a container stops being ready', async () => {
    const clock = new FakeClock();
    const containers = scripted(clock, [
      [container()],
      [container({ state: 'created' })],
      [container()],
      [container()],
    ]);
    const { report } = await run(
      settings({ url: undefined, backoffMs: 1_000 }),
      { containers: () => containers.probe() },
      clock,
    );
    expect(report.status).toBe('healthy');
    expect(report.elapsedMs).toBeGreaterThanOrEqual(3_000);
  });

  it('does not wait to settle when containers have healthchecks', async () => {
    const clock = new FakeClock();
    const containers = scripted(clock, [[container({ health: 'healthy' })]]);
    const { report } = await run(
      settings({ url: undefined }),
      { containers: () => containers.probe() },
      clock,
    );
    expect(report.status).toBe('healthy');
    expect(report.elapsedMs).toBe(0);
    expect(report.message).toContain('running and healthy');
  });

  it('does not wait to settle when a URL answered', async () => {
    const clock = new FakeClock();
    const http = scripted(clock, [response(204)]);
    const containers = scripted(clock, [[container()]]);
    const { report } = await run(
      settings(),
      { http: http.probe, containers: () => containers.probe() },
      clock,
    );
    expect(report.status).toBe('healthy');
    expect(report.elapsedMs).toBe(0);
  });

  it('fails a project with no containers at once', async () => {
    const clock = new FakeClock();
    const containers = scripted<ContainerState[]>(clock, [[]]);
    const { report } = await run(
      settings({ url: undefined }),
      { containers: () => containers.probe() },
      clock,
    );
    expect(report.status).toBe('unhealthy');
    expect(report.message).toContain('no containers');
  });
});
