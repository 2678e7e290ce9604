import * as core from '@actions/core';
import { healthGate } from '../actions/health-gate.js';
import { parseHealthGateSettings } from '../inputs/operation-settings.js';
import {
  failStep,
  maskHeaderValues,
  maskSharedSecrets,
  productionDeps,
  readInput,
  setOutputs,
  writeSummary,
} from '../github/action-io.js';
import { healthGateSummary } from '../github/operation-summaries.js';

export async function runHealthGateStep(read = readInput): Promise<void> {
  try {
    maskSharedSecrets(read);
    maskHeaderValues(read('headers'));
    const settings = parseHealthGateSettings(read);
    const result = await healthGate(settings, productionDeps());
    const { report } = result;
    setOutputs({
      status: report.status,
      'http-status': report.httpStatus,
      attempts: report.attempts.length,
      'elapsed-ms': report.elapsedMs,
      message: report.message,
    });
    await writeSummary(healthGateSummary(settings.site.site, result));
    if (report.status !== 'healthy' && settings.failOnUnhealthy) {
      core.error(`${report.status}: ${report.message}`, { title: 'Berth: health gate' });
      process.exitCode = 1;
    } else core.info(`${report.status}: ${report.message}`);
  } catch (error) {
    failStep(error);
  }
}
