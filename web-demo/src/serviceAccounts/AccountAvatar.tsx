import { useCachedImage } from '../chats/media/media.ts';
import { Avatar } from '../ui/Avatar.tsx';

/** A service account's avatar (its uploaded image's thumbnail), else its initial. */
export function AccountAvatar({ name, fileId, size = 'sm' }: { name: string; fileId: string | null; size?: 'sm' | 'md' | 'lg' }) {
  const { src } = useCachedImage(fileId, 'thumbnail');
  return <Avatar name={name} src={src} size={size} />;
}
