import { describe, expect, it } from 'vitest';
import { choosePrunable } from '../../src/actions/prune.js';
import type { ReleaseEntry } from '../../src/actions/release-store.js';
import type { ReleaseMetadata } from '../../src/release/metadata.js';

const id = (n: number) =>
  `rel_${String(1_700_000_000 + n * 100).padStart(10, '0')}_${String(n).repeat(8)}`;

function entry(n: number, extra: Partial<ReleaseMetadata> | null = {}): ReleaseEntry {
  const releaseId = id(n);
  if (extra === null) return { releaseId, metadata: null };
  const metadata = {
    release_id: releaseId,
    health_status: 'healthy',
    services: [],
    ...extra,
  } as unknown as ReleaseMetadata;
  return { releaseId, metadata };
}

const ids = (entries: readonly ReleaseEntry[]) => entries.map((e) => e.releaseId);

/** Six releases, oldest first. */
const SIX = [1, 2, 3, 4, 5, 6].map((n) => entry(n));

describe('choosePrunable', () => {
  it('keeps the newest three of six and prunes the rest, oldest first', () => {
    const plan = choosePrunable(SIX, 3, id(6));
    expect(ids(plan.prune)).toEqual([id(1), id(2), id(3)]);
    expect(ids(plan.keep)).toEqual([id(6), id(5), id(4)]);
  });

  it('does not depend on the order it is given', () => {
    const shuffled = [SIX[3]!, SIX[0]!, SIX[5]!, SIX[2]!, SIX[1]!, SIX[4]!];
    const plan = choosePrunable(shuffled, 3, id(6));
    expect(ids(plan.prune)).toEqual([id(1), id(2), id(3)]);
    expect(ids(plan.keep)).toEqual([id(6), id(5), id(4)]);
  });

  it('never prunes the current release, even the oldest', () => {
    const plan = choosePrunable(SIX, 3, id(1));
    expect(ids(plan.prune)).toEqual([id(2), id(3)]);
    expect(ids(plan.keep)).toContain(id(1));
    expect(plan.keep).toHaveLength(4);
  });

  it('never prunes a pinned release', () => {
    const releases = SIX.map((r, i) => (i === 1 ? entry(2, { pinned: true }) : r));
    const plan = choosePrunable(releases, 3, id(6));
    expect(ids(plan.prune)).toEqual([id(1), id(3)]);
    expect(ids(plan.keep)).toContain(id(2));
  });

  it('prunes a release whose pinned flag is false', () => {
    const releases = SIX.map((r, i) => (i === 0 ? entry(1, { pinned: false }) : r));
    expect(ids(choosePrunable(releases, 3, id(6)).prune)).toContain(id(1));
  });

  it('never prunes a release whose metadata is unreadable', () => {
    const releases = SIX.map((r, i) => (i === 0 || i === 2 ? entry(i + 1, null) : r));
    const plan = choosePrunable(releases, 3, id(6));
    expect(ids(plan.prune)).toEqual([id(2)]);
    expect(ids(plan.keep)).toEqual(expect.arrayContaining([id(1), id(3)]));
  });

  it('counts protected releases among the newest against keep, not on top of it', () => {
    // The newest is pinned and current: it still takes one of the three places.
    const releases = SIX.map((r, i) => (i === 5 ? entry(6, { pinned: true }) : r));
    expect(ids(choosePrunable(releases, 3, id(6)).keep)).toEqual([id(6), id(5), id(4)]);
  });

  it('with keep 0 prunes everything except the protected', () => {
    const plan = choosePrunable(SIX, 0, id(4));
    expect(ids(plan.prune)).toEqual([id(1), id(2), id(3), id(5), id(6)]);
    expect(ids(plan.keep)).toEqual([id(4)]);
  });

  it('prunes nothing when there are no more releases than keep', () => {
    expect(choosePrunable(SIX, 6, null).prune).toEqual([]);
    expect(choosePrunable(SIX, 10, null).prune).toEqual([]);
    expect(choosePrunable([], 3, null)).toEqual({ prune: [], keep: [] });
  });

  it('puts every release in exactly one list', () => {
    for (let keep = 0; keep <= 7; keep++) {
      const plan = choosePrunable(SIX, keep, id(3));
      expect([...ids(plan.prune), ...ids(plan.keep)].sort()).toEqual(ids(SIX));
    }
  });

  it('does not reorder its input', () => {
    const input = [...SIX];
    choosePrunable(input, 2, null);
    expect(input).toEqual(SIX);
  });
});
