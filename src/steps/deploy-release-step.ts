import { deployRelease } from '../actions/deploy-release.js';
import { parseDeploySettings } from '../inputs/deploy-settings.js';
import {
  failStep,
  maskDotenvValues,
  maskHeaderValues,
  maskSecret,
  maskSharedSecrets,
  productionDeps,
  readInput,
  setOutputs,
  writeSummary,
} from '../github/action-io.js';
import { deploySummary } from '../github/deploy-summary.js';
import { assertNotForkPullRequest } from '../github/fork-policy.js';
import { DeploymentRecorder } from '../github/deployment-recorder.js';
import { parseDeploymentSettings } from '../inputs/deployment-settings.js';
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
    const github = parseDeploymentSettings(read);
    maskSecret(github.token);
    const deps = productionDeps();
    const recorder = DeploymentRecorder.create(github, settings.health.url, process.env, deps.log);
    let result;
    try {
      result = await deployRelease(settings, deps, {
        onReleaseReady: (releaseId) =>
          recorder?.begin(deps.run.sha, `Berth release ${releaseId} of ${settings.site.site}`, {
            release_id: releaseId,
            site: settings.site.site,
          }),
      });
    } catch (error) {
      await recorder?.finish('error', `Deploy failed: ${(error as Error).message}`);
      throw error;
    }
    if (result.deployed) {
      await recorder?.finish(
        result.failure ? 'failure' : 'success',
        result.failure
          ? `${result.releaseId} ${result.healthStatus}${result.rolledBack ? `; rolled back to ${result.currentReleaseId}` : '; left running'}`
          : `${result.releaseId} healthy`,
      );
    }
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
