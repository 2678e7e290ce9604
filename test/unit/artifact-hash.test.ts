import { describe, expect, it } from 'vitest';
import { artifactHash, type FrozenFile } from '../../src/release/artifact-hash.js';

const file = (path: string, content: string | Buffer): FrozenFile => ({
  path,
  content: Buffer.isBuffer(content) ? content : Buffer.from(content),
});

const FILES: FrozenFile[] = [
  file('compose.yml', 'services:\n  web:\n    image: nginx\n'),
  file('.env', 'A=1\n'),
  file('conf/app.ini', 'x=1\n'),
  file('conf/empty', ''),
];
const IMAGES: Record<string, string> = {
  web: 'sha256:' + 'a'.repeat(64),
  db: 'sha256:' + 'b'.repeat(64),
};
const BASE = artifactHash(FILES, IMAGES);

describe('artifactHash', () => {
  it('is 64 lower-case hex characters and deterministic', () => {
    expect(BASE).toMatch(/^[a-f0-9]{64}$/);
    expect(
      artifactHash(
        FILES.map((f) => file(f.path, Buffer.from(f.content))),
        { ...IMAGES },
      ),
    ).toBe(BASE);
  });

  it('is the sha256 of nothing for an empty release', () => {
    expect(artifactHash([], {})).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
  });

  it('does not depend on the order of files or of image entries', () => {
    expect(artifactHash([...FILES].reverse(), IMAGES)).toBe(BASE);
    expect(artifactHash([FILES[2]!, FILES[0]!, FILES[3]!, FILES[1]!], IMAGES)).toBe(BASE);
    expect(artifactHash(FILES, { db: IMAGES.db!, web: IMAGES.web! })).toBe(BASE);
  });

  it('does not mutate its input', () => {
    const files = [...FILES];
    artifactHash(files, IMAGES);
    expect(files).toEqual(FILES);
  });

  it('changes when any single byte of any file changes', () => {
    for (const [index, original] of FILES.entries()) {
      for (let at = 0; at < original.content.length; at++) {
        const changed = Buffer.from(original.content);
        changed[at] = (changed[at]! + 1) % 256;
        const files = FILES.map((f, i) => (i === index ? file(f.path, changed) : f));
        expect(artifactHash(files, IMAGES)).not.toBe(BASE);
      }
    }
  });

  it('changes when a byte is appended or removed', () => {
    const appended = FILES.map((f, i) => (i === 3 ? file(f.path, '\0') : f));
    expect(artifactHash(appended, IMAGES)).not.toBe(BASE);
    const truncated = FILES.map((f, i) => (i === 0 ? file(f.path, f.content.subarray(1)) : f));
    expect(artifactHash(truncated, IMAGES)).not.toBe(BASE);
  });

  it('changes when a path changes, even only in case', () => {
    for (const path of ['compose.yaml', 'Compose.yml', 'conf/app.ini ', 'x/compose.yml']) {
      const files = FILES.map((f, i) => (i === 0 ? file(path, f.content) : f));
      expect(artifactHash(files, IMAGES)).not.toBe(BASE);
    }
  });

  it('changes when two files swap contents', () => {
    const swapped = [file('a', 'one'), file('b', 'two')];
    expect(artifactHash(swapped, {})).not.toBe(
      artifactHash([file('a', 'two'), file('b', 'one')], {}),
    );
  });

  it('frames paths and contents so different layouts never collide', () => {
    expect(artifactHash([file('ab', 'c')], {})).not.toBe(artifactHash([file('a', 'bc')], {}));
    expect(artifactHash([file('a', 'xy'), file('b', '')], {})).not.toBe(
      artifactHash([file('a', 'x'), file('b', 'y')], {}),
    );
    expect(artifactHash([file('a', '')], {})).not.toBe(artifactHash([], {}));
    // Content that spells out the next file's header must not stand in for that file.
    expect(artifactHash([file('a', 'xfile\0b\0y')], {})).not.toBe(
      artifactHash([file('a', 'x'), file('b', 'y')], {}),
    );
    expect(artifactHash([file('a', 'ximage\0web\0sha256:1\0')], {})).not.toBe(
      artifactHash([file('a', 'x')], { web: 'sha256:1' }),
    );
  });

  it('changes when a file is added or removed', () => {
    expect(artifactHash([...FILES, file('extra', '')], IMAGES)).not.toBe(BASE);
    expect(artifactHash(FILES.slice(1), IMAGES)).not.toBe(BASE);
  });

  it('changes when any image id changes, is added or removed', () => {
    expect(artifactHash(FILES, { ...IMAGES, web: 'sha256:' + 'a'.repeat(63) + 'b' })).not.toBe(
      BASE,
    );
    expect(artifactHash(FILES, { ...IMAGES, cache: 'sha256:' + 'c'.repeat(64) })).not.toBe(BASE);
    expect(artifactHash(FILES, { web: IMAGES.web! })).not.toBe(BASE);
  });

  it('changes when an image moves to another service', () => {
    expect(artifactHash(FILES, { web: IMAGES.db!, db: IMAGES.web! })).not.toBe(BASE);
    expect(artifactHash(FILES, { api: IMAGES.web!, db: IMAGES.db! })).not.toBe(BASE);
  });

  it('keeps files and images apart', () => {
    expect(artifactHash([file('web', 'sha256:x')], {})).not.toBe(
      artifactHash([], { web: 'sha256:x' }),
    );
  });
});
