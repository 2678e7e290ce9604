import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { annotationsOf, errorAnnotations, maskedValues, siteDir } from './support/deploy-site.js';
import { freePort, httpGet, makeWorkspace, uniqueSite, webCompose } from './support/fixtures.js';
import { exposures, keyBodyLines, siteRecords, visibleParts } from './support/hostile-secrets.js';
import { commandsMentioning, markSshdLog } from './support/hostile-sshlog.js';
import { cleanupSite, releaseSecond, waitPastSecond } from './support/lifecycle-site.js';
import { explain as explainRun } from './support/rollback-site.js';
import { recordResult } from './support/results.js';
import { runAction, type ActionRun } from './support/run-action.js';
import { target } from './support/target.js';

/**
 * Reliability item 6: host-key verification. Each case runs `lifecycle`
 * `operation: status` (cheap, read-only) with its own site name, and the same
 * known_hosts text through OpenSSH's own client (`ssh -o StrictHostKeyChecking=yes`),
 * so the expected outcome comes from OpenSSH. A refusal must happen before
 * any command runs: the sshd log (which records every command) must show no
 * command mentioning the case's site, while an accepted case shows some.
 */

type Outcome = 'accepted' | 'refused';

interface HostKeyCase {
  readonly name: string;
  /** known_hosts text (lines joined with \n unless `raw`). */
  readonly lines: () => string[];
  readonly raw?: () => string;
  readonly fingerprint?: () => string;
  /** What the case is about; OpenSSH must agree where `openssh` is not false. */
  readonly expect: Outcome;
  /** false: no OpenSSH equivalent (host-fingerprint); 'differs': a documented divergence. */
  readonly openssh?: false | 'differs';
}

let work: string;
let identity: string;
const keys = { ed: '', rsa: '', wrongEd: '', wrongRsa: '', wrongEdFingerprint: '' };
const H = `[127.0.0.1]:2222`;

function publicKeyLine(path: string): string {
  const [type, base64] = readFileSync(path, 'utf8').trim().split(/\s+/);
  return `${type} ${base64}`;
}

function generate(name: string, type: string): string {
  const path = join(work, name);
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', name, '-f', path]);
  return path;
}

