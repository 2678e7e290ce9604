import './dirname-shim.js';
import { runLifecycleStep } from '../steps/lifecycle-step.js';

await runLifecycleStep();
