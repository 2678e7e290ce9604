import { describe, expect, it } from 'vitest';
import { SiteSession, parseSiteState } from '../../src/actions/site-session.js';
import type { OperationDeps } from '../../src/actions/deps.js';
import { LOCK_BUSY_EXIT } from '../../src/commands/lock.js';
import { siteLayout } from '../../src/commands/site-layout.js';
import { LockTimeoutError, RemoteCommandError, RemoteStateError } from '../../src/errors.js';
import type { SharedSettings } from '../../src/inputs/shared-settings.js';
import type { Manifest } from '../../src/release/metadata.js';
import type { ExecResult, Runner } from '../../src/remote/runner.js';

const layout = siteLayout('berth', 'shop');
const RELEASE = 'rel_1700000000_abcdef12';
const b64 = (text: string) => Buffer.from(text).toString('base64');

const MANIFEST: Manifest = {
  site_id: 'shop',
  current_release_id: RELEASE,
  previous_release_id: 'rel_1600000000_00000000',
  last_health_status: 'healthy',
  updated_at: '2024-01-01T00:00:00.000Z',
};

function parse(lines: string[]) {
  const warnings: string[] = [];
  const state = parseSiteState(lines.join('\n') + '\n', layout, 'shop', (m) => warnings.push(m));
  return { state, warnings };
}

