// STUB — replaced by the rules part (helper B).
import type { Router } from '../../api/route.js';
import type { SecurityModule } from '../module.js';

export function ruleRoutes(_r: Router, _svc: SecurityModule): void {}
