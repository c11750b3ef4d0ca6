import { useEffect, useRef, useState } from 'preact/hooks';
import { copyText } from '../lib/clipboard.ts';
import { Icon, type IconName } from './Icon.tsx';

/**
 * Copies a link and says "Copied" on the button for a moment. Where the
 * Clipboard API is missing (plain http), a prompt shows the link to copy.
 */
export function CopyButton(props: {
  /** What to copy; null copies nothing (the link is not available). */
  text: () => string | null;
  label: string;
  class: string;
  icon?: IconName;
  title?: string;
  testId?: string;
  hidden?: boolean;
  promptLabel?: string;
}) {
  const [copied, setCopied] = useState(false);
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);

  const copy = async () => {
    const text = props.text();
    if (text === null) return;
    const done = await copyText(text, props.promptLabel);
    setCopied(done);
    clearTimeout(timer.current);
    timer.current = setTimeout(() => setCopied(false), 1500);
  };
  const label = copied ? 'Copied' : props.label;
  return (
    <button class={props.class} type="button" title={props.title} data-testid={props.testId} hidden={props.hidden} onClick={() => void copy()}>
      {props.icon ? (
        <>
          <Icon name={props.icon} />
          <span>{label}</span>
        </>
      ) : (
        label
      )}
    </button>
  );
}
