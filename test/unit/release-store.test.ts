import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  listReleases,
  pickRollbackTarget,
  readMetadata,
  verifyRelease,
  type ReleaseEntry,
} from '../../src/actions/release-store.js';
import type { SiteSession } from '../../src/actions/site-session.js';
import { releaseDir, siteLayout, type SiteLayout } from '../../src/commands/site-layout.js';
import { RemoteCommandError, RemoteStateError } from '../../src/errors.js';
import { artifactHash } from '../../src/release/artifact-hash.js';
import type { HealthStatus, ReleaseMetadata } from '../../src/release/metadata.js';

const id = (n: number) => `rel_${1_700_000_000 + n}_${String(n % 10).repeat(8)}`;

function entry(n: number, health: HealthStatus | null): ReleaseEntry {
  const releaseId = id(n);
  return {
    releaseId,
    metadata:
      health === null
        ? null
        : ({ release_id: releaseId, health_status: health } as unknown as ReleaseMetadata),
  };
}

describe('pickRollbackTarget', () => {
  it('picks the newest release older than current that is not unhealthy', () => {
    const releases = [
      entry(1, 'healthy'),
      entry(2, 'healthy'),
      entry(3, 'unhealthy'),
      entry(4, 'unhealthy'),
    ];
    expect(pickRollbackTarget(releases, id(4))?.releaseId).toBe(id(2));
  });

  it('accepts unknown and starting, skips unhealthy and unreadable releases', () => {
    expect(
      pickRollbackTarget([entry(1, 'healthy'), entry(2, 'unknown'), entry(3, 'healthy')], id(3))
        ?.releaseId,
    ).toBe(id(2));
    expect(pickRollbackTarget([entry(1, 'starting'), entry(2, 'healthy')], id(2))?.releaseId).toBe(
      id(1),
    );
    expect(
      pickRollbackTarget([entry(1, 'healthy'), entry(2, null), entry(3, 'unhealthy')], id(3))
        ?.releaseId,
    ).toBe(id(1));
  });

  it('ignores releases newer than current and current itself', () => {
    const releases = [entry(1, 'healthy'), entry(2, 'healthy'), entry(3, 'healthy')];
    expect(pickRollbackTarget(releases, id(2))?.releaseId).toBe(id(1));
    expect(pickRollbackTarget(releases, id(1))).toBeUndefined();
  });

  it('picks the newest acceptable release when there is no current', () => {
    expect(
      pickRollbackTarget([entry(1, 'healthy'), entry(2, 'healthy'), entry(3, 'unhealthy')], null)
        ?.releaseId,
    ).toBe(id(2));
  });

  it('finds nothing when nothing qualifies', () => {
    expect(pickRollbackTarget([], null)).toBeUndefined();
    expect(pickRollbackTarget([entry(1, 'unhealthy'), entry(2, null)], id(3))).toBeUndefined();
  });

  it('does not reorder its input', () => {
    const releases = [entry(1, 'healthy'), entry(2, 'healthy')];
    pickRollbackTarget(releases, null);
    expect(releases.map((r) => r.releaseId)).toEqual([id(1), id(2)]);
  });
});

/** A session whose runner runs argument arrays on this machine, like the local transport. */
function localSession(
  layout: SiteLayout,
  binDir: string,
  env: Record<string, string> = {},
): SiteSession {
  const runner = {
    target: 'test',
    exec: async (argv: readonly string[]) => {
      const result = spawnSync(argv[0] as string, argv.slice(1), {
        encoding: 'utf8',
        env: { PATH: `${binDir}:/usr/bin:/bin`, ...env },
      });
      if (result.status !== 0) throw new RemoteCommandError(argv, result.status, result.stderr);
      return { stdout: result.stdout, stderr: result.stderr, code: 0, durationMs: 0 };
    },
  };
  return { runner, layout } as unknown as SiteSession;
}

function cannedSession(stdout: string): SiteSession {
  return {
    runner: { exec: async () => ({ stdout, stderr: '', code: 0, durationMs: 0 }) },
    layout: siteLayout('/srv', 'shop'),
  } as unknown as SiteSession;
}

describe('listReleases', () => {
  it('parses release lines, oldest first, keeping metadata only when it names the release', async () => {
    const stdout = [
      `${id(3)}\t${JSON.stringify({ release_id: id(3), health_status: 'healthy' })}`,
      `${id(1)}\t!`,
      `${id(2)}\t${JSON.stringify({ release_id: id(9), health_status: 'healthy' })}`,
      `${id(4)}\tnot json`,
      `${id(5)}\tnull`,
      `rel_bogus\t${JSON.stringify({ release_id: 'rel_bogus' })}`,
      `${id(6)}`,
      '',
    ].join('\n');
    const entries = await listReleases(cannedSession(stdout));
    expect(entries.map((e) => e.releaseId)).toEqual([id(1), id(2), id(3), id(4), id(5), id(6)]);
    expect(entries.map((e) => e.metadata?.health_status ?? null)).toEqual([
      null,
      null,
      'healthy',
      null,
      null,
      null,
    ]);
  });

  it('is empty for no output', async () => {
    expect(await listReleases(cannedSession(''))).toEqual([]);
  });
});

