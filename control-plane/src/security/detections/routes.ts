// STUB — replaced by the flow-detections part (helper F).
import type { Router } from '../../api/route.js';
import type { SecurityModule } from '../module.js';

export function detectionRoutes(_r: Router, _svc: SecurityModule): void {}
