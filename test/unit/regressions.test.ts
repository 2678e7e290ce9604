// Each test here guards a bug found by review; the comment names the bug.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { imageRepositoryName, releaseImageTag } from '../../src/commands/docker.js';
import { siteLayout } from '../../src/commands/site-layout.js';
import { ConfigurationError } from '../../src/errors.js';
import { parseDeploySettings } from '../../src/inputs/deploy-settings.js';
import { resolveDeployRoot } from '../../src/inputs/shared-settings.js';
import { parseSiteState } from '../../src/actions/site-session.js';
import { autoRollbackCandidates, pickRollbackTarget } from '../../src/actions/release-store.js';
import { choosePrunable } from '../../src/actions/prune.js';

const DOCKER_REPOSITORY =
  /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;

function workspaceWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-reg-'));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

function deployInputs(extra: Record<string, string>) {
  const inputs: Record<string, string> = {
    transport: 'local',
    site: 'shop',
    'compose-file': 'compose.yml',
    ...extra,
  };
  return (name: string) => inputs[name] ?? '';
}

describe('regressions', () => {
  it('a deploy-root segment starting with "-" is refused (it would read as an option)', () => {
    expect(resolveDeployRoot('~/-x')).toHaveProperty('error');
    expect(resolveDeployRoot('/srv/-rf')).toHaveProperty('error');
    expect(resolveDeployRoot('~/x-y')).toBe('x-y');
  });

  it.each(['shop-', 'a_-b', 'a___b', 'Shop', '9', 'x__y'])(
    'site %s gives a valid Docker repository name',
    (site) => {
      const tag = releaseImageTag(site, 'rel_1700000000_abcdef12', 'web');
      const repository = tag.slice(0, tag.indexOf(':'));
      expect(repository).toMatch(DOCKER_REPOSITORY);
    },
  );

  it('distinct sites that normalise alike keep distinct repository names', () => {
    expect(imageRepositoryName('a_-b')).not.toBe(imageRepositoryName('a-_b'));
    expect(imageRepositoryName('shop')).toBe('shop');
  });

  it('an empty free-space reading is unknown, not zero', () => {
    const state = parseSiteState(
      'home\t/h\nfree_kb\t\n',
      siteLayout('berth', 'shop'),
      'shop',
      () => undefined,
    );
    expect(state.freeKb).toBeNull();
  });

  it('env-file naming a directory is a ConfigurationError for env-file', () => {
    const ws = workspaceWith({ 'compose.yml': 'services: {}\n', 'conf/a.txt': 'x' });
    const parse = () => parseDeploySettings(deployInputs({ 'env-file': 'conf' }), ws);
    expect(parse).toThrow(ConfigurationError);
    expect(parse).toThrow(/'env-file'/);
  });

  it('a file listed twice, or inside a listed directory, is frozen once', () => {
    const ws = workspaceWith({ 'compose.yml': 'services: {}\n', 'conf/a.txt': 'x' });
    const settings = parseDeploySettings(
      deployInputs({ files: 'conf\nconf/a.txt\nconf\ncompose.yml' }),
      ws,
    );
    expect(settings.extraFiles.map((f) => f.releasePath)).toEqual(['conf/a.txt']);
  });
});

describe('release order within one second', () => {
  const entry = (releaseId: string, createdAt: string, health = 'healthy') => ({
    releaseId,
    metadata: { release_id: releaseId, created_at: createdAt, health_status: health } as never,
  });
  // Same second, and the newer one's hash sorts first: the id alone would invert them.
  const older = entry('rel_1795610951_ffffffff', '2026-11-25T12:49:11.100Z');
  const newer = entry('rel_1795610951_00000000', '2026-11-25T12:49:11.900Z');

  it('the rollback target is the release made earlier, not the one whose hash sorts first', () => {
    expect(pickRollbackTarget([older, newer], newer.releaseId)?.releaseId).toBe(older.releaseId);
    expect(pickRollbackTarget([newer, older], older.releaseId)).toBeUndefined();
  });

  it('prune keeps the newest by creation time', () => {
    const plan = choosePrunable([newer, older], 1, null);
    expect(plan.keep.map((r) => r.releaseId)).toEqual([newer.releaseId]);
    expect(plan.prune.map((r) => r.releaseId)).toEqual([older.releaseId]);
  });
});

describe('automatic rollback target', () => {
  const entry = (releaseId: string, createdAt: string, health = 'healthy') => ({
    releaseId,
    metadata: { release_id: releaseId, created_at: createdAt, health_status: health } as never,
  });
  const a = entry('rel_1795610000_aaaaaaaa', '2026-11-25T12:00:00.000Z');
  const b = entry('rel_1795610100_bbbbbbbb', '2026-11-25T12:01:40.000Z');
  const c = entry('rel_1795610200_cccccccc', '2026-11-25T12:03:20.000Z', 'unhealthy');

  // After a manual rollback to A, B is newer but was not serving: a failed C must bring back A.
  it('prefers the release that was serving before the failed deploy', () => {
    expect(
      autoRollbackCandidates([a, b, c], c.releaseId, a.releaseId).map((r) => r.releaseId),
    ).toEqual([a.releaseId, b.releaseId]);
  });

  it('falls back to the newest older release when the previous one is unhealthy or unknown', () => {
    const badA = entry(a.releaseId, '2026-11-25T12:00:00.000Z', 'unhealthy');
    expect(
      autoRollbackCandidates([badA, b, c], c.releaseId, a.releaseId).map((r) => r.releaseId),
    ).toEqual([b.releaseId]);
    expect(autoRollbackCandidates([a, b, c], c.releaseId, null)[0]?.releaseId).toBe(b.releaseId);
  });
});
