import * as core from '@actions/core';
import { rollback } from '../actions/rollback.js';
import { parseRollbackSettings } from '../inputs/operation-settings.js';
import {
  failStep,
  maskHeaderValues,
  maskSecret,
  maskSharedSecrets,
  productionDeps,
  readInput,
  setOutputs,
  writeSummary,
} from '../github/action-io.js';
import { assertNotForkPullRequest } from '../github/fork-policy.js';
import { rollbackSummary } from '../github/operation-summaries.js';
import { DeploymentRecorder } from '../github/deployment-recorder.js';
import { parseDeploymentSettings } from '../inputs/deployment-settings.js';

export async function runRollbackStep(read = readInput): Promise<void> {
  try {
    maskSharedSecrets(read);
    maskHeaderValues(read('health-headers'));
    const settings = parseRollbackSettings(read);
    assertNotForkPullRequest('rollback', settings.site.allowForkPullRequests);
    const github = parseDeploymentSettings(read);
    maskSecret(github.token);
    const deps = productionDeps();
    const result = await rollback(settings, deps);
    const recorder = result.changed
      ? DeploymentRecorder.create(github, settings.health.url, process.env, deps.log)
      : undefined;
    if (recorder) {
      recorder.begin(
        result.restoredSha || deps.run.sha,
        `Berth rollback of ${settings.site.site} to ${result.toRelease}`,
        {
          release_id: result.toRelease ?? '',
          site: settings.site.site,
          rollback_from: result.fromRelease ?? '',
        },
      );
      await recorder.finish(result.success ? 'success' : 'failure', result.message);
    }
    setOutputs({
      success: result.success,
      'from-release': result.fromRelease,
      'to-release': result.toRelease,
      'lifecycle-status': result.lifecycleStatus,
      'health-status': result.healthStatus,
      message: result.message,
      warnings: JSON.stringify(result.warnings),
    });
    for (const warning of result.warnings) core.warning(warning, { title: 'Berth rollback' });
    await writeSummary(rollbackSummary(settings.site.site, result));
    if (result.success) core.info(result.message);
    else {
      core.error(result.message, { title: 'Berth: rollback failed' });
      process.exitCode = 1;
    }
  } catch (error) {
    // The fail-safe report holds even for input errors: success=false with the reason.
    setOutputs({ success: false, message: (error as Error).message, warnings: '[]' });
    failStep(error);
  }
}
