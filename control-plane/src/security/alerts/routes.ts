// STUB — replaced by the alerts and incidents part (helper D).
import type { Router } from '../../api/route.js';
import type { SecurityModule } from '../module.js';

export function alertRoutes(_r: Router, _svc: SecurityModule): void {}
