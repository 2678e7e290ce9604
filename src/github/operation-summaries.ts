import type { LifecycleResult } from '../actions/lifecycle.js';
import type { PruneResult } from '../actions/prune-releases.js';
import type { RollbackResult } from '../actions/rollback.js';
import type { HealthGateResult } from '../actions/health-gate.js';
import { healthSection, timingsSection } from './deploy-summary.js';
import { cell, code, table } from './markdown.js';

export function rollbackSummary(site: string, result: RollbackResult): string {
  return [
    `## Berth rollback: ${cell(site)} — ${result.success ? 'succeeded' : 'failed'}`,
    '',
    table(
      ['', ''],
      [
        ['Success', result.success],
        ['Host', result.target],
        ['From release', code(result.fromRelease)],
        ['To release', code(result.toRelease)],
        ['Lifecycle status', result.lifecycleStatus],
        ['Health', result.healthStatus],
        ['Message', result.message],
        ['Warnings', result.warnings.length > 0 ? result.warnings.join('; ') : 'none'],
      ],
    ),
    '',
    healthSection('Health check', result.health),
    timingsSection(result.timings),
  ].join('\n');
}

export function healthGateSummary(site: string, result: HealthGateResult): string {
  return [
    `## Berth health gate${site ? `: ${cell(site)}` : ''} — ${result.report.status}`,
    '',
    table(
      ['', ''],
      [
        ['Host', result.target],
        ['Current release', code(result.currentReleaseId)],
        ['Status', result.report.status],
        ['Last HTTP status', result.report.httpStatus ?? '—'],
        ['Attempts', result.report.attempts.length],
        ['Elapsed', `${result.report.elapsedMs} ms`],
        ['Recorded on the server', result.recorded ? 'yes' : 'no'],
      ],
    ),
    '',
    healthSection('Attempts', result.report),
  ].join('\n');
}

export function pruneSummary(site: string, result: PruneResult, keep: number): string {
  return [
    `## Berth prune: ${cell(site)}${result.dryRun ? ' — dry run' : ''}`,
    '',
    `Keep ${keep}; ${result.dryRun ? 'would free' : 'freed'} ${result.freedBytes} bytes.`,
    '',
    table(
      ['release', 'action'],
      [
        ...result.pruned.map((id) => [code(id), result.dryRun ? 'would delete' : 'deleted']),
        ...result.kept.map((id) => [
          code(id),
          id === result.currentReleaseId ? 'kept (current)' : 'kept',
        ]),
      ],
    ),
    '',
  ].join('\n');
}

export function lifecycleSummary(site: string, result: LifecycleResult): string {
  const lines = [
    `## Berth ${cell(result.operation)}: ${cell(site)} — ${result.status}`,
    '',
    cell(result.message),
    '',
    `Current release: ${code(result.currentReleaseId)}`,
    '',
  ];
  if (result.services.length > 0) {
    lines.push(
      table(
        ['service', 'container', 'state', 'health', 'image id', 'started at'],
        result.services.map((s) => [
          s.name,
          s.container,
          s.state,
          s.health,
          code(s.image_id.slice(0, 19)),
          s.started_at,
        ]),
      ),
      '',
    );
  }
  if (result.releases) {
    lines.push(
      '### Releases',
      '',
      table(
        ['release', 'created', 'health', 'pinned', 'current', 'artifact'],
        result.releases.map((r) => [
          code(r.release_id),
          r.created_at,
          r.health_status,
          r.pinned ? 'yes' : '',
          r.current ? 'yes' : '',
          code(r.artifact_hash?.slice(0, 12)),
        ]),
      ),
      '',
    );
  }
  return lines.join('\n');
}
