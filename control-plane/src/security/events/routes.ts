// STUB — replaced by the events part (helper C).
import type { Router } from '../../api/route.js';
import type { SecurityModule } from '../module.js';

export function eventRoutes(_r: Router, _svc: SecurityModule): void {}
