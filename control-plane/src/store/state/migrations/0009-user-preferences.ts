/**
 * User preferences (issue 7): the console language each user chose, so it follows them from one
 * browser to another. NULL means "not chosen": the console then follows the browser's languages.
 */
export const sql = `
ALTER TABLE users ADD COLUMN locale text CHECK (locale IS NULL OR locale IN ('en', 'zh-CN'));
`;
