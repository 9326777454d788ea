// The git layer for `--isolation worktree`: one worktree and branch per task, merged back in order.
export { GitError } from './git.js';
export { slug, taskBranch, worktreePath, worktreesDir, savedBranchPrefix, integrationMarkerPath } from './names.js';
export {
  topLevel,
  repositoryTop,
  currentBranch,
  headCommit,
  refExists,
  isAncestor,
  dirtyPaths,
  isDirty,
  ensureExcluded,
  mergeInProgress,
  unmergedPaths,
  isTracked,
  isValidBranchName,
  createBranchAtHead,
} from './repo.js';
export {
  createTaskWorktree,
  removeTaskWorktree,
  listTaskWorktrees,
  parseWorktreeList,
  type CreateOptions,
  type TaskWorktree,
  type TaskWorktreeInfo,
  type WorktreeCondition,
  type RemoveResult,
} from './worktrees.js';
export {
  commitTaskWork,
  integrate,
  mergeTipIntoTask,
  commitPaths,
  taskMessage,
  overwrittenPaths,
  type CommitResult,
  type IntegrationResult,
  type IntegrateOptions,
  type IntegrationMarker,
  type TipMergeResult,
} from './integrate.js';
export { stageResolvedConflicts } from './resolve.js';
export { recover, describeRecovery, type RecoverOptions, type RecoveryReport } from './recover.js';
export { cleanWorktrees, type CleanOptions, type CleanResult } from './clean.js';
