import { useEffect, useRef, useState } from 'preact/hooks';
import type { Upload, UploadSnapshot } from '@muster/files/client';
import { MAX_LOCATION_CHARS, MAX_POST_CHARS, MAX_POST_IMAGES, VISIBILITIES, draftProblem, mediaKindOf, pickMedia, pickRefusalText, type MediaKind, type Visibility } from '@muster/moments/client';
import { Link } from '../app/Link.tsx';
import { navigate } from '../app/router.ts';
import { uploader } from '../chats/media/media.ts';
import { keep } from '../lib/mediaCache.ts';
import { Icon } from '../ui/Icon.tsx';
import { feedPath } from './paths.ts';
import { errorText, everyFeed, moments } from './state.ts';
import { VISIBILITY_LABELS, visibilityHint } from './viewModels.ts';

interface Picked {
  file: File;
  kind: MediaKind;
  /** The device's own copy, shown while it is picked and uploads. */
  preview: string;
}

/**
 * A new post, on its own screen: text, up to nine photos or one video from
 * the device (uploaded as the chats upload, tus through the files client,
 * resumable), where, and who sees it. The uploads start when Post is
 * pressed and the post is made once every file is on the server.
 */
export function Composer() {
  const [text, setText] = useState('');
  const [location, setLocation] = useState('');
  const [visibility, setVisibility] = useState<Visibility>('friends');
  const [picked, setPicked] = useState<Picked[]>([]);
  const [error, setError] = useState('');
  const [posting, setPosting] = useState(false);
  const [progress, setProgress] = useState<{ sent: number; total: number } | null>(null);
  const uploads = useRef<Upload[]>([]);
  const previews = useRef(new Set<string>());

  // The previews go with the screen; an upload not yet made into a post is dropped.
  useEffect(
    () => () => {
      for (const url of previews.current) URL.revokeObjectURL(url);
      for (const u of uploads.current) if (u.snapshot.state !== 'done') u.cancel();
    },
    [],
  );

  const add = (files: FileList | null) => {
    if (!files || files.length === 0) return;
    const list = [...files];
    const kinds = list.map(mediaKindOf);
    const { accepted, refused } = pickMedia(
      picked.map((p) => p.kind),
      kinds,
    );
    setError(refused ? pickRefusalText(refused) : '');
    const more = accepted.map((i) => {
      const preview = URL.createObjectURL(list[i]!);
      previews.current.add(preview);
      return { file: list[i]!, kind: kinds[i]!, preview };
    });
    setPicked((p) => [...p, ...more]);
  };

  const drop = (i: number) => {
    setPicked((p) => {
      const gone = p[i];
      if (gone) {
        URL.revokeObjectURL(gone.preview);
        previews.current.delete(gone.preview);
      }
      return p.filter((_, j) => j !== i);
    });
  };

  const problem = draftProblem({ text, location, media: picked.map((p) => p.kind), visibility });

  const post = async (e: Event) => {
    e.preventDefault();
    if (problem) return setError(problem);
    if (posting) return;
    setPosting(true);
    setError('');
    try {
      const u = uploader();
      const started = picked.map((p) => u.start(p.file, { ...(p.file.type ? { type: p.file.type } : {}) }));
      uploads.current = started;
      const total = picked.reduce((n, p) => n + p.file.size, 0);
      const sent = new Map<string, number>();
      const stops = started.map((up) =>
        up.on('change', (s: UploadSnapshot) => {
          sent.set(s.id, s.bytesSent);
          setProgress({ sent: [...sent.values()].reduce((a, b) => a + b, 0), total });
        }),
      );
      if (started.length > 0) setProgress({ sent: 0, total });
      let fileIds: string[];
      try {
        fileIds = await Promise.all(started.map((up) => up.done));
      } finally {
        stops.forEach((stop) => stop());
      }
      // My own pictures and video are in the media cache under their ids: the feed shows them without a download.
      fileIds.forEach((id, i) => void keep(id, picked[i]!.file).catch(() => undefined));
      const trimmed = text.trim();
      const where = location.trim();
      await moments().api.create({ visibility, ...(trimmed ? { text: trimmed } : {}), ...(fileIds.length ? { fileIds } : {}), ...(where ? { location: where } : {}) });
      for (const feed of everyFeed()) void feed.refresh();
      navigate(feedPath(visibility === 'private' ? 'mine' : 'all'));
    } catch (err) {
      setError(errorText(err));
      setPosting(false);
      setProgress(null);
    }
  };

  return (
    <form class="moments-composer" data-testid="moments-composer" onSubmit={(e) => void post(e)}>
      <header class="moments-composer-head">
        <Link class="btn btn-ghost btn-small" href={feedPath()} data-testid="composer-cancel">
          Cancel
        </Link>
        <h1>New post</h1>
        <button type="submit" class="btn btn-primary btn-small" disabled={posting || problem !== null} data-testid="composer-post">
          {posting ? 'Posting…' : 'Post'}
        </button>
      </header>
      <textarea class="input moments-composer-text" rows={5} maxLength={MAX_POST_CHARS * 2} placeholder="What is new?" value={text} data-testid="composer-text" onInput={(e) => setText(e.currentTarget.value)} />
      <div class="moment-grid cols-3 moments-composer-media" data-testid="composer-media">
        {picked.map((p, i) => (
          <div class="moment-thumb" key={p.preview} data-testid="composer-item" data-kind={p.kind}>
            {p.kind === 'video' ? <video src={p.preview} muted playsInline preload="metadata" /> : <img src={p.preview} alt="" draggable={false} />}
            <button type="button" class="composer-remove" aria-label="Remove" data-testid="composer-remove" disabled={posting} onClick={() => drop(i)}>
              <Icon name="close" />
            </button>
          </div>
        ))}
        {!picked.some((p) => p.kind === 'video') && picked.length < MAX_POST_IMAGES && (
          <label class="moment-thumb composer-add" aria-label="Add photos or a video">
            <Icon name="plus" />
            <input type="file" accept="image/*,video/*" multiple class="visually-hidden" data-testid="composer-files" disabled={posting} onChange={(e) => (add(e.currentTarget.files), (e.currentTarget.value = ''))} />
          </label>
        )}
      </div>
      <label class="moments-composer-field">
        <span>Location</span>
        <input class="input" maxLength={MAX_LOCATION_CHARS} placeholder="Where (optional)" value={location} data-testid="composer-location" onInput={(e) => setLocation(e.currentTarget.value)} />
      </label>
      <fieldset class="moments-composer-field moments-visibility" data-testid="composer-visibility">
        <legend>Who sees it</legend>
        {VISIBILITIES.map((v) => (
          <label key={v} class={`moments-visibility-choice${v === visibility ? ' active' : ''}`} title={visibilityHint(v)}>
            <input type="radio" name="visibility" value={v} checked={v === visibility} data-testid={`composer-visibility-${v}`} onChange={() => setVisibility(v)} />
            {VISIBILITY_LABELS[v]}
          </label>
        ))}
      </fieldset>
      {progress && (
        <progress class="moments-composer-progress" max={progress.total || 1} value={progress.sent} data-testid="composer-progress" />
      )}
      <p class="form-error" role="alert" data-testid="composer-error">
        {error}
      </p>
    </form>
  );
}
