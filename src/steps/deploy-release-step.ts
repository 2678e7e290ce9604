import { deployRelease } from '../actions/deploy-release.js';
import { parseDeploySettings } from '../inputs/deploy-settings.js';
import {
  failStep,
  maskDotenvValues,
  maskHeaderValues,
  maskSharedSecrets,
  productionDeps,
  readInput,
  setOutputs,
  writeSummary,
} from '../github/action-io.js';
import { deploySummary } from '../github/deploy-summary.js';
import { assertNotForkPullRequest } from '../github/fork-policy.js';
import * as core from '@actions/core';

export async function runDeployReleaseStep(read = readInput): Promise<void> {
  try {
    maskSharedSecrets(read);
    maskDotenvValues(read('env'));
    maskHeaderValues(read('health-headers'));
    const workspace = process.env.GITHUB_WORKSPACE || process.cwd();
    const settings = parseDeploySettings(read, workspace);
    assertNotForkPullRequest('deploy', settings.site.allowForkPullRequests);
    maskDotenvValues(settings.envText);
    const result = await deployRelease(settings, productionDeps());
    setOutputs({
      'release-id': result.releaseId,
      'previous-release-id': result.previousReleaseId,
      'artifact-hash': result.artifactHash,
      deployed: result.deployed,
      'release-dir': result.releaseDir,
      'health-status': result.healthStatus,
      'rolled-back': result.rolledBack,
      'current-release-id': result.currentReleaseId,
    });
    await writeSummary(deploySummary(settings.site.site, result, settings.site.dryRun));
    if (result.failure) {
      core.error(result.failure, {
        title: result.rolledBack ? 'Berth: release rolled back' : 'Berth: release unhealthy',
      });
      process.exitCode = 1;
    } else {
      core.info(
        result.deployed
          ? `Deployed ${result.releaseId} (${result.healthStatus}).`
          : `No change: ${result.releaseId || 'nothing'} is current.`,
      );
    }
  } catch (error) {
    failStep(error);
  }
}
