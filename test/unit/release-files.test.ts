import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  appendLineCommand,
  prepareStagingCommand,
  promoteReleaseCommand,
  readFilesCommand,
  removeTreeCommand,
  siteStateCommand,
  switchCurrentCommand,
  writeFileAtomicCommand,
} from '../../src/commands/release-files.js';
import { siteLayout, type SiteLayout } from '../../src/commands/site-layout.js';
import { composeProbeCommand, parseComposeProbe } from '../../src/commands/compose.js';
import { parseSiteState } from '../../src/actions/site-session.js';

const RELEASE = 'rel_1700000000_abcdef12';
const NASTY = 'it\'s $(touch pwned) `x` "q" \\ %s';

let dir: string;
let layout: SiteLayout;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-release-files-'));
  layout = siteLayout(join(dir, 'root $(touch pwned)'), "Sh'op");
  fakeCompose(join(dir, 'bin'));
});

afterEach(() => {
  expect(existsSync(join(dir, 'pwned'))).toBe(false);
  rmSync(dir, { recursive: true, force: true });
});

/** A stand-in compose CLI on PATH: `docker compose` answers $FAKE_V2, `docker-compose` $FAKE_V1. */
function fakeCompose(bin: string) {
  mkdirSync(bin);
  writeFileSync(
    join(bin, 'docker'),
    '#!/bin/sh\n[ "$1 $2 $3" = "compose version --short" ] && [ -n "$FAKE_V2" ] && { echo "$FAKE_V2"; exit 0; }\nexit 1\n',
    { mode: 0o755 },
  );
  writeFileSync(
    join(bin, 'docker-compose'),
    '#!/bin/sh\n[ "$1 $2" = "version --short" ] && [ -n "$FAKE_V1" ] && { echo "$FAKE_V1"; exit 0; }\nexit 1\n',
    { mode: 0o755 },
  );
}

function run(argv: readonly string[], env: Record<string, string> = {}) {
  return spawnSync(argv[0] as string, argv.slice(1), {
    cwd: dir,
    encoding: 'utf8',
    env: { PATH: `${join(dir, 'bin')}:/usr/bin:/bin`, HOME: dir, ...env },
  });
}

/** Every `sh -c` builder: fixed script at index 2, a berth- name at 3, values after. */
function expectFixedScript(argv: readonly string[], values: readonly string[]) {
  expect(argv.slice(0, 2)).toEqual(['sh', '-c']);
  expect(argv[3]).toMatch(/^berth-/);
  for (const value of values) {
    expect(argv[2]).not.toContain(value);
    expect(argv.slice(4)).toContain(value);
  }
}

