import { z } from 'zod';

/** What a held action does once approved. Payloads are plain JSON so an approval file stands alone. */
export const APPROVAL_ACTION_TYPES = ['send', 'merge', 'cleanup', 'open-pr'] as const;
export type ApprovalActionType = (typeof APPROVAL_ACTION_TYPES)[number];

export const ApprovalActionSchema = z.object({
  type: z.enum(APPROVAL_ACTION_TYPES),
  payload: z.record(z.unknown()),
});
export type ApprovalAction = z.infer<typeof ApprovalActionSchema>;

export const APPROVAL_STATUSES = ['pending', 'approved', 'rejected', 'expired'] as const;
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];

/**
 * One request for a human decision, stored as `<AO_HOME>/approvals/<id>.json`. This is also the
 * `ao approvals ls --json` machine contract, so fields are only ever added.
 */
export const ApprovalSchema = z
  .object({
    id: z.string(),
    project: z.string(),
    sessionId: z.string(),
    action: ApprovalActionSchema,
    /** Why ao wants to do it, for the human deciding. */
    reason: z.string(),
    /** The reaction that asked (`approved-and-green`, `ci-failed`…). */
    reaction: z.string(),
    /** The reaction's idempotency key: one approval per key, ever. */
    key: z.string(),
    status: z.enum(APPROVAL_STATUSES),
    createdAt: z.string(),
    expiresAt: z.string(),
    decidedAt: z.string().optional(),
    decidedBy: z.string().optional(),
    /** The reviewer's note on approve/reject; why ao withdrew it (see `supersededBy`). */
    message: z.string().optional(),
    /**
     * Set when ao withdrew the pending approval (status `expired`, `decidedBy: 'ao'`) because what it
     * asked about changed: the id of the approval that asks about the new state, or `merged` when
     * the PR was merged meanwhile (a new approving review, `ao pr merge`). No expiry notification is
     * sent for it.
     */
    supersededBy: z.string().optional(),
    /** Set once the approved action ran to an end (see `outcome`). */
    executedAt: z.string().optional(),
    /** `done`, or why it could not run (`failed: …`). */
    outcome: z.string().optional(),
  })
  .passthrough();
export type Approval = z.infer<typeof ApprovalSchema>;