describe('verifyRelease and readMetadata against a release on disk', () => {
  const RELEASE = 'rel_1700000000_abcdef12';
  const IMAGE_ID = 'sha256:' + '1'.repeat(64);
  const TAG = `berth/shop:${RELEASE}-web`;
  const FILES: Record<string, string> = {
    'compose.yml': 'services:\n  web:\n    image: nginx\n',
    '.env': 'SECRET=1\n',
    'conf/app.ini': 'x=1\n',
    'conf/empty': '',
  };

  let dir: string;
  let layout: SiteLayout;
  let releasePath: string;
  let session: SiteSession;
  let metadata: ReleaseMetadata;

  const write = (path: string, content: string) => {
    mkdirSync(dirname(join(releasePath, path)), { recursive: true });
    writeFileSync(join(releasePath, path), content);
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'berth-release-store-'));
    layout = siteLayout(join(dir, 'root dir'), 'shop');
    releasePath = releaseDir(layout, RELEASE);
    const hash = artifactHash(
      Object.entries(FILES).map(([path, content]) => ({ path, content: Buffer.from(content) })),
      { web: IMAGE_ID },
    );
    metadata = {
      release_id: RELEASE,
      artifact_hash: hash,
      health_status: 'healthy',
      files: Object.keys(FILES).sort(),
      services: [
        { service: 'web', image: 'nginx', image_id: IMAGE_ID, repo_digest: null, pinned_tag: TAG },
      ],
    } as unknown as ReleaseMetadata;
    for (const [path, content] of Object.entries(FILES)) write(path, content);
    write('berth.pin.yml', `services:\n  web:\n    image: "${TAG}"\n`);
    write('artifact_hash.txt', `${hash}\n`);
    write('release.json', JSON.stringify(metadata));
    // A stand-in docker: `image inspect --format F -- TAG` prints $FAKE_ID for $FAKE_TAG.
    mkdirSync(join(dir, 'bin'));
    writeFileSync(
      join(dir, 'bin', 'docker'),
      '#!/bin/sh\n[ "$6" = "$FAKE_TAG" ] && { echo "$FAKE_ID"; exit 0; }\necho "No such image" >&2; exit 1\n',
      { mode: 0o755 },
    );
    session = localSession(layout, join(dir, 'bin'), { FAKE_TAG: TAG, FAKE_ID: IMAGE_ID });
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  async function refusal(): Promise<RemoteStateError> {
    const error = await verifyRelease(session, RELEASE).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RemoteStateError);
    return error as RemoteStateError;
  }

  it('accepts an intact release and returns its metadata', async () => {
    expect(await verifyRelease(session, RELEASE)).toEqual(metadata);
  });

  it('refuses a release whose file changed by one byte', async () => {
    write('conf/app.ini', 'x=2\n');
    expect((await refusal()).message).toContain('was modified after it was made');
  });

  it('refuses a release whose empty file gained content', async () => {
    write('conf/empty', ' ');
    expect((await refusal()).message).toContain('was modified');
  });

  it('refuses a release with a missing file, naming it', async () => {
    unlinkSync(join(releasePath, 'conf/app.ini'));
    const error = await refusal();
    expect(error.message).toContain('conf/app.ini');
    expect(error.message).toContain('missing');
  });

  it('refuses a release without its pin override', async () => {
    unlinkSync(join(releasePath, 'berth.pin.yml'));
    expect((await refusal()).message).toContain('berth.pin.yml');
  });

  it('refuses a release without release.json or with a damaged one', async () => {
    write('release.json', '{not json');
    expect((await refusal()).message).toContain('not valid JSON');
    unlinkSync(join(releasePath, 'release.json'));
    expect((await refusal()).message).toContain('missing or incomplete');
  });

  it('refuses a damaged or missing artifact hash', async () => {
    write('artifact_hash.txt', 'not a hash\n');
    expect((await refusal()).message).toContain('artifact_hash.txt');
    unlinkSync(join(releasePath, 'artifact_hash.txt'));
    expect((await refusal()).message).toContain('artifact_hash.txt');
  });

  it('refuses when release.json records another hash than artifact_hash.txt', async () => {
    write('release.json', JSON.stringify({ ...metadata, artifact_hash: 'f'.repeat(64) }));
    expect((await refusal()).message).toContain('was modified');
  });

  it('refuses when the recorded image id of a service changed', async () => {
    const services = [{ ...metadata.services[0]!, image_id: 'sha256:' + '2'.repeat(64) }];
    write('release.json', JSON.stringify({ ...metadata, services }));
    expect((await refusal()).message).toContain('was modified');
  });

  it('refuses when the pinned tag is gone or names another image', async () => {
    session = localSession(layout, join(dir, 'bin'), { FAKE_TAG: 'other:tag', FAKE_ID: IMAGE_ID });
    const gone = await refusal();
    expect(gone.message).toContain('cannot run');
    expect(gone.message).toContain(`web (${TAG}`);
    session = localSession(layout, join(dir, 'bin'), {
      FAKE_TAG: TAG,
      FAKE_ID: 'sha256:' + '9'.repeat(64),
    });
    expect((await refusal()).message).toContain('cannot run');
  });

  it('readMetadata returns the metadata, or null when missing or damaged', async () => {
    expect(await readMetadata(session, RELEASE)).toEqual(metadata);
    write('release.json', 'garbage');
    expect(await readMetadata(session, RELEASE)).toBeNull();
    unlinkSync(join(releasePath, 'release.json'));
    expect(await readMetadata(session, RELEASE)).toBeNull();
  });

  it('listReleases reads the same release through the real listing command', async () => {
    mkdirSync(releaseDir(layout, 'rel_1600000000_00000000'));
    const entries = await listReleases(session);
    expect(entries.map((e) => e.releaseId)).toEqual(['rel_1600000000_00000000', RELEASE]);
    expect(entries[0]?.metadata).toBeNull();
    expect(entries[1]?.metadata).toEqual(metadata);
  });
});
