import * as core from '@actions/core';
import { lifecycle } from '../actions/lifecycle.js';
import { parseLifecycleSettings } from '../inputs/operation-settings.js';
import {
  failStep,
  maskSharedSecrets,
  productionDeps,
  readInput,
  setOutputs,
  writeSummary,
} from '../github/action-io.js';
import { assertNotForkPullRequest } from '../github/fork-policy.js';
import { lifecycleSummary } from '../github/operation-summaries.js';

const READ_ONLY = new Set(['status', 'list-releases']);

export async function runLifecycleStep(read = readInput): Promise<void> {
  try {
    maskSharedSecrets(read);
    const settings = parseLifecycleSettings(read);
    if (!READ_ONLY.has(settings.operation)) {
      assertNotForkPullRequest(
        `lifecycle ${settings.operation}`,
        settings.site.allowForkPullRequests,
      );
    }
    const result = await lifecycle(settings, productionDeps());
    setOutputs({
      status: result.status,
      services: JSON.stringify(result.services),
      'current-release-id': result.currentReleaseId,
      ...(result.releases ? { releases: JSON.stringify(result.releases) } : {}),
    });
    await writeSummary(lifecycleSummary(settings.site.site, result));
    core.info(result.message);
  } catch (error) {
    failStep(error);
  }
}
