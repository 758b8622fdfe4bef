// STUB — replaced by the reconcile part (helper D).
import type { Router } from '../../api/route.js';
import type { QuotasModule } from '../module.js';

export function reconcileRoutes(_r: Router, _svc: QuotasModule): void {}
