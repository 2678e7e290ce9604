/** Where a site's files live on the target, all under `<deploy-root>/<site>/`. */
export interface SiteLayout {
  readonly deployRoot: string;
  readonly siteDir: string;
  readonly releasesDir: string;
  /** Releases are assembled here and renamed into `releases/` only when complete. */
  readonly stagingDir: string;
  readonly current: string;
  readonly manifest: string;
  readonly auditLog: string;
  /** Outlives a removed site. */
  readonly rootAuditLog: string;
  readonly lockFile: string;
  readonly lockInfo: string;
}

export const RELEASE_ID_PATTERN = /^rel_\d{10}_[a-f0-9]{8}$/;

export function siteLayout(deployRoot: string, site: string): SiteLayout {
  const siteDir = `${deployRoot}/${site}`;
  return Object.freeze({
    deployRoot,
    siteDir,
    releasesDir: `${siteDir}/releases`,
    stagingDir: `${siteDir}/.staging`,
    current: `${siteDir}/current`,
    manifest: `${siteDir}/manifest.json`,
    auditLog: `${siteDir}/audit.log`,
    rootAuditLog: `${deployRoot}/audit.log`,
    lockFile: `${siteDir}/.lock`,
    lockInfo: `${siteDir}/.lock.info`,
  });
}

export function releaseDir(layout: SiteLayout, releaseId: string): string {
  return `${layout.releasesDir}/${releaseId}`;
}

/**
 * Present while an operation is between `compose up` and switching `current`:
 * the containers may already run a release `current` does not name. Whoever
 * takes the lock next and finds it brings `current` back up (see restore-release).
 */
export const IN_FLIGHT_FILE = '.in-flight';

export function inFlightPath(layout: SiteLayout): string {
  return `${layout.siteDir}/${IN_FLIGHT_FILE}`;
}

/** `rel_<10-digit unix time>_<first 8 hex of the artifact hash>` */
export function makeReleaseId(unixSeconds: number, artifactHash: string): string {
  return `rel_${String(Math.floor(unixSeconds)).padStart(10, '0')}_${artifactHash.slice(0, 8)}`;
}

/** Files Berth itself writes into every release; user files may not take these names. */
export const RELEASE_FILES = Object.freeze({
  env: '.env',
  metadata: 'release.json',
  artifactHash: 'artifact_hash.txt',
  pinOverride: 'berth.pin.yml',
});