const CASES: HostKeyCase[] = [
  { name: 'the right ed25519 key', lines: () => [`${H} ${keys.ed}`], expect: 'accepted' },
  {
    name: 'the right ed25519 and rsa keys (ssh-keyscan output)',
    lines: () => target().knownHosts.trim().split('\n'),
    expect: 'accepted',
  },
  { name: 'a wrong ed25519 key', lines: () => [`${H} ${keys.wrongEd}`], expect: 'refused' },
  { name: 'a wrong rsa key', lines: () => [`${H} ${keys.wrongRsa}`], expect: 'refused' },
  {
    name: 'keys for other hosts and ports only',
    lines: () => [
      `[127.0.0.2]:2222 ${keys.ed}`,
      `[127.0.0.1]:2200 ${keys.ed}`,
      `[127.0.0.1]:22 ${keys.ed}`,
    ],
    expect: 'refused',
  },
  {
    name: 'hashed [127.0.0.1]:2222 lines (ssh-keygen -H)',
    lines: () => hashed([`${H} ${keys.ed}`, `${H} ${keys.rsa}`]),
    expect: 'accepted',
  },
  { name: 'a hashed wrong key', lines: () => hashed([`${H} ${keys.wrongEd}`]), expect: 'refused' },
  {
    name: 'a wrong ed25519 then the right ed25519',
    lines: () => [`${H} ${keys.wrongEd}`, `${H} ${keys.ed}`],
    expect: 'accepted',
  },
  {
    name: 'the right ed25519 then a wrong ed25519',
    lines: () => [`${H} ${keys.ed}`, `${H} ${keys.wrongEd}`],
    expect: 'accepted',
  },
  {
    name: 'a wrong rsa line before the right ed25519',
    lines: () => [`${H} ${keys.wrongRsa}`, `${H} ${keys.ed}`],
    expect: 'accepted',
  },
  {
    name: 'a wrong ed25519 with the right rsa',
    lines: () => [`${H} ${keys.wrongEd}`, `${H} ${keys.rsa}`],
    expect: 'refused',
  },
  {
    name: '@revoked real key beside a plain line for it',
    lines: () => [`@revoked ${H} ${keys.ed}`, `${H} ${keys.ed}`],
    expect: 'refused',
  },
  {
    name: '@revoked real ed25519 beside the plain rsa key',
    lines: () => [`@revoked ${H} ${keys.ed}`, `${H} ${keys.rsa}`],
    expect: 'accepted',
  },
  {
    name: '@revoked stranger beside the right key',
    lines: () => [`@revoked ${H} ${keys.wrongEd}`, `${H} ${keys.ed}`],
    expect: 'accepted',
  },
  {
    name: '@cert-authority line with the real key',
    lines: () => [`@cert-authority ${H} ${keys.ed}`],
    expect: 'refused',
  },
  {
    name: 'wildcard [127.0.0.*]:2222',
    lines: () => [`[127.0.0.*]:2222 ${keys.ed}`],
    expect: 'accepted',
  },
  {
    name: 'wildcard [127.0.0.?]:2222',
    lines: () => [`[127.0.0.?]:2222 ${keys.ed}`],
    expect: 'accepted',
  },
  {
    name: 'negated !127.0.0.1 beside [127.0.0.1]:2222',
    lines: () => [`${H},!127.0.0.1 ${keys.ed}`],
    expect: 'accepted',
  },
  {
    name: 'negated ![127.0.0.1]:2222 beside the wildcard [127.0.0.*]:2222',
    lines: () => [`[127.0.0.*]:2222,![127.0.0.1]:2222 ${keys.ed}`],
    expect: 'refused',
  },
  {
    name: 'negated ![127.0.0.1]:2222 on a * line (OpenSSH retries without the port)',
    lines: () => [`*,![127.0.0.1]:2222 ${keys.ed}`],
    expect: 'accepted',
  },
  {
    name: 'negated !127.0.0.1 and ![127.0.0.1]:2222 on a * line',
    lines: () => [`*,!127.0.0.1,![127.0.0.1]:2222 ${keys.ed}`],
    expect: 'refused',
  },
  {
    name: 'port-less 127.0.0.1 line only (OpenSSH retries without the port)',
    lines: () => [`127.0.0.1 ${keys.ed}`],
    expect: 'accepted',
  },
  {
    name: 'wrong [127.0.0.1]:2222 key beside the right port-less one',
    lines: () => [`${H} ${keys.wrongEd}`, `127.0.0.1 ${keys.ed}`],
    expect: 'refused',
  },
  {
    name: '@revoked [127.0.0.1]:2222 beside a port-less line for the key',
    lines: () => [`@revoked ${H} ${keys.ed}`, `127.0.0.1 ${keys.ed}`],
    expect: 'refused',
  },
  {
    name: 'port-less @revoked beside [127.0.0.1]:2222 for the key',
    lines: () => [`@revoked 127.0.0.1 ${keys.ed}`, `${H} ${keys.ed}`],
    expect: 'accepted',
  },
  {
    name: 'comments, blank lines, trailing comment and CRLF',
    lines: () => [],
    raw: () => `# the target\r\n\r\n   ${H} ${keys.ed} host key comment \r\n# end\r\n`,
    expect: 'accepted',
  },
  {
    // OpenSSH asks for ed25519 (its first preference, no [host]:port key to go by),
    // finds only an rsa line for 127.0.0.1 and refuses; Berth offers the server only
    // the listed rsa type and accepts that listed key. Fixing it needs connect.ts to
    // leave the algorithm list alone when only port-less lines apply.
    name: 'port-less rsa line only',
    lines: () => [`127.0.0.1 ${keys.rsa}`],
    expect: 'accepted',
    openssh: 'differs',
  },
  { name: 'no known-hosts and no fingerprint', lines: () => [], expect: 'refused', openssh: false },
  {
    name: 'host-fingerprint of another key',
    lines: () => [],
    fingerprint: () => keys.wrongEdFingerprint,
    expect: 'refused',
    openssh: false,
  },
  {
    name: 'host-fingerprint of the real key, no known-hosts',
    lines: () => [],
    fingerprint: () => target().fingerprint,
    expect: 'accepted',
    openssh: false,
  },
  {
    name: 'host-fingerprint of the real key, wrong known-hosts (fingerprint wins)',
    lines: () => [`${H} ${keys.wrongEd}`],
    fingerprint: () => target().fingerprint,
    expect: 'accepted',
    openssh: false,
  },
  {
    name: 'host-fingerprint of the real key, but known-hosts marks it @revoked',
    lines: () => [`@revoked ${H} ${keys.ed}`],
    fingerprint: () => target().fingerprint,
    expect: 'refused',
    openssh: false,
  },
];

