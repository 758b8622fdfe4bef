/**
 * Interfaces marked as internet egress (issue 9): flows leaving through one are `egress`, flows
 * arriving on one `ingress`. Set through the inventory API or file, audited like every other change.
 */
export const sql = `
ALTER TABLE interfaces ADD COLUMN internet_egress boolean NOT NULL DEFAULT false;
`;
