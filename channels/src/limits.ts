/**
 * The limits of service accounts, apart from the zod schemas that enforce
 * them (protocol.ts): the browser's console and editor check the same
 * numbers before sending, and importing the schemas there would build them
 * (zod probes for eval at import, which the page's CSP refuses).
 */
/** A service account's name: 1–30 characters (WeChat's official accounts: up to 30). */
export const MAX_NAME_CHARS = 30;
/** Its description ("功能介绍"): up to 120 characters. */
export const MAX_DESCRIPTION_CHARS = 120;
/** Editors of one account. */
export const MAX_EDITORS = 50;
/** The daily cap: never below 10 (the customer's minimum), 10 by default, at most 1000. */
export const MIN_DAILY_CAP = 10;
export const DEFAULT_DAILY_CAP = 10;
export const MAX_DAILY_CAP = 1000;
/** The cap counts the articles published in any 24 hours (deleted ones too: deleting does not give a publish back). */
export const DAILY_CAP_WINDOW_MS = 24 * 3600_000;
/** An article's title: 1–64 characters (as WeChat). */
export const MAX_TITLE_CHARS = 64;
/** A comment, and an editor's reply: 1–600 characters (as WeChat). */
export const MAX_COMMENT_CHARS = 600;
/** A page of articles, comments or notices: at most this many. */
export const MAX_PAGE = 50;
export const DEFAULT_PAGE = 20;
/** Keywords the built-in content check holds (the console's list). */
export const MAX_KEYWORDS = 1000;
export const MAX_KEYWORD_CHARS = 40;
