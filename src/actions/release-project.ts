import type { ComposeProject, ComposeTool } from '../commands/compose.js';
import { RELEASE_FILES } from '../commands/site-layout.js';

/** The compose project of one release directory, from its recorded layout. */
export function releaseProject(
  tool: ComposeTool,
  projectName: string,
  releaseDirectory: string,
  composeFiles: readonly string[],
  projectDirectory: string,
  withPinOverride = true,
): ComposeProject {
  return {
    tool,
    projectName,
    projectDirectory:
      projectDirectory === '.' ? releaseDirectory : `${releaseDirectory}/${projectDirectory}`,
    envFile: `${releaseDirectory}/${RELEASE_FILES.env}`,
    files: [
      ...composeFiles.map((file) => `${releaseDirectory}/${file}`),
      ...(withPinOverride ? [`${releaseDirectory}/${RELEASE_FILES.pinOverride}`] : []),
    ],
  };
}

/** Compose's own default: the directory of the first compose file. */
export function projectDirectoryOf(composeFiles: readonly string[]): string {
  const first = composeFiles[0] ?? '';
  const slash = first.lastIndexOf('/');
  return slash === -1 ? '.' : first.slice(0, slash);
}
