export { parseEventLine } from './parse.js';
export type { ParseOptions, ParseResult } from './parse.js';
export { parseSyslogHeader, SYSLOG_EXTRACTIONS } from './syslog.js';
export type { SyslogHeader } from './syslog.js';
export { CEF_TO_ECS, parseCefExtension } from './cef.js';
export { EVE_MAX_EXTRA_FIELDS } from './eve.js';
export {
  parseIsoTimestamp,
  severityFromCef,
  severityFromEve,
  severityFromSyslog,
  utf8Length,
} from './common.js';
export { AutoSplitter, LineSplitter, OctetCountingSplitter, createSplitter, frameText } from './framing.js';
export type { FrameSink, Framing, Splitter } from './framing.js';
