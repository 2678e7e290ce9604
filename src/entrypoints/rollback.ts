import './dirname-shim.js';
import { runRollbackStep } from '../steps/rollback-step.js';

await runRollbackStep();
