// STUB — replaced by the utilisation review part (helper F).
import type { Router } from '../../api/route.js';
import type { QuotasModule } from '../module.js';

export function reviewRoutes(_r: Router, _svc: QuotasModule): void {}
