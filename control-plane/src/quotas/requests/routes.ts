// STUB — replaced by the requests part (helper C).
import type { Router } from '../../api/route.js';
import type { QuotasModule } from '../module.js';

export function requestRoutes(_r: Router, _svc: QuotasModule): void {}
