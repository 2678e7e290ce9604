// Synthetic releases for the growth measurements: copies of a real release
// directory under new ids (rel_<10 digits>_<8 hex>, older than any real one),
// release.json rewritten for the new id (release_id and the pinned tags that
// embed it), owned by the deploy user, each with its pinned image tag created
// through the Docker Engine API (one HTTP call per tag, no CLI start-up).
import {
  chownSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';

const SYNTHETIC_BASE = 1_000_000_000; // 2001-09-09: older than every real release id

export const syntheticId = (i) => `rel_${SYNTHETIC_BASE + i}_${(0xb0000000 + i).toString(16)}`;
const isSynthetic = (name) =>
  /^rel_(\d{10})_b[0-9a-f]{7}$/.test(name) && Number(name.slice(4, 14)) < 1_100_000_000;

function dockerApi(method, path) {
  return new Promise((resolve) => {
    const req = request({ socketPath: '/var/run/docker.sock', method, path }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
    req.end();
  });
}

/** Runs `fn` over `items` with at most `limit` in flight. */
async function pool(items, limit, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

function filesOf(dir, prefix = '') {
  const out = [];
  for (const entry of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push({ rel, dir: true }, ...filesOf(dir, rel));
    else if (entry.isFile()) out.push({ rel, dir: false });
  }
  return out;
}

/**
 * Makes `<releasesDir>` hold exactly `count` synthetic releases (ids 0..count-1),
 * copied from the real release `templateId`. Returns what it did.
 */
export async function ensureSynthetic(releasesDir, templateId, count) {
  const templateDir = join(releasesDir, templateId);
  const owner = statSync(templateDir);
  const templateJson = readFileSync(join(templateDir, 'release.json'), 'utf8');
  const files = filesOf(templateDir).map((f) => ({
    ...f,
    mode: statSync(join(templateDir, f.rel)).mode & 0o7777,
    content: f.dir || f.rel === 'release.json' ? null : readFileSync(join(templateDir, f.rel)),
  }));
  const wanted = new Set(Array.from({ length: count }, (_, i) => syntheticId(i)));
  const present = new Set(readdirSync(releasesDir).filter(isSynthetic));
  const removed = [...present].filter((id) => !wanted.has(id));
  const created = [...wanted].filter((id) => !present.has(id));
  const tags = [];
  for (const id of removed) rmSync(join(releasesDir, id), { recursive: true, force: true });
  for (const id of created) {
    const dest = join(releasesDir, id);
    mkdirSync(dest, { mode: owner.mode & 0o7777 });
    chownSync(dest, owner.uid, owner.gid);
    const json = templateJson.split(templateId).join(id);
    for (const f of files) {
      const path = join(dest, f.rel);
      if (f.dir) mkdirSync(path, { mode: f.mode });
      else writeFileSync(path, f.rel === 'release.json' ? json : f.content, { mode: f.mode });
      chownSync(path, owner.uid, owner.gid);
    }
    for (const s of JSON.parse(json).services ?? [])
      tags.push({ imageId: s.image_id, tag: s.pinned_tag });
  }
  let tagFailures = 0;
  await pool(tags, 8, async ({ imageId, tag }) => {
    const colon = tag.lastIndexOf(':');
    const status = await dockerApi(
      'POST',
      `/images/${encodeURIComponent(imageId)}/tag?repo=${encodeURIComponent(tag.slice(0, colon))}&tag=${encodeURIComponent(tag.slice(colon + 1))}`,
    );
    if (status !== 201) tagFailures++;
  });
  return { created: created.length, removed: removed.length, tagFailures };
}

/** Removes every image tag of repository `repo` (e.g. `berth/<site>`) through the Engine API. */
export async function removeRepoTags(repo) {
  const tags = await new Promise((resolve) => {
    const req = request(
      {
        socketPath: '/var/run/docker.sock',
        path: `/images/json?filters=${encodeURIComponent(JSON.stringify({ reference: [repo] }))}`,
      },
      (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => {
          try {
            resolve(
              JSON.parse(body).flatMap((img) =>
                (img.RepoTags ?? []).filter((t) => t.startsWith(`${repo}:`)),
              ),
            );
          } catch {
            resolve([]);
          }
        });
      },
    );
    req.on('error', () => resolve([]));
    req.end();
  });
  await pool(tags, 8, (tag) => dockerApi('DELETE', `/images/${encodeURIComponent(tag)}?noprune=1`));
  return tags.length;
}