describe('parseSiteState', () => {
  it('reads every field', () => {
    const { state, warnings } = parse([
      'home\t/home/deploy',
      `current\treleases/${RELEASE}`,
      `current_hash\t${'a'.repeat(64)}\n`.trimEnd(),
      `current_meta\t${b64(JSON.stringify({ release_id: RELEASE, project_name: 'shop' }))}`,
      `manifest\t${b64(JSON.stringify(MANIFEST))}`,
      'free_kb\t1048576',
    ]);
    expect(warnings).toEqual([]);
    expect(state).toEqual({
      home: '/home/deploy',
      currentReleaseId: RELEASE,
      currentHash: 'a'.repeat(64),
      currentMetadata: { release_id: RELEASE, project_name: 'shop' },
      manifest: MANIFEST,
      freeKb: 1048576,
    });
  });

  it('reads a fresh site: nothing but home and free space', () => {
    const { state, warnings } = parse(['home\t/root', 'free_kb\t10']);
    expect(warnings).toEqual([]);
    expect(state).toEqual({
      home: '/root',
      currentReleaseId: null,
      currentHash: null,
      currentMetadata: null,
      manifest: null,
      freeKb: 10,
    });
  });

  it('ignores a current release.json that names another release or is not JSON', () => {
    const current = `current\treleases/${RELEASE}`;
    const other = b64(JSON.stringify({ release_id: 'rel_1700000000_00000000' }));
    expect(parse([current, `current_meta\t${other}`]).state.currentMetadata).toBeNull();
    expect(parse([current, `current_meta\t${b64('{nope')}`]).state.currentMetadata).toBeNull();
    expect(parse([current, 'current_meta\t']).state.currentMetadata).toBeNull();
  });

  it('has no free space figure when it is not a number', () => {
    expect(parse(['free_kb\tn/a']).state.freeKb).toBeNull();
    expect(parse([]).state.freeKb).toBeNull();
  });

  it('has no current hash when the hash file is blank', () => {
    expect(
      parse([`current\treleases/${RELEASE}`, 'current_hash\t  ']).state.currentHash,
    ).toBeNull();
  });

  it.each([
    ['not a release id', 'releases/latest'],
    ['an absolute target', `/srv/berth/shop/releases/${RELEASE}`],
    ['another directory', `../other/${RELEASE}`],
    ['no releases/ prefix', RELEASE],
    ['a path past the release', `releases/${RELEASE}/..`],
    ['an empty target', ''],
    ['a traversal disguised as a release', `releases/../${RELEASE}`],
  ])('refuses a current link to %s', (_label, target) => {
    let caught: unknown;
    try {
      parse([`current\t${target}`]);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(RemoteStateError);
    expect((caught as Error).message).toContain(layout.current);
    expect((caught as Error).message).toContain(`'${target}'`);
  });

  it.each([
    ['not JSON', b64('{"site_id": "shop", trunc')],
    ['not base64 of anything', '!!!notbase64!!!'],
    ['JSON null', b64('null')],
    ['a JSON array', b64('[]')],
    ['a JSON string', b64('"manifest"')],
    ['an object without current_release_id', b64('{"site_id":"shop"}')],
  ])('warns about a manifest that is %s and rebuilds it from current', (_label, encoded) => {
    const { state, warnings } = parse([`current\treleases/${RELEASE}`, `manifest\t${encoded}`]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(layout.manifest);
    expect(warnings[0]).toContain('damaged');
    expect(warnings[0]).toContain(RELEASE);
    expect(state.manifest).toEqual({
      site_id: 'shop',
      current_release_id: RELEASE,
      previous_release_id: null,
      last_health_status: 'unknown',
      updated_at: '1970-01-01T00:00:00.000Z',
    });
    expect(state.currentReleaseId).toBe(RELEASE);
  });

  it('rebuilds a damaged manifest with no current release', () => {
    const { state, warnings } = parse([`manifest\t${b64('oops')}`]);
    expect(warnings).toHaveLength(1);
    expect(state.manifest?.current_release_id).toBeNull();
  });
});

describe('SiteSession', () => {
  const settings = {
    connection: { transport: 'local' },
    site: { site: 'shop', deployRoot: 'berth', lockTimeoutSeconds: 7, composeCommand: 'auto' },
  } as unknown as SharedSettings;

  function fakeRunner(
    exec: (argv: readonly string[]) => Promise<ExecResult>,
    hold?: Runner['hold'],
  ): Runner {
    return {
      target: 'deploy@example:22',
      exec,
      hold: hold ?? (async () => ({ release: async () => undefined })),
      writeFiles: async () => undefined,
      openTcp: async () => {
        throw new Error('not used');
      },
      close: async () => undefined,
    };
  }

  async function open(runner: Runner, now = 1_700_000_000_000) {
    const logs: string[] = [];
    const deps = {
      log: {
        info: (m: string) => logs.push(m),
        warning: (m: string) => logs.push(`warning: ${m}`),
        group: <T>(_n: string, body: () => Promise<T>) => body(),
      },
      connect: async () => runner,
      now: () => now,
      sleep: async () => undefined,
      run: {
        actor: 'octocat',
        runUrl: 'https://github.com/o/r/actions/runs/1',
        sha: '',
        ref: '',
        repository: 'o/r',
      },
    } satisfies OperationDeps;
    return { session: await SiteSession.open(settings, deps), logs };
  }

  const ok = (stdout = ''): ExecResult => ({ stdout, stderr: '', code: 0, durationMs: 1 });

  it('lays out the site under the deploy root', async () => {
    const { session } = await open(fakeRunner(async () => ok()));
    expect(session.layout).toEqual(siteLayout('berth', 'shop'));
  });

  it('makes relative paths absolute against the login directory', async () => {
    const { session } = await open(fakeRunner(async () => ok()));
    const state = parse(['home\t/home/deploy']).state;
    expect(session.absolute('berth/shop', state)).toBe('/home/deploy/berth/shop');
    expect(session.absolute('/srv/x', state)).toBe('/srv/x');
    expect(session.absolute('berth/shop', { ...state, home: '' })).toBe('berth/shop');
  });

  it('reads state through the site state command and repairs with a warning', async () => {
    const calls: (readonly string[])[] = [];
    const { session, logs } = await open(
      fakeRunner(async (argv) => {
        calls.push(argv);
        return ok(`home\t/h\nmanifest\t${b64('bad')}\n`);
      }),
    );
    const state = await session.readState();
    expect(calls[0]?.slice(3)).toEqual(['berth-state', 'berth/shop']);
    expect(state.manifest?.last_health_status).toBe('unknown');
    expect(logs.some((l) => l.startsWith('warning:') && l.includes('damaged'))).toBe(true);
  });

  it('names the compose choice when no compose CLI works', async () => {
    const { session } = await open(fakeRunner(async () => ok()));
    await expect(session.requireCompose()).rejects.toThrow(RemoteStateError);
    await expect(session.requireCompose()).rejects.toThrow(
      /Neither 'docker compose' nor 'docker-compose'.*deploy@example:22/,
    );
  });

  it('probes compose once and reads v1 or v2 from the probe', async () => {
    const probes: string[][] = [];
    const { session } = await open(
      fakeRunner(async (argv: readonly string[]) => {
        probes.push([...argv]);
        return ok('docker-compose\t1.29.2\n');
      }),
    );
    session.probeCompose();
    expect(await session.requireCompose()).toEqual({ argv: ['docker-compose'], version: '1.29.2' });
    expect(probes.filter((argv) => argv[3] === 'berth-compose-probe')).toHaveLength(1);
  });

  it('turns a busy lock into a LockTimeoutError naming the holder', async () => {
    const holder = '{"operation":"deploy","actor":"someone"}';
    const { session } = await open(
      fakeRunner(
        async (argv) => {
          expect(argv.slice(0, 2)).toEqual(['sh', '-c']);
          return ok(`${holder}\n`);
        },
        async (argv) => {
          throw new RemoteCommandError(argv, LOCK_BUSY_EXIT, '');
        },
      ),
    );
    const error = await session.acquireLock('deploy').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockTimeoutError);
    expect((error as LockTimeoutError).holder).toBe(holder);
    expect((error as LockTimeoutError).timeoutSeconds).toBe(7);
    expect((error as Error).message).toContain("'lock-timeout'");
  });

  it('passes other lock failures through unchanged', async () => {
    const failure = new RemoteCommandError(['sh'], 1, 'flock: not found');
    const { session } = await open(
      fakeRunner(
        async () => ok(),
        async () => {
          throw failure;
        },
      ),
    );
    await expect(session.acquireLock('deploy')).rejects.toBe(failure);
  });

  it('records who holds the lock once it is taken', async () => {
    const calls: (readonly string[])[] = [];
    const { session } = await open(
      fakeRunner(async (argv) => {
        calls.push(argv);
        return ok();
      }),
    );
    await session.acquireLock('rollback');
    expect(calls).toHaveLength(1);
    expect(calls[0]?.[4]).toBe(siteLayout('berth', 'shop').lockInfo);
    expect(JSON.parse(calls[0]?.[5] ?? '')).toEqual({
      operation: 'rollback',
      actor: 'octocat',
      run_url: 'https://github.com/o/r/actions/runs/1',
      started_at: new Date(1_700_000_000_000).toISOString(),
    });
  });

  it('builds audit entries with the run context and duration', async () => {
    const { session } = await open(
      fakeRunner(async () => ok()),
      1_700_000_005_000,
    );
    expect(
      session.auditEntry('deploy', 1_700_000_000_000, {
        from_release: null,
        to_release: RELEASE,
        result: 'success',
      }),
    ).toEqual({
      time: new Date(1_700_000_005_000).toISOString(),
      operation: 'deploy',
      site: 'shop',
      actor: 'octocat',
      run_url: 'https://github.com/o/r/actions/runs/1',
      from_release: null,
      to_release: RELEASE,
      result: 'success',
      duration_ms: 5000,
    });
  });

  it('writes the manifest and audit lines through fixed scripts', async () => {
    const calls: (readonly string[])[] = [];
    const { session } = await open(
      fakeRunner(async (argv) => {
        calls.push(argv);
        return ok();
      }),
    );
    await session.writeManifest(MANIFEST);
    await session.appendAudit(
      session.auditEntry('prune', 0, { from_release: null, to_release: null, result: 'success' }),
    );
    expect(calls[0]?.[3]).toBe('berth-write');
    expect(calls[0]?.[4]).toBe(layout.manifest);
    expect(JSON.parse(calls[0]?.[5] ?? '')).toEqual(MANIFEST);
    expect(calls[1]?.[3]).toBe('berth-append');
    expect(calls[1]?.[4]).toBe(layout.auditLog);
    expect(JSON.parse(calls[1]?.[5] ?? '').operation).toBe('prune');
  });

  it('releases the lock and closes the runner on close', async () => {
    const events: string[] = [];
    const runner = fakeRunner(
      async () => ok(),
      async () => ({
        release: async () => {
          events.push('release');
        },
      }),
    );
    runner.close = async () => {
      events.push('close');
    };
    const { session } = await open(runner);
    await session.acquireLock('deploy');
    await session.close();
    expect(events).toEqual(['release', 'close']);
  });
});
