import { lstatSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, normalize, relative, sep } from 'node:path';
import { ConfigurationError } from '../errors.js';

/** A file from the workspace and where it goes inside the release. */
export interface WorkspaceFile {
  readonly source: string;
  /** Release-relative, forward slashes, never `..`. */
  readonly releasePath: string;
  readonly mode: number;
}

const SAFE_SEGMENT = /^[A-Za-z0-9._@+=,-][A-Za-z0-9._@+=, -]*$/;

function insideWorkspace(workspace: string, path: string): boolean {
  const rel = relative(workspace, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

/**
 * Resolves a workspace path input: relative, inside the workspace even after
 * symlinks are followed, existing, and made of names that are safe to
 * recreate on the target.
 */
export function resolveWorkspacePath(
  input: string,
  value: string,
  workspace: string,
): { absolute: string; releasePath: string } {
  if (value.includes('\0') || isAbsolute(value) || value.startsWith('~')) {
    throw new ConfigurationError(input, `'${value}' must be a path relative to the workspace`);
  }
  const releasePath = normalize(value).split(sep).join('/');
  if (releasePath === '.' || releasePath.startsWith('../') || releasePath === '..') {
    throw new ConfigurationError(input, `'${value}' is outside the workspace`);
  }
  if (!releasePath.split('/').every((segment) => SAFE_SEGMENT.test(segment))) {
    throw new ConfigurationError(
      input,
      `'${value}' has a name with characters other than letters, digits, spaces and ._@+=,-`,
    );
  }
  const absolute = join(workspace, releasePath);
  let real: string;
  try {
    real = realpathSync(absolute);
  } catch {
    throw new ConfigurationError(
      input,
      `'${value}' does not exist in the workspace (${workspace})`,
    );
  }
  if (!insideWorkspace(realpathSync(workspace), real)) {
    throw new ConfigurationError(input, `'${value}' resolves outside the workspace`);
  }
  return { absolute, releasePath };
}

/** Files under a path input (a file, or every file of a directory tree). */
export function collectWorkspaceFiles(
  input: string,
  value: string,
  workspace: string,
): WorkspaceFile[] {
  const { absolute, releasePath } = resolveWorkspacePath(input, value, workspace);
  const stat = statSync(absolute);
  if (stat.isFile()) return [{ source: absolute, releasePath, mode: stat.mode & 0o755 }];
  if (!stat.isDirectory())
    throw new ConfigurationError(input, `'${value}' is not a file or directory`);
  const files: WorkspaceFile[] = [];
  // Real paths of the directories being walked: a symlink back into one of them is a cycle.
  const ancestors = new Set<string>();
  const walk = (dir: string, rel: string): void => {
    const real = realpathSync(dir);
    if (ancestors.has(real)) {
      throw new ConfigurationError(
        input,
        `'${rel}' is a symlink cycle (it leads back into itself)`,
      );
    }
    ancestors.add(real);
    for (const entry of readdirSync(dir).sort()) {
      const childAbs = join(dir, entry);
      const childRel = `${rel}/${entry}`;
      const info = lstatSync(childAbs);
      if (info.isSymbolicLink()) {
        // Followed only when the target stays inside the workspace.
        resolveWorkspacePath(input, childRel, workspace);
      }
      if (!SAFE_SEGMENT.test(entry)) {
        throw new ConfigurationError(input, `'${childRel}' has a name that is not safe to copy`);
      }
      const target = statSync(childAbs);
      if (target.isDirectory()) walk(childAbs, childRel);
      else if (target.isFile())
        files.push({ source: childAbs, releasePath: childRel, mode: target.mode & 0o755 });
    }
    ancestors.delete(real);
  };
  walk(absolute, releasePath);
  return files;
}
