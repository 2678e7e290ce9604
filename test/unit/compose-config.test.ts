import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseComposeConfig, pinOverride } from '../../src/release/compose-config.js';

/** What `docker-compose config` (v1) prints: keys sorted, `version` quoted. */
const V1_OUTPUT = `networks: {}
services:
  web:
    environment:
      MODE: production
    image: nginx:1.25-alpine
    ports:
    - published: 8080
      target: 80
  worker:
    build:
      context: /home/runner/work/app
    image: shop-worker
  db:
    image: postgres@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
version: '3.7'
volumes: {}
`;

/** What `docker compose config` (v2) prints: a project name, no version. */
const V2_OUTPUT = `name: shop
services:
  api:
    build:
      context: /src/api
      dockerfile: Dockerfile
    networks:
      default: null
  cache:
    image: redis:7
    networks:
      default: null
  web:
    image: ghcr.io/acme/web:1.2.3
    networks:
      default: null
networks:
  default:
    name: shop_default
`;

describe('parseComposeConfig', () => {
  it('reads compose v1 output with its version', () => {
    expect(parseComposeConfig(V1_OUTPUT)).toEqual({
      services: [
        { service: 'web', image: 'nginx:1.25-alpine' },
        {
          service: 'db',
          image: 'postgres@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
        },
      ],
      buildServices: ['worker'],
      version: '3.7',
    });
  });

  it('reads compose v2 output without a version', () => {
    expect(parseComposeConfig(V2_OUTPUT)).toEqual({
      services: [
        { service: 'cache', image: 'redis:7' },
        { service: 'web', image: 'ghcr.io/acme/web:1.2.3' },
      ],
      buildServices: ['api'],
      version: undefined,
    });
  });

  it('counts a service with build as a build service even with an image', () => {
    const config = parseComposeConfig('services:\n  app:\n    build: .\n    image: app:latest\n');
    expect(config.services).toEqual([]);
    expect(config.buildServices).toEqual(['app']);
  });

  it('counts a service without an image string as one it cannot pin', () => {
    const config = parseComposeConfig(
      'services:\n  empty:\n  numeric:\n    image: 42\n  ok:\n    image: "busybox"\n',
    );
    expect(config.services).toEqual([{ service: 'ok', image: 'busybox' }]);
    expect(config.buildServices).toEqual(['empty', 'numeric']);
  });

  it('ignores a non-string version', () => {
    expect(parseComposeConfig('version: 3\nservices: {}\n').version).toBeUndefined();
  });

  it('accepts empty output and a file without services', () => {
    expect(parseComposeConfig('')).toEqual({ services: [], buildServices: [], version: undefined });
    expect(parseComposeConfig('name: x\n')).toEqual({
      services: [],
      buildServices: [],
      version: undefined,
    });
  });
});

describe('pinOverride', () => {
  const pins = [
    { service: 'web', tag: 'berth/shop:rel_1700000000_abcdef12-web' },
    { service: 'db', tag: 'berth/shop:rel_1700000000_abcdef12-db' },
  ];

  it('parses back as YAML that pins every service to its tag', () => {
    const text = pinOverride(pins, undefined);
    const document = parse(text) as Record<string, unknown>;
    expect(document).toEqual({
      services: {
        web: { image: 'berth/shop:rel_1700000000_abcdef12-web' },
        db: { image: 'berth/shop:rel_1700000000_abcdef12-db' },
      },
    });
    for (const pin of pins) expect(text).toContain(pin.tag);
    expect(text.endsWith('\n')).toBe(true);
    expect(text.startsWith('#')).toBe(true);
  });

  it('carries the version compose v1 needs, as a string', () => {
    const document = parse(pinOverride(pins, '3.7')) as { version: unknown; services: unknown };
    expect(document.version).toBe('3.7');
    expect(Object.keys(document.services as object)).toEqual(['web', 'db']);
  });

  it('keeps awkward service names and tags intact', () => {
    const awkward = [
      { service: 'my:svc', tag: 'berth/x:rel-my_svc' },
      { service: "it's #1", tag: 'a "quoted" tag' },
      { service: 'yes', tag: 'null' },
      { service: '123', tag: '- dash' },
    ];
    const document = parse(pinOverride(awkward, '2')) as {
      version: unknown;
      services: Record<string, { image: unknown }>;
    };
    expect(document.version).toBe('2');
    expect(document.services).toEqual({
      'my:svc': { image: 'berth/x:rel-my_svc' },
      "it's #1": { image: 'a "quoted" tag' },
      yes: { image: 'null' },
      '123': { image: '- dash' },
    });
  });

  it('round-trips through parseComposeConfig', () => {
    const config = parseComposeConfig(pinOverride(pins, '3.8'));
    expect(config).toEqual({
      services: pins.map((p) => ({ service: p.service, image: p.tag })),
      buildServices: [],
      version: '3.8',
    });
  });
});
