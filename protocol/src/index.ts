export * from './agent.js';
export * from './report.js';
export * from './network.js';
export * from './flows.js';
export * from './columns.js';
export * from './errors.js';
export * from './paths.js';
export * from './text.js';
