import * as core from '@actions/core';
import { pruneReleasesAction } from '../actions/prune-releases.js';
import { parsePruneSettings } from '../inputs/operation-settings.js';
import {
  failStep,
  maskSharedSecrets,
  productionDeps,
  readInput,
  setOutputs,
  writeSummary,
} from '../github/action-io.js';
import { assertNotForkPullRequest } from '../github/fork-policy.js';
import { pruneSummary } from '../github/operation-summaries.js';

export async function runPruneReleasesStep(read = readInput): Promise<void> {
  try {
    maskSharedSecrets(read);
    const settings = parsePruneSettings(read);
    assertNotForkPullRequest('prune', settings.site.allowForkPullRequests);
    const result = await pruneReleasesAction(settings, productionDeps());
    setOutputs({
      'pruned-releases': JSON.stringify(result.pruned),
      'kept-releases': JSON.stringify(result.kept),
      'freed-bytes': result.freedBytes,
    });
    await writeSummary(pruneSummary(settings.site.site, result, settings.keep));
    core.info(
      `${result.dryRun ? 'Would delete' : 'Deleted'} ${result.pruned.length} release(s); kept ${result.kept.length}.`,
    );
  } catch (error) {
    failStep(error);
  }
}
