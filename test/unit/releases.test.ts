import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  diskUsageCommand,
  listReleasesCommand,
  resolveTagsCommand,
} from '../../src/commands/releases.js';
import { siteLayout, type SiteLayout } from '../../src/commands/site-layout.js';

let dir: string;
let layout: SiteLayout;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-releases-'));
  layout = siteLayout(join(dir, 'root $(touch pwned)'), 'shop');
});

afterEach(() => {
  expect(existsSync(join(dir, 'pwned'))).toBe(false);
  rmSync(dir, { recursive: true, force: true });
});

function run(argv: readonly string[]) {
  return spawnSync(argv[0] as string, argv.slice(1), {
    cwd: dir,
    encoding: 'utf8',
    env: { PATH: `${join(dir, 'bin')}:/usr/bin:/bin`, HOME: dir },
  });
}

function release(id: string, metadata?: string) {
  mkdirSync(join(layout.releasesDir, id), { recursive: true });
  if (metadata !== undefined) writeFileSync(join(layout.releasesDir, id, 'release.json'), metadata);
}

describe('listReleasesCommand', () => {
  it('passes the directory as an argument; the script holds no user value', () => {
    const argv = listReleasesCommand(layout);
    expect(argv.slice(0, 2)).toEqual(['sh', '-c']);
    expect(argv[2]).not.toContain(layout.releasesDir);
    expect(argv.slice(3, 5)).toEqual(['berth-releases', layout.releasesDir]);
  });

  it('prints each rel_ directory with its release.json on one line, or ! when missing or empty', () => {
    release(
      'rel_1700000000_aaaaaaaa',
      '{\n  "release_id": "rel_1700000000_aaaaaaaa",\n  "x": "a\\nb"\n}\n',
    );
    release('rel_1700000050_dddddddd', '{"release_id":"rel_1700000050_dddddddd"}');
    release('rel_1700000100_bbbbbbbb');
    release('rel_1700000150_eeeeeeee', '');
    release('not-a-release', '{}');
    mkdirSync(join(layout.releasesDir, '.staging-leftover'));
    writeFileSync(join(layout.releasesDir, 'rel_1700000200_cccccccc'), 'a file, not a directory');
    const result = run(listReleasesCommand(layout));
    expect(result.status).toBe(0);
    const lines = result.stdout.split('\n').filter(Boolean).sort();
    expect(lines).toEqual([
      'rel_1700000000_aaaaaaaa\t{   "release_id": "rel_1700000000_aaaaaaaa",   "x": "a\\nb" } ',
      'rel_1700000050_dddddddd\t{"release_id":"rel_1700000050_dddddddd"} ',
      'rel_1700000100_bbbbbbbb\t!',
      'rel_1700000150_eeeeeeee\t!',
    ]);
    // Each joined line is the same JSON document.
    expect(JSON.parse(lines[0]!.split('\t')[1]!)).toEqual({
      release_id: 'rel_1700000000_aaaaaaaa',
      x: 'a\nb',
    });
  });

  it('prints nothing for a site without releases/, successfully', () => {
    const result = run(listReleasesCommand(layout));
    expect(result.status).toBe(0);
    expect(result.stdout).toBe('');
  });

  it('prints nothing for an empty releases/ (no literal rel_* line)', () => {
    mkdirSync(layout.releasesDir, { recursive: true });
    const result = run(listReleasesCommand(layout));
    expect(result.status).toBe(0);
    expect(result.stdout).toBe('');
  });
});

describe('resolveTagsCommand', () => {
  it('passes tags as arguments', () => {
    const argv = resolveTagsCommand(['berth/shop:rel-web', '-x']);
    expect(argv.slice(0, 2)).toEqual(['sh', '-c']);
    expect(argv[2]).not.toContain('berth/shop');
    expect(argv.slice(3)).toEqual(['berth-resolve', 'berth/shop:rel-web', '-x']);
  });

  it('prints one line per tag, - for a tag that is gone', () => {
    mkdirSync(join(dir, 'bin'));
    writeFileSync(
      join(dir, 'bin', 'docker'),
      '#!/bin/sh\n# image inspect --format F -- TAG\ncase "$6" in gone*) echo "No such image" >&2; exit 1;; esac\necho "sha256:$6"\n',
    );
    chmodSync(join(dir, 'bin', 'docker'), 0o755);
    const result = run(resolveTagsCommand(['a:1', 'gone:2', 'b:3']));
    expect(result.status).toBe(0);
    expect(result.stdout).toBe('sha256:a:1\n-\nsha256:b:3\n');
  });
});

describe('diskUsageCommand', () => {
  it('passes paths as arguments', () => {
    const argv = diskUsageCommand(['/srv/a b']);
    expect(argv[2]).not.toContain('/srv/a b');
    expect(argv.slice(3)).toEqual(['berth-du', '/srv/a b']);
  });

  it('prints bytes<TAB>path per directory and succeeds even when one is missing', () => {
    const a = join(dir, 'dir a');
    mkdirSync(a);
    writeFileSync(join(a, 'f'), Buffer.alloc(5000));
    const result = run(diskUsageCommand([a, join(dir, 'missing')]));
    expect(result.status).toBe(0);
    const [line] = result.stdout.split('\n');
    const [bytes, path] = (line ?? '').split('\t');
    expect(path).toBe(a);
    expect(Number(bytes)).toBeGreaterThanOrEqual(5000);
  });
});
