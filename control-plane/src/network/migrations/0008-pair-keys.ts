/**
 * Pair ids are unique per served org unit (core migration 5), so pair states and pair alarms are
 * keyed `<orgUnitId>/<pairId>` from now on (before, each pair id had exactly one org unit, so the
 * keys carry over); a pair alarm's fingerprint is recomputed as `fingerprintOf` does it.
 */
export const sql = `
UPDATE pair_state p SET pair_id = l.org_unit_id || '/' || p.pair_id
  FROM (SELECT DISTINCT org_unit_id, pair_id FROM links WHERE pair_id IS NOT NULL) l
  WHERE l.pair_id = p.pair_id;

UPDATE alarms SET
  target_id = org_unit_id || '/' || target_id,
  fingerprint = encode(sha256(convert_to(
    '["' || kind || '","pair","' || org_unit_id || '/' || target_id || '"]', 'UTF8')), 'hex')
  WHERE target_type = 'pair' AND position('/' in target_id) = 0;
`;
