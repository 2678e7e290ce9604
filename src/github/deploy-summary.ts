import type { DeployResult } from '../actions/deploy-release.js';
import type { HealthReport } from '../health/health-check.js';
import { cell, code, table } from './markdown.js';

export function healthSection(title: string, report: HealthReport | undefined): string {
  if (!report) return '';
  const rows = report.attempts.map((a) => [
    a.attempt,
    `${(a.atMs / 1000).toFixed(2)} s`,
    a.httpStatus ?? '—',
    a.error ?? a.containers ?? '',
    a.outcome,
  ]);
  return [
    `### ${title}: ${report.status}`,
    '',
    cell(report.message),
    '',
    rows.length > 0 ? table(['#', 'at', 'HTTP', 'detail', 'outcome'], rows) : '',
    '',
  ].join('\n');
}

export function timingsSection(timings: ReadonlyArray<{ phase: string; ms: number }>): string {
  return [
    '### Timings',
    '',
    table(
      ['phase', 'ms'],
      timings.map((t) => [t.phase, t.ms]),
    ),
    '',
  ].join('\n');
}

export function deploySummary(site: string, result: DeployResult, dryRun: boolean): string {
  const heading = dryRun
    ? 'dry run'
    : !result.deployed
      ? 'unchanged'
      : result.rolledBack
        ? 'rolled back'
        : result.failure
          ? 'unhealthy'
          : 'deployed';
  const lines = [
    `## Berth deploy: ${cell(site)} — ${heading}`,
    '',
    table(
      ['', ''],
      [
        ['Site', site],
        ['Host', result.target],
        ['Release', code(result.releaseId)],
        ['Previous release', code(result.previousReleaseId)],
        ['Artifact hash', code(result.artifactHash)],
        ['Health', result.healthStatus],
        ['Rolled back', result.rolledBack ? `yes, to ${result.currentReleaseId}` : 'no'],
        ['Current release', code(result.currentReleaseId)],
      ],
    ),
    '',
  ];
  if (result.services.length > 0) {
    lines.push(
      '### Services',
      '',
      table(
        ['service', 'image', 'pinned image id', 'repo digest'],
        result.services.map((s) => [
          s.service,
          code(s.image),
          code(s.image_id.slice(0, 19)),
          code(s.repo_digest),
        ]),
      ),
      '',
    );
  }
  lines.push(healthSection('Health check', result.health));
  lines.push(healthSection('Health after rollback', result.rollbackHealth));
  if (result.pruned && result.pruned.pruned.length > 0) {
    lines.push(
      `Pruned ${result.pruned.pruned.map(code).join(', ')} (${result.pruned.freedBytes} bytes).`,
      '',
    );
  }
  if (dryRun && result.plannedCommands.length > 0) {
    lines.push('### Commands a deploy would run', '', '```', ...result.plannedCommands, '```', '');
  }
  if (result.failure) lines.push(`**${cell(result.failure)}**`, '');
  lines.push(timingsSection(result.timings));
  return lines.join('\n');
}
