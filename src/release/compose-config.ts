import { parse } from 'yaml';

export interface ServiceImage {
  readonly service: string;
  readonly image: string;
}

export interface ResolvedConfig {
  readonly services: readonly ServiceImage[];
  /** Services that build from source, which Berth refuses. */
  readonly buildServices: readonly string[];
  /** Compose v1 needs an override file to carry the same `version:`. */
  readonly version?: string;
}

/** Reads `compose config` output (YAML from v1 and v2 alike). */
export function parseComposeConfig(text: string): ResolvedConfig {
  const document = parse(text) as {
    version?: unknown;
    services?: Record<string, { image?: unknown; build?: unknown } | null>;
  } | null;
  const services: ServiceImage[] = [];
  const buildServices: string[] = [];
  for (const [service, definition] of Object.entries(document?.services ?? {})) {
    if (definition?.build !== undefined) buildServices.push(service);
    else if (typeof definition?.image === 'string')
      services.push({ service, image: definition.image });
    else buildServices.push(service);
  }
  const version = typeof document?.version === 'string' ? document.version : undefined;
  return { services, buildServices, version };
}

/** The override file that pins each service to its release's local image tag. */
export function pinOverride(
  pins: ReadonlyArray<{ service: string; tag: string }>,
  version: string | undefined,
): string {
  const lines = [
    '# Written by Berth: pins every service to the image this release was deployed with.',
  ];
  if (version !== undefined) lines.push(`version: ${JSON.stringify(version)}`);
  lines.push('services:');
  for (const pin of pins) {
    lines.push(`  ${JSON.stringify(pin.service)}:`, `    image: ${JSON.stringify(pin.tag)}`);
  }
  return lines.join('\n') + '\n';
}
