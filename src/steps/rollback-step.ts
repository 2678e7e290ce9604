import * as core from '@actions/core';
import { rollback } from '../actions/rollback.js';
import { parseRollbackSettings } from '../inputs/operation-settings.js';
import {
  failStep,
  maskHeaderValues,
  maskSharedSecrets,
  productionDeps,
  readInput,
  setOutputs,
  writeSummary,
} from '../github/action-io.js';
import { assertNotForkPullRequest } from '../github/fork-policy.js';
import { rollbackSummary } from '../github/operation-summaries.js';

export async function runRollbackStep(read = readInput): Promise<void> {
  try {
    maskSharedSecrets(read);
    maskHeaderValues(read('health-headers'));
    const settings = parseRollbackSettings(read);
    assertNotForkPullRequest('rollback', settings.site.allowForkPullRequests);
    const result = await rollback(settings, productionDeps());
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
    failStep(error);
  }
}
