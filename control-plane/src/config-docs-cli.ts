#!/usr/bin/env node
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CONFIGURATION_DOC_PATH, renderConfigurationDoc } from './config-docs.js';

/**
 * Writes `docs/configuration.md` (`npm run docs:config`, after `npm run build`). With `--check` it
 * writes nothing and exits 1 when the file is out of date.
 */
const target = fileURLToPath(new URL(`../../${CONFIGURATION_DOC_PATH}`, import.meta.url));
const text = renderConfigurationDoc();

if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    // A missing file is out of date.
  }
  if (current !== text) {
    console.error(`${CONFIGURATION_DOC_PATH} is out of date; run: npm run build && npm run docs:config`);
    process.exit(1);
  }
  console.log(`${CONFIGURATION_DOC_PATH} is up to date`);
} else {
  writeFileSync(target, text);
  console.log(`wrote ${CONFIGURATION_DOC_PATH}`);
}
