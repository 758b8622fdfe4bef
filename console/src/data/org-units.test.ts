import { describe, expect, it } from 'vitest';
import { orgUnitOptions } from './org-units.js';
import type { OrgUnit } from './org-units.js';

const unit = (id: string, parentId: string | null, level: OrgUnit['level'], name: string): OrgUnit => ({
  id,
  parentId,
  level,
  name,
  code: id,
});

const indent = '\u00a0\u00a0\u00a0';

describe('orgUnitOptions', () => {
  it('lists each unit under its parent, indented by depth', () => {
    const options = orgUnitOptions([
      unit('sc-my', 'sc', 'city', '绵阳市'),
      unit('sc-cd-jj', 'sc-cd', 'county', '锦江区'),
      unit('sc', null, 'province', '四川省'),
      unit('sc-cd', 'sc', 'city', '成都市'),
    ]);
    expect(options.map((o) => [o.id, o.depth, o.label])).toEqual([
      ['sc', 0, '四川省'],
      ['sc-cd', 1, `${indent}成都市`],
      ['sc-cd-jj', 2, `${indent}${indent}锦江区`],
      ['sc-my', 1, `${indent}绵阳市`],
    ]);
  });

  it('starts at the units whose parent is outside the list, such as a city-scoped user’s city', () => {
    const options = orgUnitOptions([
      unit('sc-cd-jj', 'sc-cd', 'county', '锦江区'),
      unit('sc-cd', 'sc', 'city', '成都市'),
    ]);
    expect(options.map((o) => [o.id, o.depth])).toEqual([
      ['sc-cd', 0],
      ['sc-cd-jj', 1],
    ]);
  });
});
