import { useState } from 'preact/hooks';
import type { ChatMessage } from '@muster/im/client';
import type { MomentView } from '@muster/moments/client';
import { ImageViewer } from '../chats/media/ImageViewer.tsx';
import { MediaContent } from '../chats/media/MediaBubble.tsx';
import { useCachedImage } from '../chats/media/media.ts';
import { gridColumns } from './viewModels.ts';

type PostFile = MomentView['files'][number];

/**
 * A post's file in the shape the chats' media components read (they use
 * only `key`, `type` and `file` of a message), so a post's pictures open in
 * the chats' viewer and its video plays in the chats' video bubble: one
 * copy of that code, not two.
 */
function asMedia(postId: string, file: PostFile, index: number): ChatMessage {
  return { key: `${postId}:${index}`, id: `${postId}:${index}`, type: file.kind === 'video' ? 'video' : 'image', file, mine: false } as unknown as ChatMessage;
}

function Thumb({ file, onOpen }: { file: PostFile; onOpen: () => void }) {
  const { src, error } = useCachedImage(file.expired ? null : file.id, file.thumbnail ? 'thumbnail' : 'original');
  return (
    <button type="button" class="moment-thumb" aria-label="Open the photo" data-testid="moment-image" data-file-id={file.id} onClick={onOpen}>
      {file.expired ? (
        <span class="moment-thumb-note">Expired</span>
      ) : src ? (
        <img src={src} alt="" draggable={false} data-testid="moment-image-thumb" />
      ) : (
        <span class="moment-thumb-note">{error ? 'Not loaded' : ''}</span>
      )}
    </button>
  );
}

/** Up to nine pictures in WeChat's grid (a tap opens the viewer), or one video that plays in the page (full screen from its button). */
export function PostMedia({ post }: { post: MomentView }) {
  const [viewing, setViewing] = useState<string | null>(null);
  if (post.files.length === 0) return null;
  const video = post.files.find((f) => f.kind === 'video');
  if (video) {
    return (
      <div class="moment-video" data-testid="moment-video">
        <MediaContent m={asMedia(post.id, video, 0)} onOpenImage={() => undefined} />
      </div>
    );
  }
  const items = post.files.map((f, i) => asMedia(post.id, f, i));
  return (
    <>
      <div class={`moment-grid cols-${gridColumns(post.files.length)}`} data-testid="moment-images" data-count={post.files.length}>
        {post.files.map((f, i) => (
          <Thumb key={f.id} file={f} onOpen={() => setViewing(items[i]!.key)} />
        ))}
      </div>
      {viewing && <ImageViewer items={items} startKey={viewing} onClose={() => setViewing(null)} />}
    </>
  );
}
