export * from './agent.js';
export * from './report.js';
export * from './network.js';
export * from './errors.js';
export * from './paths.js';
export * from './text.js';
