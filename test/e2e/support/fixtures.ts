import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

// Each test process gets its own block of 25 ports, so concurrent test runs do not collide.
let nextPort = 20000 + (process.pid % 1000) * 25;

/** A fresh loopback port for a test service (services bind 127.0.0.1 only). */
export function freePort(): number {
  nextPort += 1;
  return nextPort;
}

let siteCounter = 0;
/** A site name unique to this run. */
export function uniqueSite(prefix: string): string {
  siteCounter += 1;
  return `${prefix}-${process.pid}-${siteCounter}`;
}

/** Compose file for the fixture web image: host networking, 127.0.0.1 only. */
export function webCompose(
  options: {
    image?: string;
    healthcheck?: boolean;
    service?: string;
    envFile?: string | null;
  } = {},
): string {
  const service = options.service ?? 'web';
  const lines = [
    'services:',
    `  ${service}:`,
    `    image: "${options.image ?? 'berth-fixture/web:${WEB_TAG:-v1}'}"`,
    '    network_mode: host',
    '    environment:',
    '      PORT: "${WEB_PORT}"',
  ];
  if (options.envFile !== null) lines.push(`    env_file: ${options.envFile ?? '../.env'}`);
  if (options.healthcheck) {
    lines.push(
      '    healthcheck:',
      '      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:${WEB_PORT}/health"]',
      '      interval: 1s',
      '      timeout: 1s',
      '      retries: 2',
      '      start_period: 1s',
    );
  }
  return lines.join('\n') + '\n';
}

/** A workspace directory holding `files` (path -> content). */
export function makeWorkspace(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-ws-'));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

/** GET a loopback URL; resolves with status and body, or null when nothing answers. */
export function httpGet(
  port: number,
  path = '/version',
): Promise<{ status: number; body: string } | null> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, timeout: 2000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: body.trim() }));
    });
    req.on('error', () => resolve(null));
    req.on('timeout', () => {
      req.destroy();
      resolve(null);
    });
    req.end();
  });
}

export function docker(...args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8' }).trim();
}

/** Removes a test site's containers, so tests leave no services behind. */
export function removeProject(project: string): void {
  const ids = docker('ps', '-aq', '--filter', `label=com.docker.compose.project=${project}`);
  if (ids) execFileSync('docker', ['rm', '-f', ...ids.split('\n')], { stdio: 'ignore' });
}
