import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectionInputs, target } from './support/target.js';
import {
  freePort,
  httpGet,
  makeWorkspace,
  removeProject,
  uniqueSite,
  webCompose,
} from './support/fixtures.js';
import { runAction, type ActionRun } from './support/run-action.js';

interface Recorded {
  method: string;
  url: string;
  body: Record<string, unknown>;
  authorization: string;
}

/** A stand-in for api.github.com on 127.0.0.1 that records every request. */
class FakeGitHub {
  readonly requests: Recorded[] = [];
  failWith: number | undefined;
  private server!: Server;
  private nextId = 100;
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let data = '';
      req.on('data', (d: Buffer) => (data += d.toString()));
      req.on('end', () => {
        this.requests.push({
          method: req.method ?? '',
          url: req.url ?? '',
          body: data ? (JSON.parse(data) as Record<string, unknown>) : {},
          authorization: String(req.headers.authorization ?? ''),
        });
        res.setHeader('content-type', 'application/json');
        if (this.failWith) {
          res.statusCode = this.failWith;
          res.end(JSON.stringify({ message: 'simulated outage' }));
          return;
        }
        res.statusCode = 201;
        res.end(
          JSON.stringify(req.url?.endsWith('/deployments') ? { id: ++this.nextId } : { id: 1 }),
        );
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  take(): Recorded[] {
    return this.requests.splice(0);
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const TOKEN = 'ghs_fakeTokenValue1234567890';

describe('GitHub-native behaviour', () => {
  const github = new FakeGitHub();
  const site = uniqueSite('gh');
  const port = freePort();
  const ws = makeWorkspace({ 'compose.yml': webCompose({ envFile: '.env' }) });
  const apiEnv = () => ({ GITHUB_API_URL: `http://127.0.0.1:${github.port}` });
  const deploy = (
    tag: string,
    extra: Record<string, string> = {},
    env: Record<string, string> = {},
  ) =>
    runAction(
      'deploy-release',
      {
        ...connectionInputs(),
        site,
        'compose-file': 'compose.yml',
        env: `WEB_PORT=${port}\nWEB_TAG=${tag}`,
        pull: 'false',
        'keep-releases': '0',
        'health-url': `http://127.0.0.1:${port}/health`,
        'health-timeout': '5',
        'health-backoff': '0.2',
        'github-deployment': 'true',
        environment: 'staging',
        'github-token': TOKEN,
        ...extra,
      },
      { workspace: ws, env: { ...apiEnv(), ...env } },
    );

  beforeAll(() => github.start());
  afterAll(async () => {
    removeProject(site);
    await github.stop();
  });

  let first: ActionRun;

  it('a healthy deploy creates a deployment for GITHUB_SHA and posts in_progress then success', async () => {
    first = await deploy(
      'v1',
      { 'environment-url': 'https://shop.example.com' },
      { GITHUB_SHA: 'b'.repeat(40) },
    );
    expect(first.code).toBe(0);
    const requests = github.take();
    expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      'POST /repos/acme/shop/deployments',
      'POST /repos/acme/shop/deployments/101/statuses',
      'POST /repos/acme/shop/deployments/101/statuses',
    ]);
    const [create, progress, done] = requests as [Recorded, Recorded, Recorded];
    expect(create.body).toEqual({
      ref: 'b'.repeat(40),
      environment: 'staging',
      description: `Berth release ${first.outputs['release-id']} of ${site}`,
      payload: { release_id: first.outputs['release-id'], site },
      auto_merge: false,
      required_contexts: [],
      transient_environment: false,
    });
    expect(create.authorization).toBe(`token ${TOKEN}`);
    expect(progress.body).toMatchObject({
      state: 'in_progress',
      environment_url: 'https://shop.example.com',
    });
    expect(done.body).toMatchObject({
      state: 'success',
      environment_url: 'https://shop.example.com',
      log_url: 'https://github.com/acme/shop/actions/runs/1001',
    });
  });

  it('the deploy summary shows site, host, releases, hash, services, health attempts and timings', () => {
    const s = first.summary;
    expect(s).toContain(`## Berth deploy: ${site} — deployed`);
    expect(s).toContain(`| Host | berth@127.0.0.1:${target().port} |`);
    expect(s).toContain(`\`${first.outputs['release-id']}\``);
    expect(s).toContain(`\`${first.outputs['artifact-hash']}\``);
    expect(s).toMatch(/\| web \| `berth-fixture\/web:v1` \| `sha256:[0-9a-f]{12}` \|/);
    expect(s).toContain('### Health check: healthy');
    expect(s).toMatch(/\| 1 \| 0\.\d\d s \| 200 \|/);
    expect(s).toContain('| Rolled back | no |');
    for (const phase of [
      'connect',
      'lock',
      'upload',
      'config',
      'pin',
      'up',
      'switch',
      'manifest',
      'health',
    ]) {
      expect(s).toContain(`| ${phase} |`);
    }
    expect(Buffer.byteLength(s)).toBeLessThan(64 * 1024);
  });

  it('an unhealthy deploy posts failure noting the rollback, and a private health URL gives no environment_url', async () => {
    const broken = await deploy('broken', { 'health-retries': '1' });
    expect(broken.code).toBe(1);
    expect(broken.outputs['rolled-back']).toBe('true');
    const requests = github.take();
    expect(requests.map((r) => r.body.state ?? 'create')).toEqual([
      'create',
      'in_progress',
      'failure',
    ]);
    expect(requests[0]?.body.payload).toEqual({ release_id: broken.outputs['release-id'], site });
    expect(requests[2]?.body.description).toBe(
      `${broken.outputs['release-id']} unhealthy; rolled back to ${first.outputs['release-id']}`,
    );
    expect(requests[2]?.body).not.toHaveProperty('environment_url');
    expect(broken.summary).toContain(`| Rolled back | yes, to ${first.outputs['release-id']} |`);
    expect(
      broken.annotations.some((a) => a.startsWith('::error title=Berth%3A release rolled back')),
    ).toBe(true);
  });

  it('a rollback creates a deployment for the restored release’s recorded sha', async () => {
    const second = await deploy('v2', {}, { GITHUB_SHA: 'c'.repeat(40) });
    expect(second.code).toBe(0);
    github.take();
    const rollback = await runAction(
      'rollback',
      {
        ...connectionInputs(),
        site,
        'health-url': `http://127.0.0.1:${port}/health`,
        'github-deployment': 'true',
        environment: 'staging',
        'github-token': TOKEN,
        reason: 'drill',
      },
      { env: { ...apiEnv(), GITHUB_SHA: 'd'.repeat(40) } },
    );
    expect(rollback.code, rollback.stdout.slice(-3000)).toBe(0);
    expect(rollback.outputs['to-release']).toBe(first.outputs['release-id']);
    const requests = github.take();
    expect(requests.map((r) => r.body.state ?? 'create')).toEqual([
      'create',
      'in_progress',
      'success',
    ]);
    expect(requests[0]?.body).toMatchObject({
      ref: 'b'.repeat(40),
      environment: 'staging',
      auto_merge: false,
      required_contexts: [],
      payload: {
        release_id: first.outputs['release-id'],
        site,
        rollback_from: second.outputs['release-id'],
      },
    });
    expect(rollback.summary).toContain('## Berth rollback');
    expect(rollback.summary).toContain(`| To release | \`${first.outputs['release-id']}\` |`);
    expect((await httpGet(port))?.body).toBe('v1');
  });

  it('API errors are warnings, never a failed deploy', async () => {
    github.failWith = 500;
    try {
      const run = await deploy('v2', { force: 'true' });
      expect(run.code).toBe(0);
      expect(
        run.annotations.some((a) =>
          a.startsWith('::warning title=Berth%3A GitHub Deployments API::'),
        ),
      ).toBe(true);
    } finally {
      github.failWith = undefined;
      github.take();
    }
  });
});

describe('secrets never leave the process unmasked', () => {
  const site = uniqueSite('mask');
  const port = freePort();
  afterAll(() => removeProject(site));

  it('env values, passphrase, private key and health headers appear nowhere but in ::add-mask::', async () => {
    const t = target();
    const envSecret = 'envSecretValue-7f3a9c';
    const headerSecret = 'Bearer headerSecret-51bd';
    const ws = makeWorkspace({ 'compose.yml': webCompose({ envFile: '.env' }) });
    const run = await runAction(
      'deploy-release',
      {
        host: t.host,
        port: String(t.port),
        username: t.user,
        'private-key': t.rsaKey,
        passphrase: t.rsaPassphrase,
        'host-fingerprint': t.fingerprint,
        site,
        'compose-file': 'compose.yml',
        env: `WEB_PORT=${port}\nAPI_TOKEN=${envSecret}\nQUOTED="${envSecret}-q"`,
        pull: 'false',
        'health-url': `http://127.0.0.1:${port}/health`,
        'health-headers': `Authorization: ${headerSecret}`,
        'health-backoff': '0.2',
      },
      { workspace: ws },
    );
    expect(run.code).toBe(0);
    const masked = run.stdout
      .split('\n')
      .filter((line) => line.startsWith('::add-mask::'))
      .map((line) => line.slice('::add-mask::'.length));
    expect(masked).toEqual(expect.arrayContaining([envSecret, headerSecret, t.rsaPassphrase]));
    const keyLines = t.rsaKey.split('\n').filter((l) => l.trim() && !l.startsWith('-----'));
    const visible = [
      run.stdout
        .split('\n')
        .filter((line) => !line.startsWith('::add-mask::'))
        .join('\n'),
      run.stderr,
      run.summary,
      JSON.stringify(run.outputs),
    ];
    const siteDir = `${t.home}/berth/${site}`;
    for (const file of [
      'audit.log',
      'manifest.json',
      `releases/${run.outputs['release-id']}/release.json`,
    ]) {
      visible.push(readFileSync(`${siteDir}/${file}`, 'utf8'));
    }
    for (const text of visible) {
      for (const secret of [
        envSecret,
        headerSecret,
        'headerSecret-51bd',
        t.rsaPassphrase,
        ...keyLines,
      ]) {
        expect(text).not.toContain(secret);
      }
    }
    // The env file itself holds the values, readable only by the deploy user.
    expect(readFileSync(`${siteDir}/releases/${run.outputs['release-id']}/.env`, 'utf8')).toContain(
      envSecret,
    );
  });
});
