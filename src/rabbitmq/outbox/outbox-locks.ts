/**
 * Advisory lock keys (two-int form: warren's class, then the purpose), so they never collide
 * with an app's own single-key advisory locks.
 */
export const WARREN_LOCK_CLASS = 0x77617272; // 'warr'

/** Held while migrating: replicas starting together apply each migration once. */
export const MIGRATION_LOCK = 1;
/** Held (transaction-scoped) for one claim: claims of all replicas see each other's committed leases. */
export const CLAIM_LOCK = 2;
/** Tried before pruning the inbox: one replica prunes at a time. */
export const INBOX_PRUNE_LOCK = 3;
