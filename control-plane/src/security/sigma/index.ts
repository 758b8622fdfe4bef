export {
  compileSigma,
  severityOf,
  attackIds,
  type CompiledRule,
  type RuleInfo,
  type RuleStatus,
  type SigmaLevel,
} from './compile.js';
export { SigmaEngine, type EngineRule, type HitRecorder, type LoadedRule } from './engine.js';
export { engineForDirs, listRuleFiles, loadRuleDir } from './files.js';
export { bindLogsource, ECS_FIELDS } from './logsource.js';
