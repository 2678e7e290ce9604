import './dirname-shim.js';
import { runBerthStep } from '../steps/berth-step.js';

await runBerthStep();