describe('siteStateCommand', () => {
  it('passes the site directory as an argument', () => {
    const argv = siteStateCommand(layout);
    expectFixedScript(argv, [layout.siteDir]);
    expect(argv.slice(3)).toEqual(['berth-state', layout.siteDir]);
  });

  it('reports home, current release, its hash, the manifest and free space', () => {
    const releaseDir = join(layout.releasesDir, RELEASE);
    mkdirSync(releaseDir, { recursive: true });
    writeFileSync(join(releaseDir, 'artifact_hash.txt'), `${'f'.repeat(64)}\n`);
    symlinkSync(`releases/${RELEASE}`, layout.current);
    const manifest = {
      site_id: "Sh'op",
      current_release_id: RELEASE,
      previous_release_id: null,
      last_health_status: 'healthy',
      updated_at: '2024-01-01T00:00:00.000Z',
    };
    writeFileSync(layout.manifest, JSON.stringify(manifest, null, 2));

    const result = run(siteStateCommand(layout));
    expect(result.status).toBe(0);
    const warnings: string[] = [];
    const state = parseSiteState(result.stdout, layout, "Sh'op", (m) => warnings.push(m));
    expect(warnings).toEqual([]);
    expect(state.home).toBe(dir);
    expect(state.currentReleaseId).toBe(RELEASE);
    expect(state.currentHash).toBe('f'.repeat(64));
    expect(state.manifest).toEqual(manifest);
    expect(state.freeKb).toBeGreaterThan(0);
  });

  it('reports a fresh site with no release and measures free space above it', () => {
    const result = run(siteStateCommand(layout));
    expect(result.status).toBe(0);
    const keys = result.stdout
      .trim()
      .split('\n')
      .map((line) => line.split('\t')[0]);
    expect(keys).toEqual(['home', 'free_kb']);
    const state = parseSiteState(result.stdout, layout, 's', () => undefined);
    expect(state.currentReleaseId).toBeNull();
    expect(state.manifest).toBeNull();
    expect(state.freeKb).toBeGreaterThan(0);
  });

  it.each([
    ['auto', { FAKE_V2: '2.27.0', FAKE_V1: '1.29.2' }, ['docker', 'compose'], '2.27.0'],
    ['auto', { FAKE_V1: '1.29.2' }, ['docker-compose'], '1.29.2'],
    ['docker compose', { FAKE_V2: '2.27.0', FAKE_V1: '1.29.2' }, ['docker', 'compose'], '2.27.0'],
    ['docker-compose', { FAKE_V2: '2.27.0', FAKE_V1: '1.29.2' }, ['docker-compose'], '1.29.2'],
  ])(
    'the compose probe with choice %j finds the CLI that answers',
    (choice, env, argv, version) => {
      const probe = composeProbeCommand(choice);
      expect(probe.slice(3)).toEqual(['berth-compose-probe', choice]);
      const result = run(probe, env);
      expect(result.status).toBe(0);
      expect(parseComposeProbe(result.stdout)).toEqual({ argv, version });
    },
  );

  it('the compose probe finds nothing when the chosen CLI does not answer', () => {
    const result = run(composeProbeCommand('docker compose'), { FAKE_V1: '1.29.2' });
    expect(result.status).toBe(0);
    expect(parseComposeProbe(result.stdout)).toBeNull();
    expect(parseComposeProbe(run(composeProbeCommand('auto')).stdout)).toBeNull();
  });
});

describe('prepareStagingCommand', () => {
  it('passes every path as an argument', () => {
    const argv = prepareStagingCommand(layout, '1700000000-abcd', ['conf', 'conf/nested dir']);
    expectFixedScript(argv, [
      layout.stagingDir,
      `${layout.stagingDir}/1700000000-abcd/conf/nested dir`,
    ]);
    expect(argv.slice(4)).toEqual([
      layout.stagingDir,
      `${layout.stagingDir}/1700000000-abcd`,
      `${layout.stagingDir}/1700000000-abcd/conf`,
      `${layout.stagingDir}/1700000000-abcd/conf/nested dir`,
      layout.releasesDir,
    ]);
  });

  it('clears leftovers and makes a private staging directory and releases/', () => {
    mkdirSync(join(layout.stagingDir, 'old-run'), { recursive: true });
    writeFileSync(join(layout.stagingDir, 'old-run', 'junk'), 'x');
    const result = run(prepareStagingCommand(layout, 'new', ['a', 'a/b c']));
    expect(result.status).toBe(0);
    expect(readdirSync(layout.stagingDir)).toEqual(['new']);
    expect(statSync(join(layout.stagingDir, 'new')).mode & 0o777).toBe(0o700);
    expect(statSync(join(layout.stagingDir, 'new', 'a', 'b c')).isDirectory()).toBe(true);
    expect(statSync(layout.releasesDir).isDirectory()).toBe(true);
  });
});

describe('promoteReleaseCommand / removeTreeCommand', () => {
  it('renames with -T after --', () => {
    expect(promoteReleaseCommand('-a', '-b')).toEqual(['mv', '-T', '--', '-a', '-b']);
    expect(removeTreeCommand('-rf x')).toEqual(['rm', '-rf', '--', '-rf x']);
  });

  it('moves a staged directory into place and refuses a taken name', () => {
    const staged = join(dir, 'staged');
    const target = join(dir, 'releases', RELEASE);
    mkdirSync(staged);
    writeFileSync(join(staged, 'f'), 'new');
    mkdirSync(target, { recursive: true });
    writeFileSync(join(target, 'f'), 'old');
    expect(run(promoteReleaseCommand(staged, target)).status).not.toBe(0);
    expect(readFileSync(join(target, 'f'), 'utf8')).toBe('old');
    rmSync(target, { recursive: true });
    expect(run(promoteReleaseCommand(staged, target)).status).toBe(0);
    expect(readFileSync(join(target, 'f'), 'utf8')).toBe('new');
  });
});

