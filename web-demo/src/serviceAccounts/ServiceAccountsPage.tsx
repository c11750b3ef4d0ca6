import { AccountPage } from './AccountPage.tsx';
import { ArticleEditor } from './ArticleEditor.tsx';
import { ArticleReader } from './ArticleReader.tsx';
import { ArticleVersions } from './ArticleVersions.tsx';
import { Directory } from './Directory.tsx';
import { Moderation } from './Moderation.tsx';
import { Notices } from './Notices.tsx';
import type { ServiceAccountsRoute } from './paths.ts';
import { channelsClient } from './state.ts';
import { SubscribedList } from './SubscribedList.tsx';
import './serviceAccounts.css';

/** Service accounts (in the Chats tab): my subscriptions, the directory, an account, the reader, the editor, moderation, notices. */
export function ServiceAccountsPage({ route }: { route: ServiceAccountsRoute }) {
  // The SDK comes up with the sign-in; a frame without it draws nothing rather than fail.
  if (!channelsClient.value) return <section class="sa-page" data-testid="service-accounts" data-route={route.name} />;
  return (
    <section class="sa-page" data-testid="service-accounts" data-route={route.name}>
      {page(route)}
    </section>
  );
}

function page(route: ServiceAccountsRoute) {
  switch (route.name) {
    case 'serviceAccounts':
      return <SubscribedList />;
    case 'serviceAccountsDirectory':
      return <Directory />;
    case 'serviceAccountsNotices':
      return <Notices />;
    case 'serviceAccount':
      return <AccountPage key={route.serviceAccountId} serviceAccountId={route.serviceAccountId} />;
    case 'serviceAccountNewArticle':
      return <ArticleEditor key={`new-${route.serviceAccountId}`} serviceAccountId={route.serviceAccountId} />;
    case 'serviceAccountModeration':
      return <Moderation key={route.serviceAccountId} serviceAccountId={route.serviceAccountId} />;
    case 'article':
      return <ArticleReader key={route.articleId} articleId={route.articleId} />;
    case 'articleEdit':
      return <ArticleEditor key={`edit-${route.articleId}`} articleId={route.articleId} />;
    case 'articleVersions':
      return <ArticleVersions key={route.articleId} articleId={route.articleId} />;
  }
}
