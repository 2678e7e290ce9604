import { readFileSync, readlinkSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { connectionInputs, target } from './support/target.js';
import {
  freePort,
  httpGet,
  makeWorkspace,
  removeProject,
  uniqueSite,
  webCompose,
} from './support/fixtures.js';
import { runAction } from './support/run-action.js';

describe('deploy smoke', () => {
  const site = uniqueSite('smoke');
  const port = freePort();
  afterAll(() => removeProject(site));

  it('deploys and serves', async () => {
    const ws = makeWorkspace({ 'deploy/compose.yml': webCompose() });
    const run = await runAction(
      'deploy-release',
      {
        ...connectionInputs(),
        site,
        'compose-file': 'deploy/compose.yml',
        env: `WEB_PORT=${port}\nWEB_TAG=v1\nSECRET=hunter2`,
        pull: 'false',
        'health-url': `http://127.0.0.1:${port}/health`,
      },
      { workspace: ws },
    );
    console.log(run.stdout, run.stderr, run.outputs, run.durationMs);
    expect(run.code).toBe(0);
    expect((await httpGet(port))?.body).toBe('v1');
    const siteDir = `${target().home}/berth/${site}`;
    expect(readlinkSync(`${siteDir}/current`)).toBe(`releases/${run.outputs['release-id']}`);
    console.log(readFileSync(`${siteDir}/manifest.json`, 'utf8'));
  });
});
