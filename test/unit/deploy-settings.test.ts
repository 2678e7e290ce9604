import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/errors.js';
import { parseDeploySettings, type DeploySettings } from '../../src/inputs/deploy-settings.js';

const KEY = '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----';
const SECRET_LINE = 'hunter2-super-secret-value';

let root: string;
let workspace: string;

const BASE: Record<string, string> = {
  site: 'Shop',
  host: 'example.com',
  username: 'deploy',
  'private-key': KEY,
  'compose-file': 'compose.yml',
};

function parse(values: Record<string, string> = {}): DeploySettings {
  const merged: Record<string, string> = { ...BASE, ...values };
  return parseDeploySettings((name) => merged[name] ?? '', workspace);
}

function configError(fn: () => unknown, input: string): ConfigurationError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ConfigurationError);
  const error = caught as ConfigurationError;
  expect(error.input).toBe(input);
  return error;
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'berth-deploy-settings-'));
  workspace = join(root, 'ws');
  mkdirSync(workspace);
  const file = (path: string, content = 'x', mode = 0o644) => {
    mkdirSync(join(workspace, path, '..'), { recursive: true });
    writeFileSync(join(workspace, path), content);
    chmodSync(join(workspace, path), mode);
  };
  file('compose.yml', 'services: {}\n');
  file('compose.prod.yml', 'services: {}\n');
  file('deploy/compose with space.yml', 'services: {}\n');
  file('conf/app.ini', 'a=1\n');
  file('conf/nested/run.sh', '#!/bin/sh\n', 0o755);
  file('conf/z-last.txt', 'z');
  file('single/only.yml', 'services: {}\n');
  file('app.env', 'A=1\nB=two words\n');
  file('bad.env', `GOOD=1\n${SECRET_LINE}\n`);
  file('.env', 'A=1\n');
  file('release.json', '{}');
  file('bad$name.yml', 'services: {}\n');
  mkdirSync(join(workspace, 'emptydir'));
  mkdirSync(join(workspace, 'envdir'));
  writeFileSync(join(root, 'outside.yml'), 'services: {}\n');
  mkdirSync(join(root, 'outside-dir'));
  writeFileSync(join(root, 'outside-dir', 'secret.txt'), 'secret');
  symlinkSync(join(root, 'outside.yml'), join(workspace, 'escape.yml'));
  symlinkSync('../outside.yml', join(workspace, 'escape-relative.yml'));
  symlinkSync('compose.yml', join(workspace, 'alias.yml'));
  mkdirSync(join(workspace, 'leaky'));
  writeFileSync(join(workspace, 'leaky', 'fine.txt'), 'fine');
  symlinkSync(join(root, 'outside-dir', 'secret.txt'), join(workspace, 'leaky', 'secret.txt'));
  mkdirSync(join(workspace, 'leakydir'));
  symlinkSync(join(root, 'outside-dir'), join(workspace, 'leakydir', 'sub'));
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('parseDeploySettings', () => {
  it('reads a minimal configuration with defaults', () => {
    const settings = parse();
    expect(settings.composeFiles).toEqual([
      { source: join(workspace, 'compose.yml'), releasePath: 'compose.yml', mode: 0o644 },
    ]);
    expect(settings).toMatchObject({
      envText: '',
      envValues: [],
      extraFiles: [],
      projectName: 'shop',
      pull: true,
      beforeUp: [],
      force: false,
      keepReleases: 5,
      autoRollback: true,
    });
    expect(settings.site.site).toBe('Shop');
    expect(settings.connection.host).toBe('example.com');
    expect(settings.health.url).toBeUndefined();
    expect(Object.isFrozen(settings)).toBe(true);
  });

  it('rejects a bad site with a ConfigurationError naming site', () => {
    for (const site of ['a/b', '..', 'a b', 'a$b', 'x'.repeat(65), '']) {
      configError(() => parse({ site }), 'site');
    }
  });

  it('rejects bad ports and timeouts', () => {
    for (const port of ['0', '65536', 'abc']) configError(() => parse({ port }), 'port');
    configError(() => parse({ 'command-timeout': 'soon' }), 'command-timeout');
    configError(() => parse({ 'health-timeout': 'abc' }), 'health-timeout');
  });

  it('rejects an unknown compose-command', () => {
    configError(() => parse({ 'compose-command': 'podman-compose' }), 'compose-command');
  });

  it('resolves deploy-root', () => {
    expect(parse({ 'deploy-root': '~/x' }).site.deployRoot).toBe('x');
    expect(parse({ 'deploy-root': '/srv/x' }).site.deployRoot).toBe('/srv/x');
    configError(() => parse({ 'deploy-root': '/srv/../etc' }), 'deploy-root');
    configError(() => parse({ 'deploy-root': 'srv/x' }), 'deploy-root');
  });

  it('requires host unless the transport is local', () => {
    configError(() => parse({ host: '' }), 'host');
    const local = parse({ host: '', username: '', 'private-key': '', transport: 'local' });
    expect(local.connection.transport).toBe('local');
  });
});