describe('switchCurrentCommand', () => {
  it('passes the link and target as arguments', () => {
    const argv = switchCurrentCommand(layout, RELEASE);
    expectFixedScript(argv, [layout.current, `releases/${RELEASE}`]);
    expect(argv.slice(3)).toEqual(['berth-switch', layout.current, `releases/${RELEASE}`]);
  });

  it('points current at the release relatively, replacing the old link', () => {
    mkdirSync(layout.siteDir, { recursive: true });
    expect(run(switchCurrentCommand(layout, 'rel_1600000000_00000000')).status).toBe(0);
    expect(readlinkSync(layout.current)).toBe('releases/rel_1600000000_00000000');
    expect(run(switchCurrentCommand(layout, RELEASE)).status).toBe(0);
    expect(readlinkSync(layout.current)).toBe(`releases/${RELEASE}`);
    expect(existsSync(`${layout.current}.next`)).toBe(false);
  });
});

describe('writeFileAtomicCommand', () => {
  it('passes path and content as arguments', () => {
    const argv = writeFileAtomicCommand(layout.manifest, NASTY);
    expectFixedScript(argv, [layout.manifest, NASTY]);
  });

  it('writes the exact content, leaving no temp file', () => {
    mkdirSync(layout.siteDir, { recursive: true });
    const content = `${NASTY}\n-n\n\n\n`;
    expect(run(writeFileAtomicCommand(layout.manifest, content)).status).toBe(0);
    expect(readFileSync(layout.manifest, 'utf8')).toBe(content);
    expect(run(writeFileAtomicCommand(layout.manifest, 'second')).status).toBe(0);
    expect(readFileSync(layout.manifest, 'utf8')).toBe('second');
    expect(readdirSync(layout.siteDir)).toEqual(['manifest.json']);
  });
});

describe('appendLineCommand', () => {
  it('passes path and line as arguments', () => {
    expectFixedScript(appendLineCommand(layout.auditLog, NASTY), [layout.auditLog, NASTY]);
  });

  it('appends each line with a newline', () => {
    mkdirSync(layout.siteDir, { recursive: true });
    expect(run(appendLineCommand(layout.auditLog, '{"a":1}')).status).toBe(0);
    expect(run(appendLineCommand(layout.auditLog, NASTY)).status).toBe(0);
    expect(readFileSync(layout.auditLog, 'utf8')).toBe(`{"a":1}\n${NASTY}\n`);
  });
});

describe('readFilesCommand', () => {
  it('passes paths as arguments', () => {
    expectFixedScript(readFilesCommand(['a b', '$(x)']), ['a b', '$(x)']);
  });

  it('prints path<TAB>base64 per file and ! for missing ones, in order', () => {
    const present = join(dir, 'present file');
    // Long enough that base64 without -w0 would wrap it over several lines.
    const bytes = Buffer.from(Array.from({ length: 600 }, (_, i) => (i * 7) % 256));
    writeFileSync(present, bytes);
    mkdirSync(join(dir, 'a dir'));
    const missing = join(dir, 'missing');
    const result = run(readFilesCommand([present, missing, join(dir, 'a dir')]));
    expect(result.status).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines).toEqual([
      `${present}\t${bytes.toString('base64')}`,
      `${missing}\t!`,
      `${join(dir, 'a dir')}\t!`,
      '',
    ]);
  });

  it('prints an empty value for an empty file', () => {
    const empty = join(dir, 'empty');
    writeFileSync(empty, '');
    expect(run(readFilesCommand([empty])).stdout).toBe(`${empty}\t\n`);
  });
});
