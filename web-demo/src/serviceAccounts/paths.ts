/**
 * Service accounts' addresses (pure, so they are tested without a browser):
 * they live in the Chats tab (its "Service accounts" entry). app/routes.ts
 * hands every path here first; articles have their own `/articles/…`
 * addresses (so a shared link needs no account id).
 */
export type ServiceAccountsRoute =
  | { name: 'serviceAccounts' }
  | { name: 'serviceAccountsDirectory' }
  | { name: 'serviceAccountsNotices' }
  | { name: 'serviceAccount'; serviceAccountId: string }
  | { name: 'serviceAccountNewArticle'; serviceAccountId: string }
  | { name: 'serviceAccountModeration'; serviceAccountId: string }
  | { name: 'article'; articleId: string }
  | { name: 'articleEdit'; articleId: string }
  | { name: 'articleVersions'; articleId: string };

export const SERVICE_ACCOUNTS_ROUTE_NAMES: readonly ServiceAccountsRoute['name'][] = [
  'serviceAccounts',
  'serviceAccountsDirectory',
  'serviceAccountsNotices',
  'serviceAccount',
  'serviceAccountNewArticle',
  'serviceAccountModeration',
  'article',
  'articleEdit',
  'articleVersions',
];

// The server's ids (channels/src/protocol.ts): a prefix, then 16–40 URL-safe characters.
const ACCOUNT_ID = /^sa[A-Za-z0-9_-]{16,40}$/;
const ARTICLE_ID = /^ar[A-Za-z0-9_-]{16,40}$/;

const FIXED: Record<string, ServiceAccountsRoute> = {
  '/service-accounts': { name: 'serviceAccounts' },
  '/service-accounts/directory': { name: 'serviceAccountsDirectory' },
  '/service-accounts/notices': { name: 'serviceAccountsNotices' },
};

/** The route for a path (no trailing slash), or null when it is not a service accounts' one. */
export function parseServiceAccountsPath(path: string): ServiceAccountsRoute | null {
  const fixed = FIXED[path];
  if (fixed) return { ...fixed };
  const account = /^\/service-accounts\/([^/]+)(?:\/(new|moderation))?$/.exec(path);
  if (account && ACCOUNT_ID.test(account[1]!)) {
    const serviceAccountId = account[1]!;
    if (account[2] === 'new') return { name: 'serviceAccountNewArticle', serviceAccountId };
    if (account[2] === 'moderation') return { name: 'serviceAccountModeration', serviceAccountId };
    return { name: 'serviceAccount', serviceAccountId };
  }
  const article = /^\/articles\/([^/]+)(?:\/(edit|versions))?$/.exec(path);
  if (article && ARTICLE_ID.test(article[1]!)) {
    const articleId = article[1]!;
    if (article[2] === 'edit') return { name: 'articleEdit', articleId };
    if (article[2] === 'versions') return { name: 'articleVersions', articleId };
    return { name: 'article', articleId };
  }
  return null;
}

export function isServiceAccountsRoute(route: { name: string }): route is ServiceAccountsRoute {
  return (SERVICE_ACCOUNTS_ROUTE_NAMES as readonly string[]).includes(route.name);
}

export const SERVICE_ACCOUNTS_PATH = '/service-accounts';
export const DIRECTORY_PATH = '/service-accounts/directory';
export const NOTICES_PATH = '/service-accounts/notices';
export const accountPath = (id: string): string => `/service-accounts/${encodeURIComponent(id)}`;
export const newArticlePath = (id: string): string => `${accountPath(id)}/new`;
export const moderationPath = (id: string): string => `${accountPath(id)}/moderation`;
export const articlePath = (id: string): string => `/articles/${encodeURIComponent(id)}`;
export const editArticlePath = (id: string): string => `${articlePath(id)}/edit`;
export const versionsPath = (id: string): string => `${articlePath(id)}/versions`;
