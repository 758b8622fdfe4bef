export { PrefixTrie, parseCidr } from './trie.js';
export { DetectSlicer, isProbe, sketchEstimate, type DetectSlice } from './slicer.js';
export { FlowDetector, type DetectorStats, type DetectorLimits } from './detector.js';
