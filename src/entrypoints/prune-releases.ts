import './dirname-shim.js';
import { runPruneReleasesStep } from '../steps/prune-releases-step.js';

await runPruneReleasesStep();
