import { useEffect } from 'preact/hooks';
import { Link } from '../app/Link.tsx';
import { Brand } from '../ui/Brand.tsx';

export function NotFoundPage({ message = 'This page does not exist.' }: { message?: string }) {
  useEffect(() => {
    document.title = 'Not found · Muster';
  }, []);
  return (
    <div class="center-page">
      <header class="home-header">
        <Brand />
      </header>
      <main class="notice-card">
        <h1>Nothing here</h1>
        <p>{message}</p>
        <Link class="btn btn-primary" href="/">
          Go to the start page
        </Link>
      </main>
    </div>
  );
}