describe('compose-file', () => {
  it('is required', () => {
    configError(() => parse({ 'compose-file': '' }), 'compose-file');
    configError(() => parse({ 'compose-file': ' \n \n' }), 'compose-file');
  });

  it('takes several files, one per line, in order', () => {
    const settings = parse({ 'compose-file': 'compose.yml\n\n  compose.prod.yml  \r\n' });
    expect(settings.composeFiles.map((f) => f.releasePath)).toEqual([
      'compose.yml',
      'compose.prod.yml',
    ]);
  });

  it('normalises the path and allows spaces in names', () => {
    const settings = parse({ 'compose-file': './deploy/../deploy/compose with space.yml' });
    expect(settings.composeFiles[0]?.releasePath).toBe('deploy/compose with space.yml');
  });

  it('follows a symlink that stays inside the workspace', () => {
    expect(parse({ 'compose-file': 'alias.yml' }).composeFiles[0]?.releasePath).toBe('alias.yml');
  });

  it('refuses a missing file', () => {
    const error = configError(() => parse({ 'compose-file': 'nope.yml' }), 'compose-file');
    expect(error.rule).toContain('does not exist');
  });

  it('refuses a path outside the workspace via ../', () => {
    const error = configError(() => parse({ 'compose-file': '../outside.yml' }), 'compose-file');
    expect(error.rule).toContain('outside the workspace');
    configError(() => parse({ 'compose-file': 'deploy/../../outside.yml' }), 'compose-file');
  });

  it('refuses a symlink that leads outside the workspace', () => {
    for (const value of ['escape.yml', 'escape-relative.yml']) {
      const error = configError(() => parse({ 'compose-file': value }), 'compose-file');
      expect(error.rule).toContain('resolves outside the workspace');
    }
  });

  it('refuses absolute and home paths', () => {
    configError(() => parse({ 'compose-file': join(workspace, 'compose.yml') }), 'compose-file');
    configError(() => parse({ 'compose-file': '~/compose.yml' }), 'compose-file');
  });

  it('refuses the workspace itself and directories', () => {
    configError(() => parse({ 'compose-file': '.' }), 'compose-file');
    configError(() => parse({ 'compose-file': 'conf' }), 'compose-file');
    configError(() => parse({ 'compose-file': 'single' }), 'compose-file');
    configError(() => parse({ 'compose-file': 'emptydir' }), 'compose-file');
  });

  it('refuses names with unsafe characters', () => {
    const error = configError(() => parse({ 'compose-file': 'bad$name.yml' }), 'compose-file');
    expect(error.rule).toContain('characters');
  });

  it('refuses names Berth reserves in a release', () => {
    configError(() => parse({ 'compose-file': 'release.json' }), 'compose-file');
    configError(() => parse({ 'compose-file': '.env' }), 'compose-file');
  });
});

describe('files', () => {
  it('collects every file of a directory tree, sorted, with modes', () => {
    const settings = parse({ files: 'conf' });
    expect(settings.extraFiles).toEqual([
      { source: join(workspace, 'conf/app.ini'), releasePath: 'conf/app.ini', mode: 0o644 },
      {
        source: join(workspace, 'conf/nested/run.sh'),
        releasePath: 'conf/nested/run.sh',
        mode: 0o755,
      },
      { source: join(workspace, 'conf/z-last.txt'), releasePath: 'conf/z-last.txt', mode: 0o644 },
    ]);
  });

  it('leaves out files that are already compose files', () => {
    const settings = parse({ 'compose-file': 'compose.yml', files: 'compose.yml\nconf/app.ini' });
    expect(settings.extraFiles.map((f) => f.releasePath)).toEqual(['conf/app.ini']);
  });

  it('refuses a symlinked file inside a directory that leads outside', () => {
    configError(() => parse({ files: 'leaky' }), 'files');
  });

  it('refuses a symlinked directory that leads outside', () => {
    configError(() => parse({ files: 'leakydir' }), 'files');
  });

  it('refuses reserved names', () => {
    const error = configError(() => parse({ files: 'release.json' }), 'files');
    expect(error.rule).toContain('reserves');
    configError(() => parse({ files: '.env' }), 'files');
  });

  it('refuses paths outside the workspace', () => {
    configError(() => parse({ files: '../outside-dir' }), 'files');
    configError(() => parse({ files: '/etc/hostname' }), 'files');
  });
});