function hashed(lines: string[]): string[] {
  const file = join(work, `hash-${Math.random().toString(36).slice(2)}`);
  writeFileSync(file, lines.join('\n') + '\n');
  execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
  const out = readFileSync(file, 'utf8').trim().split('\n');
  for (const line of out) expect(line).toMatch(/^\|1\|[^|]+\|[^| ]+ /);
  return out;
}

function knownHostsText(c: HostKeyCase): string {
  return c.raw ? c.raw() : c.lines().join('\n');
}

/** OpenSSH's verdict for the same known_hosts text: strict checking, no other files. */
function openssh(text: string): Outcome {
  const file = join(work, `kh-${Math.random().toString(36).slice(2)}`);
  writeFileSync(file, text);
  const result = spawnSync(
    'ssh',
    [
      '-F',
      '/dev/null',
      '-o',
      `UserKnownHostsFile=${file}`,
      '-o',
      'GlobalKnownHostsFile=/dev/null',
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      'BatchMode=yes',
      '-o',
      'UpdateHostKeys=no',
      '-o',
      'IdentitiesOnly=yes',
      '-o',
      'ConnectTimeout=20',
      '-i',
      identity,
      '-p',
      String(target().port),
      `${target().user}@${target().host}`,
      'true',
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  if (result.status === 0) return 'accepted';
  // A refusal must be about the host key, not a broken harness.
  expect(result.stderr).toMatch(/Host key verification failed|host key/i);
  return 'refused';
}

interface Verdict {
  readonly outcome: Outcome;
  readonly run: ActionRun;
  readonly siteCommands: string[];
}

async function berth(
  site: string,
  text: string,
  fingerprint: string | undefined,
  extra: Record<string, string> = {},
): Promise<Verdict> {
  const t = target();
  const mark = markSshdLog();
  const run = await runAction('lifecycle', {
    host: t.host,
    port: String(t.port),
    username: t.user,
    'private-key': t.privateKey,
    'known-hosts': text,
    ...(fingerprint ? { 'host-fingerprint': fingerprint } : {}),
    'connect-retries': '0',
    site,
    operation: 'status',
    ...extra,
  });
  const siteCommands = commandsMentioning(mark, site);
  return { outcome: run.code === 0 ? 'accepted' : 'refused', run, siteCommands };
}

function explain(v: Verdict): string {
  return `code ${v.run.code}\n${v.run.stdout
    .split('\n')
    .filter((l) => !l.startsWith('::add-mask::'))
    .join('\n')}\n${v.run.stderr}`;
}

/** Runs `tasks` with at most `limit` in flight. */
async function pool<T>(tasks: Array<() => Promise<T>>, limit: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  const workers = Array.from({ length: limit }, async () => {
    while (next < tasks.length) {
      const index = next++;
      results[index] = await (tasks[index] as () => Promise<T>)();
    }
  });
  await Promise.all(workers);
  return results;
}

const sites: string[] = [];

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'berth-hostkeys-'));
  identity = join(work, 'id');
  writeFileSync(identity, target().privateKey, { mode: 0o600 });
  const sshdDir = dirname(target().sshdLog);
  keys.ed = publicKeyLine(join(sshdDir, 'ssh_host_ed25519_key.pub'));
  keys.rsa = publicKeyLine(join(sshdDir, 'ssh_host_rsa_key.pub'));
  const wrongEd = generate('wrong_ed25519', 'ed25519');
  keys.wrongEd = publicKeyLine(`${wrongEd}.pub`);
  keys.wrongEdFingerprint = execFileSync('ssh-keygen', ['-lf', `${wrongEd}.pub`], {
    encoding: 'utf8',
  }).split(/\s+/)[1] as string;
  keys.wrongRsa = publicKeyLine(`${generate('wrong_rsa', 'rsa')}.pub`);
  // The fixture is what the cases assume: the server's ed25519 key is the target fingerprint.
  expect(
    execFileSync('ssh-keygen', ['-lf', join(sshdDir, 'ssh_host_ed25519_key.pub')], {
      encoding: 'utf8',
    }),
  ).toContain(target().fingerprint);
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  for (const site of sites) rmSync(siteDir(site), { recursive: true, force: true });
});

