import type { Logger } from '../actions/deps.js';
import type { DeploymentHandle, DeploymentsApi } from './deployments.js';

/**
 * The Deployments API through @actions/github. Its base URL follows
 * GITHUB_API_URL (read here, at call time). Every failure is a warning:
 * a deploy never fails because GitHub's API did.
 */
export function octokitDeployments(token: string, repository: string, log: Logger): DeploymentsApi {
  const [owner = '', repo = ''] = repository.split('/');
  // Loaded only when deployments are on: octokit is a large part of the bundle and most runs never need it.
  const client = import('@actions/github').then(({ getOctokit }) =>
    getOctokit(token, { baseUrl: process.env.GITHUB_API_URL || 'https://api.github.com' }),
  );
  const warn = (what: string, error: unknown) =>
    log.warning(
      `GitHub deployment ${what} failed: ${(error as Error).message}`,
      'Berth: GitHub Deployments API',
    );
  return {
    async create(request) {
      try {
        const octokit = await client;
        const response = await octokit.rest.repos.createDeployment({
          owner,
          repo,
          ref: request.ref,
          environment: request.environment,
          description: request.description,
          payload: request.payload,
          auto_merge: false,
          required_contexts: [],
          transient_environment: false,
        });
        if (response.status !== 201 || !('id' in response.data)) {
          log.warning(
            `GitHub did not create a deployment (HTTP ${response.status})`,
            'Berth: GitHub Deployments API',
          );
          return undefined;
        }
        return { id: response.data.id } satisfies DeploymentHandle;
      } catch (error) {
        warn('creation', error);
        return undefined;
      }
    },
    async status(deployment, request) {
      try {
        const octokit = await client;
        await octokit.rest.repos.createDeploymentStatus({
          owner,
          repo,
          deployment_id: deployment.id,
          state: request.state,
          description: request.description,
          environment_url: request.environmentUrl || undefined,
          log_url: request.logUrl || undefined,
        });
      } catch (error) {
        warn(`status '${request.state}'`, error);
      }
    },
  };
}
