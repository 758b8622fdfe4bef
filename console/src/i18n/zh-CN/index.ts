/**
 * The Simplified Chinese catalogue, one file per console area, merged here. Every key is a `msg()`
 * id in the code and every id has a key here (checked by `catalogue.test.ts`); the words follow
 * `docs/glossary.md`. Placeholders are written `${0}`, `${1}` … in the order of the source's
 * expressions, and may move.
 */
import { templates as charts } from './charts.js';
import { templates as common } from './common.js';
import { templates as admin } from './admin.js';
import { templates as agents } from './agents.js';
import { templates as components } from './components.js';
import { templates as devices } from './devices.js';
import { templates as errors } from './errors.js';
import { templates as flows } from './flows.js';
import { templates as login } from './login.js';
import { templates as network } from './network.js';
import { templates as overview } from './overview.js';
import { templates as security } from './security.js';
import { templates as quotas } from './quotas.js';

import { templates as linkDetail } from './link-detail.js';
import { templates as topology } from './topology.js';
import { templates as wall } from './wall.js';

export const templates = {
  ...common,
  ...charts,
  ...linkDetail,
  ...topology,
  ...admin,
  ...agents,
  ...components,
  ...devices,
  ...errors,
  ...flows,
  ...login,
  ...network,
  ...overview,
  ...security,
  ...quotas,
  ...wall,
};
