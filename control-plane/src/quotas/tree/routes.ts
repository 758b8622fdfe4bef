// STUB — replaced by the quota tree part (helper B).
import type { Router } from '../../api/route.js';
import type { QuotasModule } from '../module.js';

export function treeRoutes(_r: Router, _svc: QuotasModule): void {}
