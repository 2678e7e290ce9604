import './dirname-shim.js';
import { runHealthGateStep } from '../steps/health-gate-step.js';

await runHealthGateStep();
