/**
 * The Simplified Chinese catalogue, one file per console area, merged here. Every key is a `msg()`
 * id in the code and every id has a key here (checked by `catalogue.test.ts`); the words follow
 * `docs/glossary.md`. Placeholders are written `${0}`, `${1}` … in the order of the source's
 * expressions, and may move.
 */
import { templates as common } from './common.js';
import { templates as errors } from './errors.js';
import { templates as wall } from './wall.js';

export const templates = {
  ...common,
  ...errors,
  ...wall,
};
