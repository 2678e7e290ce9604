import { ConfigurationError } from '../errors.js';
import { failStep, readInput } from '../github/action-io.js';
import { runDeployReleaseStep } from './deploy-release-step.js';
import { runHealthGateStep } from './health-gate-step.js';
import { runLifecycleStep } from './lifecycle-step.js';
import { runPruneReleasesStep } from './prune-releases-step.js';
import { runRollbackStep } from './rollback-step.js';

const COMMANDS = {
  deploy: runDeployReleaseStep,
  health: runHealthGateStep,
  rollback: runRollbackStep,
  prune: runPruneReleasesStep,
  lifecycle: runLifecycleStep,
} as const;

/** The root action: `command:` picks the sub-action; the inputs are the same names. */
export async function runBerthStep(read = readInput): Promise<void> {
  const command = read('command');
  // Own properties only: `constructor` or `__proto__` must not pass for a command.
  const step = Object.hasOwn(COMMANDS, command)
    ? COMMANDS[command as keyof typeof COMMANDS]
    : undefined;
  if (!step) {
    failStep(
      new ConfigurationError(
        'command',
        `${command ? `'${command}' is not a command` : 'is required'}; use one of ${Object.keys(COMMANDS).join(', ')}`,
      ),
    );
    return;
  }
  await step(read);
}
