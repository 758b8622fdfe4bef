// STUB — replaced by the clouds part (helper A).
import type { Router } from '../../api/route.js';
import type { QuotasModule } from '../module.js';

export function cloudRoutes(_r: Router, _svc: QuotasModule): void {}
