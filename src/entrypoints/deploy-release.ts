import './dirname-shim.js';
import { runDeployReleaseStep } from '../steps/deploy-release-step.js';

await runDeployReleaseStep();
