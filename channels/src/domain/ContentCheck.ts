/**
 * A content check: whether a comment needs an editor's attention, and why.
 * The built-in one is a keyword list (KeywordContentCheck); an organisation
 * plugs its own review system with `Channels.useContentCheck`. A flagged
 * comment stays pending with its reasons (every comment is pending until an
 * editor approves it; the flag puts it first in their queue's filter).
 */
export interface ContentCheck {
  check(text: string): Promise<ContentVerdict>;
}

export interface ContentVerdict {
  flagged: boolean;
  /** Short, readable reasons for the editors ("keyword: …", "review system: spam"). */
  reasons: string[];
}

/** How long one check may take before the comment is flagged for want of an answer. */
export const CONTENT_CHECK_TIMEOUT_MS = 5_000;
