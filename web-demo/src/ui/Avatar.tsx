import { hueFor, initials } from '../lib/avatar.ts';

/**
 * A person's picture: their avatar image where they have one (a signed,
 * same-origin path: an <img> needs no token), else their initials on a
 * colour of their own.
 */
export function Avatar({ name, src, size = 'sm', testId }: { name: string; src?: string | null; size?: 'sm' | 'md' | 'lg'; testId?: string }) {
  const sizeClass = size === 'sm' ? ' avatar-sm' : size === 'md' ? ' avatar-md' : '';
  if (src) return <img class={`avatar-circle avatar-img${sizeClass}`} src={src} alt="" draggable={false} data-testid={testId} />;
  return (
    <span class={`avatar-circle${sizeClass}`} style={{ '--hue': String(hueFor(name || '?')) }} data-testid={testId}>
      {initials(name || '?')}
    </span>
  );
}
