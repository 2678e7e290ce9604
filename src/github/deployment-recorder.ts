import type { Logger } from '../actions/deps.js';
import {
  defaultEnvironmentUrl,
  shortDescription,
  type DeploymentHandle,
  type DeploymentsApi,
  type DeploymentState,
} from './deployments.js';
import { octokitDeployments } from './deployments-api.js';
import type { DeploymentSettings } from '../inputs/deployment-settings.js';

/**
 * Records one deploy or rollback as a GitHub Deployment: created with the
 * release id in its payload, `in_progress`, then the final state. Calls run
 * in the background of the deploy and are awaited only at the end.
 */
export class DeploymentRecorder {
  private pending: Promise<DeploymentHandle | undefined> = Promise.resolve(undefined);

  private constructor(
    private readonly api: DeploymentsApi,
    private readonly environment: string,
    private readonly environmentUrl: string,
    private readonly logUrl: string,
  ) {}

  static create(
    settings: DeploymentSettings,
    healthUrl: URL | undefined,
    env: NodeJS.ProcessEnv,
    log: Logger,
    api?: DeploymentsApi,
  ): DeploymentRecorder | undefined {
    if (!settings.enabled) return undefined;
    if (!settings.token) {
      log.warning(
        "'github-deployment' is true but 'github-token' is empty; no deployment is recorded",
        'Berth: GitHub Deployments API',
      );
      return undefined;
    }
    const logUrl =
      env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID
        ? `${env.GITHUB_SERVER_URL ?? 'https://github.com'}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`
        : '';
    return new DeploymentRecorder(
      api ?? octokitDeployments(settings.token, env.GITHUB_REPOSITORY ?? '', log),
      settings.environment,
      defaultEnvironmentUrl(settings.environmentUrl, healthUrl),
      logUrl,
    );
  }

  /** Starts recording; returns at once. */
  begin(ref: string, description: string, payload: Record<string, string>): void {
    this.pending = this.api
      .create({
        ref,
        environment: this.environment,
        description: shortDescription(description),
        payload,
      })
      .then(async (deployment) => {
        if (deployment) await this.post(deployment, 'in_progress', description);
        return deployment;
      });
  }

  async finish(state: DeploymentState, description: string): Promise<void> {
    const deployment = await this.pending;
    if (deployment) await this.post(deployment, state, description);
  }

  private post(
    deployment: DeploymentHandle,
    state: DeploymentState,
    description: string,
  ): Promise<void> {
    return this.api.status(deployment, {
      state,
      description: shortDescription(description),
      environmentUrl: this.environmentUrl,
      logUrl: this.logUrl,
    });
  }
}
