import { useEffect } from 'preact/hooks';
import { Link } from '../app/Link.tsx';
import { meetingPath, navigate } from '../app/router.ts';
import { JoinByCode } from '../ui/JoinByCode.tsx';
import { Icon } from '../ui/Icon.tsx';
import { generateRoomCode } from '../lib/roomCode.ts';
import { Brand } from '../ui/Brand.tsx';

/** `/` signed out: start a meeting, or join one by code or pasted link; or sign in. (Signed in, `/` is the shell's Meetings tab.) */
export function HomePage() {
  useEffect(() => {
    document.title = 'Muster';
  }, []);

  return (
    <div class="home">
      <header class="home-header">
        <Brand />
        <nav class="home-account">
          <Link class="btn btn-ghost" href="/login" data-testid="home-sign-in">
            Sign in
          </Link>
        </nav>
      </header>
      <main class="home-main">
        <section class="home-hero">
          <h1>Meetings that stay on your network.</h1>
          <p class="lead">Start a video meeting and share the link: joining needs no account and no install, and nothing leaves your servers. Sign in to keep your meetings and host them from any device.</p>
          <div class="home-actions">
            <button class="btn btn-primary btn-lg" type="button" data-testid="home-create" onClick={() => navigate(meetingPath(generateRoomCode()))}>
              <Icon name="plus" />
              <span>New meeting</span>
            </button>
            <span class="or">or</span>
            <JoinByCode
              placeholder="Enter a code or link"
              invalid="That is not a meeting code. Codes use letters, digits and dashes, like “bamo-kite-ruso”."
              inputTestId="home-code-input"
              submitTestId="home-join"
              autoFocus
            />
          </div>
        </section>
        <section class="home-art" aria-hidden="true">
          <div class="art-tile art-a">
            <span>AL</span>
          </div>
          <div class="art-tile art-b">
            <span>GH</span>
          </div>
          <div class="art-tile art-c">
            <span>KJ</span>
          </div>
          <div class="art-tile art-d">
            <span>MT</span>
          </div>
        </section>
      </main>
    </div>
  );
}
