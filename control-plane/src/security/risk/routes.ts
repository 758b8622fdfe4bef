// STUB — replaced by the risk part (helper G).
import type { Router } from '../../api/route.js';
import type { SecurityModule } from '../module.js';

export function riskRoutes(_r: Router, _svc: SecurityModule): void {}