describe('env and env-file', () => {
  it('keeps env text and returns its values for masking', () => {
    const env = '# comment\nA=1\n\nB=two words\nC=x=y';
    const settings = parse({ env });
    expect(settings.envText).toBe(env);
    expect(settings.envValues).toEqual(['1', 'two words', 'x=y']);
  });

  it('names input env for a bad line and never includes the line', () => {
    const error = configError(() => parse({ env: `A=1\n${SECRET_LINE}` }), 'env');
    expect(error.message).toContain('line 2');
    expect(error.message).not.toContain(SECRET_LINE);
    expect(error.rule).not.toContain(SECRET_LINE);
  });

  it('reads env-file from the workspace', () => {
    const settings = parse({ 'env-file': 'app.env' });
    expect(settings.envText).toBe('A=1\nB=two words\n');
    expect(settings.envValues).toEqual(['1', 'two words']);
  });

  it('names input env-file for a bad line in the file, without the line', () => {
    const error = configError(() => parse({ 'env-file': 'bad.env' }), 'env-file');
    expect(error.message).toContain('line 2');
    expect(error.message).not.toContain(SECRET_LINE);
  });

  it('refuses env-file outside the workspace or missing', () => {
    configError(() => parse({ 'env-file': '../outside.yml' }), 'env-file');
    configError(() => parse({ 'env-file': 'missing.env' }), 'env-file');
  });

  it('refuses env together with env-file', () => {
    configError(() => parse({ env: 'A=1', 'env-file': 'app.env' }), 'env-file');
  });
});

describe('before-up', () => {
  it('reads a JSON array of argument arrays', () => {
    const beforeUp = [
      ['run', '--rm', 'web', 'migrate'],
      ['exec', 'db', 'sh', '-c', 'echo "$x"'],
    ];
    expect(parse({ 'before-up': JSON.stringify(beforeUp) }).beforeUp).toEqual(beforeUp);
  });

  it('is empty when not set', () => {
    expect(parse({ 'before-up': '' }).beforeUp).toEqual([]);
  });

  it('refuses text that is not JSON', () => {
    const error = configError(() => parse({ 'before-up': 'run --rm web migrate' }), 'before-up');
    expect(error.rule).toContain('not valid JSON');
  });

  it.each([
    ['an object', '{"run":["migrate"]}'],
    ['a flat array', '["run","migrate"]'],
    ['an empty argument array', '[[]]'],
    ['a number argument', '[["run", 1]]'],
    ['a mixed array', '[["run"], "migrate"]'],
    ['null', 'null'],
    ['a string', '"run"'],
    ['a NUL in an argument', '[["run","a\\u0000b"]]'],
  ])('refuses %s', (_label, value) => {
    configError(() => parse({ 'before-up': value }), 'before-up');
  });
});

describe('other deploy inputs', () => {
  it('takes project-name, or the lower-cased site', () => {
    expect(parse({ 'project-name': 'my_app-2' }).projectName).toBe('my_app-2');
    expect(parse({ site: 'My-Shop' }).projectName).toBe('my-shop');
  });

  it.each(['MyApp', '-app', 'a.b', 'a b', 'x'.repeat(64)])('refuses project-name %j', (value) => {
    configError(() => parse({ 'project-name': value }), 'project-name');
  });

  it('reads booleans and keep-releases', () => {
    const settings = parse({
      pull: 'false',
      force: 'true',
      'auto-rollback': 'false',
      'keep-releases': '0',
    });
    expect(settings).toMatchObject({
      pull: false,
      force: true,
      autoRollback: false,
      keepReleases: 0,
    });
  });

  it('refuses bad keep-releases and booleans', () => {
    configError(() => parse({ 'keep-releases': '-1' }), 'keep-releases');
    configError(() => parse({ 'keep-releases': '10001' }), 'keep-releases');
    configError(() => parse({ pull: 'no' }), 'pull');
  });

  it('reads prefixed health inputs', () => {
    const settings = parse({
      'health-url': 'http://127.0.0.1:8080/health',
      'health-retries': '7',
    });
    expect(settings.health.url?.href).toBe('http://127.0.0.1:8080/health');
    expect(settings.health.retries).toBe(7);
    configError(() => parse({ 'health-url': 'ftp://example.com/' }), 'health-url');
  });
});
