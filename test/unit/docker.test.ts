import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  PROJECT_LABEL,
  inspectImagesCommand,
  releaseImageTag,
  tagImagesCommand,
  untagImagesCommand,
} from '../../src/commands/docker.js';

/** Docker's reference grammar (distribution/reference) for `name:tag`. */
const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const REFERENCE = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*:[\\w][\\w.-]{0,127}$`);

const RELEASE = 'rel_1700000000_abcdef12';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-docker-'));
  // A stand-in `docker` that records each call's arguments and fails `tag` for ids starting "bad".
  writeFileSync(
    join(dir, 'docker'),
    [
      '#!/bin/sh',
      '{ printf "%s\\037" "$@"; printf "\\036"; } >> "$FAKE_LOG"',
      'if [ "$1" = tag ]; then case "$2" in bad*) echo "no such image $2" >&2; exit 1;; esac; fi',
      'exit 0',
    ].join('\n'),
  );
  chmodSync(join(dir, 'docker'), 0o755);
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function runWithFakeDocker(argv: readonly string[]) {
  const log = join(dir, 'calls');
  const result = spawnSync(argv[0] as string, argv.slice(1), {
    env: { PATH: `${dir}:/usr/bin:/bin`, FAKE_LOG: log },
    encoding: 'utf8',
  });
  const calls = existsSync(log)
    ? readFileSync(log, 'utf8')
        .split('\x1e')
        .filter((record) => record !== '')
        .map((record) => record.split('\x1f').slice(0, -1))
    : [];
  return { code: result.status, calls, stderr: result.stderr };
}

describe('image commands', () => {
  it('inspects images with a tab-separated id and digests, after --', () => {
    expect(inspectImagesCommand(['nginx:1.25', '-weird'])).toEqual([
      'docker',
      'image',
      'inspect',
      '--format',
      '{{.Id}}\t{{json .RepoDigests}}',
      '--',
      'nginx:1.25',
      '-weird',
    ]);
  });

  it('untags with --no-prune, after --', () => {
    expect(untagImagesCommand(['berth/a:1', 'berth/a:2'])).toEqual([
      'docker',
      'image',
      'rm',
      '--no-prune',
      '--',
      'berth/a:1',
      'berth/a:2',
    ]);
  });
});

describe('tagImagesCommand', () => {
  const pairs = [
    { imageId: 'sha256:' + '1'.repeat(64), tag: `berth/shop:${RELEASE}-web` },
    { imageId: 'sha256:' + '2'.repeat(64), tag: `berth/shop:${RELEASE}-db` },
  ];

  it('keeps ids and tags out of the script', () => {
    const argv = tagImagesCommand(pairs);
    expect(argv.slice(0, 2)).toEqual(['sh', '-c']);
    expect(argv[3]).toBe('berth-tag');
    for (const pair of pairs) {
      expect(argv[2]).not.toContain(pair.imageId);
      expect(argv[2]).not.toContain(pair.tag);
    }
    expect(argv.slice(4)).toEqual([
      pairs[0]!.imageId,
      pairs[0]!.tag,
      pairs[1]!.imageId,
      pairs[1]!.tag,
    ]);
  });

  it('runs docker tag once per pair, in order', () => {
    const { code, calls } = runWithFakeDocker(tagImagesCommand(pairs));
    expect(code).toBe(0);
    expect(calls).toEqual(pairs.map((p) => ['tag', p.imageId, p.tag]));
  });

  it('stops at the first failing tag with a non-zero status', () => {
    const { code, calls } = runWithFakeDocker(
      tagImagesCommand([pairs[0]!, { imageId: 'bad-id', tag: 'x:y' }, pairs[1]!]),
    );
    expect(code).not.toBe(0);
    expect(calls).toEqual([
      ['tag', pairs[0]!.imageId, pairs[0]!.tag],
      ['tag', 'bad-id', 'x:y'],
    ]);
  });

  it('does nothing for no pairs', () => {
    const { code, calls } = runWithFakeDocker(tagImagesCommand([]));
    expect(code).toBe(0);
    expect(calls).toEqual([]);
  });
});

describe('PROJECT_LABEL', () => {
  it('is the label every compose version puts on a project', () => {
    expect(PROJECT_LABEL).toBe('com.docker.compose.project');
  });
});

describe('releaseImageTag', () => {
  it('is berth/<lower-case site>:<release>-<service>', () => {
    expect(releaseImageTag('Shop', RELEASE, 'web')).toBe(`berth/shop:${RELEASE}-web`);
  });

  it('replaces characters a tag cannot hold', () => {
    expect(releaseImageTag('shop', RELEASE, 'my svc/è:1')).toBe(`berth/shop:${RELEASE}-my_svc___1`);
  });

  it('keeps the tag within Docker limits for a long service name', () => {
    const tag = releaseImageTag('shop', RELEASE, 's'.repeat(300));
    const tagPart = tag.split(':')[1] as string;
    expect(tagPart.length).toBeLessThanOrEqual(128);
    expect(tagPart).toBe(`${RELEASE}-${'s'.repeat(90)}`);
  });

  it.each(['shop', 'Shop', 'MY-SHOP', 'a', '0day', 'my_site-2', 'a__b', 'a--b', 'x'.repeat(64)])(
    'gives a valid Docker reference for site %j',
    (site) => {
      for (const service of ['web', 'Web.API', 'db_1', 'we b!', '-lead', '.dot']) {
        expect(releaseImageTag(site, RELEASE, service)).toMatch(REFERENCE);
      }
    },
  );

  it('gives different tags to services that differ only in case', () => {
    expect(releaseImageTag('s', RELEASE, 'Web')).not.toBe(releaseImageTag('s', RELEASE, 'web'));
  });
});
