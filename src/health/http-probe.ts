import { isIP } from 'node:net';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import { Client } from 'undici';

/** Opens a TCP stream to host:port (through SSH for `via: host`, directly for `via: runner`). */
export type OpenStream = (host: string, port: number) => Promise<Duplex>;

export type HttpOutcome =
  | {
      readonly kind: 'response';
      readonly status: number;
      readonly body: string;
      readonly url: string;
    }
  | { readonly kind: 'no-response'; readonly error: string; readonly url: string };

export interface HttpProbeOptions {
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly timeoutMs: number;
  readonly followRedirects: boolean;
}

const MAX_BODY_BYTES = 64 * 1024;
const MAX_REDIRECTS = 5;

function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

function portOf(url: URL): number {
  return Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
}

async function requestOnce(
  url: URL,
  options: HttpProbeOptions,
  open: OpenStream,
  signal: AbortSignal,
) {
  const host = hostOf(url);
  const client = new Client(url.origin, {
    pipelining: 1,
    connect: (_options, callback) => {
      open(host, portOf(url)).then(
        (stream) => {
          if (url.protocol !== 'https:') return callback(null, stream as Socket);
          const secure = tlsConnect({
            socket: stream,
            servername: isIP(host) ? undefined : host,
            ALPNProtocols: ['http/1.1'],
          });
          secure.once('secureConnect', () => callback(null, secure));
          secure.once('error', (error) => callback(error, null));
        },
        (error: Error) => callback(error, null),
      );
    },
  });
  try {
    const response = await client.request({
      path: url.pathname + url.search,
      method: 'GET',
      headers: Object.fromEntries([['user-agent', 'berth-health'], ...options.headers]),
      signal,
    });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body) {
      if (size < MAX_BODY_BYTES) chunks.push(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
    const location = response.headers.location;
    return {
      status: response.statusCode,
      body: Buffer.concat(chunks).toString('utf8').slice(0, MAX_BODY_BYTES),
      location: typeof location === 'string' ? location : undefined,
    };
  } finally {
    client.destroy().catch(() => undefined);
  }
}

/** One health request, bounded by `timeoutMs` from start to the last body byte. */
export async function probeHttp(
  url: URL,
  options: HttpProbeOptions,
  open: OpenStream,
): Promise<HttpOutcome> {
  const signal = AbortSignal.timeout(Math.max(1, options.timeoutMs));
  let target = url;
  try {
    for (let hop = 0; ; hop++) {
      const deadline = new Promise<never>((_, reject) =>
        signal.addEventListener(
          'abort',
          () => reject(new Error(`no response within ${options.timeoutMs} ms`)),
          {
            once: true,
          },
        ),
      );
      const result = await Promise.race([requestOnce(target, options, open, signal), deadline]);
      const redirect = result.status >= 300 && result.status < 400 && result.location;
      if (!options.followRedirects || !redirect || hop >= MAX_REDIRECTS) {
        return { kind: 'response', status: result.status, body: result.body, url: target.href };
      }
      const next = new URL(result.location as string, target);
      if (next.protocol !== 'http:' && next.protocol !== 'https:') {
        return { kind: 'response', status: result.status, body: result.body, url: target.href };
      }
      target = next;
    }
  } catch (error) {
    const err = error as Error & { code?: string; reason?: string };
    const detail = err.code ? `${err.code}: ${err.message}` : err.message;
    return { kind: 'no-response', error: detail, url: target.href };
  }
}
