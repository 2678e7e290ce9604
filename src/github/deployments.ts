import { isIP } from 'node:net';

/** A recorded GitHub Deployment, or nothing when the feature is off or the API refused. */
export interface DeploymentHandle {
  readonly id: number;
}

export type DeploymentState = 'in_progress' | 'success' | 'failure' | 'error';

/** The slice of the REST API Berth uses; tests and production pass implementations. */
export interface DeploymentsApi {
  create(request: {
    ref: string;
    environment: string;
    description: string;
    payload: Record<string, string>;
  }): Promise<DeploymentHandle | undefined>;
  status(
    deployment: DeploymentHandle,
    request: {
      state: DeploymentState;
      description: string;
      environmentUrl: string;
      logUrl: string;
    },
  ): Promise<void>;
}

function privateHost(hostname: string): boolean {
  const host = hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    host.endsWith('.local') ||
    host.endsWith('.internal')
  ) {
    return true;
  }
  if (isIP(host) === 4) {
    const [a = 0, b = 0] = host.split('.').map(Number);
    return (
      a === 10 ||
      a === 127 ||
      a === 0 ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 169 && b === 254) ||
      (a === 100 && b >= 64 && b <= 127)
    );
  }
  if (isIP(host) === 6)
    return (
      host === '::1' || host.startsWith('fc') || host.startsWith('fd') || host.startsWith('fe80')
    );
  return !host.includes('.');
}

/** `environment-url` when given, else the health URL's origin when that is publicly reachable. */
export function defaultEnvironmentUrl(explicit: string, healthUrl: URL | undefined): string {
  if (explicit) return explicit;
  if (!healthUrl || privateHost(healthUrl.hostname)) return '';
  return healthUrl.origin;
}

/** Statuses hold at most 140 characters of description. */
export function shortDescription(text: string): string {
  return text.length <= 140 ? text : `${text.slice(0, 139)}…`;
}
