import { describe, expect, it } from 'vitest';
import {
  RELEASE_FILES,
  RELEASE_ID_PATTERN,
  makeReleaseId,
  releaseDir,
  siteLayout,
} from '../../src/commands/site-layout.js';

describe('siteLayout', () => {
  it('puts everything of a site under <deploy-root>/<site>', () => {
    expect(siteLayout('/srv/berth', 'Shop')).toEqual({
      deployRoot: '/srv/berth',
      siteDir: '/srv/berth/Shop',
      releasesDir: '/srv/berth/Shop/releases',
      stagingDir: '/srv/berth/Shop/.staging',
      current: '/srv/berth/Shop/current',
      manifest: '/srv/berth/Shop/manifest.json',
      auditLog: '/srv/berth/Shop/audit.log',
      rootAuditLog: '/srv/berth/audit.log',
      lockFile: '/srv/berth/Shop/.lock',
      lockInfo: '/srv/berth/Shop/.lock.info',
    });
  });

  it('works with a deploy root relative to the login directory', () => {
    const layout = siteLayout('berth', 'a');
    expect(layout.current).toBe('berth/a/current');
    expect(layout.rootAuditLog).toBe('berth/audit.log');
    expect(Object.isFrozen(layout)).toBe(true);
  });

  it('names a release directory under releases/', () => {
    expect(releaseDir(siteLayout('/srv', 's'), 'rel_1700000000_abcdef12')).toBe(
      '/srv/s/releases/rel_1700000000_abcdef12',
    );
  });
});

describe('makeReleaseId', () => {
  const hash = 'abcdef1234567890'.repeat(4);

  it('is rel_<10-digit seconds>_<8 hex of the hash>', () => {
    expect(makeReleaseId(1_700_000_000, hash)).toBe('rel_1700000000_abcdef12');
  });

  it('pads small times and floors fractions', () => {
    expect(makeReleaseId(42.9, hash)).toBe('rel_0000000042_abcdef12');
  });

  it('matches RELEASE_ID_PATTERN and sorts by time as text', () => {
    const older = makeReleaseId(999_999_999, 'f'.repeat(64));
    const newer = makeReleaseId(1_000_000_000, '0'.repeat(64));
    expect(older).toMatch(RELEASE_ID_PATTERN);
    expect(newer).toMatch(RELEASE_ID_PATTERN);
    expect(older < newer).toBe(true);
  });
});

describe('RELEASE_ID_PATTERN', () => {
  it.each([
    'rel_170000000_abcdef12',
    'rel_1700000000_abcdef1',
    'rel_1700000000_ABCDEF12',
    'rel_1700000000_abcdef12/..',
    '../rel_1700000000_abcdef12',
    'rel_1700000000_abcdefgh',
    ' rel_1700000000_abcdef12',
  ])('refuses %j', (id) => {
    expect(RELEASE_ID_PATTERN.test(id)).toBe(false);
  });
});

describe('RELEASE_FILES', () => {
  it('names the files Berth writes into a release', () => {
    expect(RELEASE_FILES).toEqual({
      env: '.env',
      metadata: 'release.json',
      artifactHash: 'artifact_hash.txt',
      pinOverride: 'berth.pin.yml',
    });
    expect(Object.isFrozen(RELEASE_FILES)).toBe(true);
  });
});