describe('host keys: Berth decides like OpenSSH and refuses before any command runs', () => {
  it(`${CASES.length} known_hosts / fingerprint cases`, async () => {
    const started = Date.now();
    const verdicts = await pool(
      CASES.map((c) => async () => {
        const site = uniqueSite('hk');
        sites.push(site);
        const text = knownHostsText(c);
        const fingerprint = c.fingerprint?.();
        const sshVerdict = c.openssh === false ? undefined : openssh(text);
        const v = await berth(site, text, fingerprint);
        return { c, site, sshVerdict, v };
      }),
      3,
    );
    const failures: string[] = [];
    const check = (ok: boolean, message: string) => {
      if (!ok) failures.push(message);
    };
    for (const { c, site, sshVerdict, v } of verdicts) {
      const label = `[${c.name}]`;
      check(
        v.outcome === c.expect,
        `${label} Berth ${v.outcome}, expected ${c.expect}\n${explain(v)}`,
      );
      if (sshVerdict !== undefined) {
        if (c.openssh === 'differs') {
          check(
            sshVerdict !== c.expect,
            `${label} OpenSSH now agrees (${sshVerdict}); drop the divergence note`,
          );
        } else {
          check(
            sshVerdict === c.expect,
            `${label} OpenSSH ${sshVerdict}, the case expects ${c.expect}`,
          );
        }
      }
      if (v.outcome === 'accepted') {
        // Positive control: an accepted run's commands do show up under its site name.
        check(
          v.siteCommands.length > 0,
          `${label} accepted but no command mentioning ${site} logged`,
        );
        check(v.run.outputs.status === 'absent', `${label} status ${v.run.outputs.status}`);
      } else {
        check(
          v.siteCommands.length === 0,
          `${label} refused but sshd ran: ${v.siteCommands.join('\n')}`,
        );
        check(!/^\$ /m.test(v.run.stdout), `${label} refused but the log shows a command`);
        const errors = errorAnnotations(v.run);
        check(
          errors.length === 1 &&
            /host key|Refusing to connect|No host key/i.test(errors[0]?.message ?? ''),
          `${label} refusal annotation: ${JSON.stringify(errors)}`,
        );
      }
    }
    expect(failures).toEqual([]);
    const accepted = verdicts.filter((x) => x.v.outcome === 'accepted').length;
    const crossChecked = verdicts.filter((x) => x.sshVerdict !== undefined).length;
    console.log(
      `host keys: ${CASES.length} cases (${accepted} accepted, ${CASES.length - accepted} refused; ` +
        `${crossChecked} cross-checked with OpenSSH) in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    for (const { c, sshVerdict, v } of verdicts) {
      const source =
        c.openssh === false
          ? 'no OpenSSH equivalent'
          : c.openssh === 'differs'
            ? `OpenSSH ${sshVerdict} (documented divergence)`
            : `same as OpenSSH`;
      const proof = v.outcome === 'refused' ? '; no command in sshd log' : '';
      recordResult('host keys', c.name, `${v.outcome} (${source}${proof})`);
    }
  });

  it('hashed lines are found by ssh-keygen -F, as the Berth case assumes', () => {
    const file = join(work, 'hashed-F');
    writeFileSync(file, hashed([`${H} ${keys.ed}`, `${H} ${keys.rsa}`]).join('\n') + '\n');
    const found = execFileSync('ssh-keygen', ['-F', H, '-f', file], { encoding: 'utf8' });
    expect(found.match(/^\|1\|/gm)).toHaveLength(2);
    const other = spawnSync('ssh-keygen', ['-F', '[127.0.0.1]:2200', '-f', file], {
      encoding: 'utf8',
    });
    expect(other.stdout).not.toMatch(/\|1\|/);
    recordResult(
      'host keys',
      'hashed lines match ssh-keygen -F',
      'found for [127.0.0.1]:2222 only',
    );
  });

  it('insecure-ignore-host-key: true connects despite a wrong key, with a ::warning', async () => {
    const site = uniqueSite('hk-insecure');
    sites.push(site);
    const v = await berth(site, `${H} ${keys.wrongEd}`, undefined, {
      'insecure-ignore-host-key': 'true',
    });
    expect(v.outcome, explain(v)).toBe('accepted');
    expect(v.siteCommands.length).toBeGreaterThan(0);
    const warnings = annotationsOf(v.run).filter((a) => a.kind === 'warning');
    expect(warnings.map((w) => w.message).join('\n')).toMatch(
      /insecure-ignore-host-key is true: the identity of 127\.0\.0\.1 is NOT verified/,
    );
    expect(errorAnnotations(v.run)).toEqual([]);
    recordResult(
      'host keys',
      'insecure-ignore-host-key: true, wrong key',
      'connected with ::warning',
    );
  });

  it('a refusal names the presented key and the reason', async () => {
    const site = uniqueSite('hk-msg');
    sites.push(site);
    const wrong = await berth(site, `${H} ${keys.wrongEd}`, undefined);
    expect(errorAnnotations(wrong.run)[0]?.message).toContain(
      `host key ${target().fingerprint} is not among the keys in 'known-hosts'`,
    );
    const revoked = await berth(site, `@revoked ${H} ${keys.ed}\n${H} ${keys.ed}`, undefined);
    expect(errorAnnotations(revoked.run)[0]?.message).toContain(
      `host key ${target().fingerprint} is marked @revoked`,
    );
    const pinned = await berth(site, '', keys.wrongEdFingerprint);
    expect(errorAnnotations(pinned.run)[0]?.message).toContain(
      `does not match 'host-fingerprint' ${keys.wrongEdFingerprint}`,
    );
    const missing = await berth(site, '', undefined);
    expect(errorAnnotations(missing.run)[0]?.message).toMatch(
      /^No host key for 127\.0\.0\.1 port 2222/,
    );
    for (const v of [wrong, revoked, pinned, missing]) expect(v.siteCommands).toEqual([]);
    recordResult('host keys', 'refusal messages', 'name the fingerprint and the reason', 4);
  });
});

describe('secrets never appear outside ::add-mask:: (deploy, failed deploy, rollback, health-gate)', () => {
  const site = uniqueSite('hk-secrets');
  const port = freePort();
  const tag = Math.random().toString(36).slice(2, 10);
  const envSecret = `envSecret-${tag}`;
  const quotedSecret = `quotedSecret-${tag}`;
  const spacedSecret = `spaced secret value ${tag}`;
  const headerToken = `headerSecret-${tag}`;
  const headerSecret = `Bearer ${headerToken}`;
  const ws = makeWorkspace({ 'compose.yml': webCompose({ envFile: '.env' }) });

  afterAll(() => cleanupSite(site));

  /** RSA key with passphrase, host pinned by fingerprint: every credential input in play. */
  const credentials = (): Record<string, string> => {
    const t = target();
    return {
      host: t.host,
      port: String(t.port),
      username: t.user,
      'private-key': t.rsaKey,
      passphrase: t.rsaPassphrase,
      'host-fingerprint': t.fingerprint,
    };
  };

  const deploy = (webTag: string, extra: Record<string, string> = {}) =>
    runAction(
      'deploy-release',
      {
        ...credentials(),
        site,
        'compose-file': 'compose.yml',
        env: [
          `WEB_PORT=${port}`,
          `WEB_TAG=${webTag}`,
          `API_TOKEN=${envSecret}`,
          `QUOTED="${quotedSecret}"`,
          `SPACED=${spacedSecret}`,
        ].join('\n'),
        pull: 'false',
        'keep-releases': '0',
        'health-url': `http://127.0.0.1:${port}/health`,
        'health-headers': `Authorization: ${headerSecret}\nX-Trace: trace-${tag}`,
        'health-timeout': '5',
        'health-backoff': '0.2',
        ...extra,
      },
      { workspace: ws },
    );

  it('none of env values, passphrase, private key or header values leak', async () => {
    const t = target();
    const mark = markSshdLog();
    const first = await deploy('v1');
    expect(first.code, explainRun(first)).toBe(0);
    await waitPastSecond(releaseSecond(first.outputs['release-id'] as string));

    const failed = await deploy('broken', { 'health-retries': '1' });
    expect(failed.code, explainRun(failed)).toBe(1);
    expect(failed.outputs['rolled-back']).toBe('true');
    // The failing path ran: the failing service's logs were printed.
    expect(failed.stdout).toMatch(/::group::Last 50 log lines of /);
    expect(failed.stdout).toMatch(/^==== .+ ====$/m);
    await waitPastSecond(releaseSecond(failed.outputs['release-id'] as string));

    const second = await deploy('v2');
    expect(second.code, explainRun(second)).toBe(0);
    expect((await httpGet(port))?.body).toBe('v2');

    const back = await runAction('rollback', {
      ...credentials(),
      site,
      reason: 'secrets drill',
      'health-url': `http://127.0.0.1:${port}/health`,
      'health-headers': `Authorization: ${headerSecret}`,
      'health-backoff': '0.2',
    });
    expect(back.code, explainRun(back)).toBe(0);
    expect(back.outputs['to-release']).toBe(first.outputs['release-id']);
    expect((await httpGet(port))?.body).toBe('v1');

    const gate = await runAction('health-gate', {
      ...credentials(),
      site,
      url: `http://127.0.0.1:${port}/health`,
      headers: `Authorization: ${headerSecret}`,
      backoff: '0.2',
    });
    expect(gate.code, explainRun(gate)).toBe(0);
    expect(gate.outputs.status).toBe('healthy');

    const runs = {
      deploy: first,
      'failed deploy': failed,
      redeploy: second,
      rollback: back,
      'health-gate': gate,
    };
    const keyLines = keyBodyLines(t.rsaKey);
    expect(keyLines.length).toBeGreaterThan(10);
    const secrets = [
      envSecret,
      quotedSecret,
      spacedSecret,
      headerSecret,
      headerToken,
      t.rsaPassphrase,
      ...keyLines,
    ];
    // Each run registered its secrets with the runner before using them.
    for (const [label, run] of Object.entries(runs)) {
      const masked = maskedValues(run);
      expect(masked, label).toEqual(expect.arrayContaining([headerSecret, t.rsaPassphrase]));
      expect(masked, label).toEqual(expect.arrayContaining(keyLines));
      if (label.includes('deploy')) {
        expect(masked, label).toEqual(
          expect.arrayContaining([envSecret, quotedSecret, spacedSecret]),
        );
      }
    }
    const places: Record<string, string> = {};
    for (const [label, run] of Object.entries(runs))
      Object.assign(places, visibleParts(label, run));
    Object.assign(places, siteRecords(site));
    expect(Object.keys(places)).toEqual(
      expect.arrayContaining([
        'audit.log',
        'manifest.json',
        `releases/${first.outputs['release-id']}/release.json`,
      ]),
    );
    // Commands the server ran (visible to other users in its process list) carry no secret either.
    places['sshd-logged commands'] = commandsMentioning(mark, site).join('\n');
    expect(places['sshd-logged commands']).not.toBe('');
    expect(exposures(places, secrets)).toEqual([]);
    // The secrets did reach where they belong: the release's .env (mode 0600).
    const envPath = `${siteDir(site)}/releases/${first.outputs['release-id']}/.env`;
    expect(readFileSync(envPath, 'utf8')).toContain(envSecret);
    expect(statSync(envPath).mode & 0o777).toBe(0o600);
    recordResult(
      'secrets',
      'env, passphrase, private key, health headers: deploy, failed deploy + rollback, rollback, health-gate',
      `no secret in stdout/stderr/summary/annotations/outputs/audit.log/manifest/release.json/server argv (${Object.keys(places).length} places)`,
      Object.keys(runs).length,
    );
  });
});
