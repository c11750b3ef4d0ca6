import { useEffect, useRef, useState } from 'preact/hooks';
import type { ImClient } from '@muster/im/client';
import type { UnfinishedUpload } from '@muster/files/client';
import { Icon } from '../../ui/Icon.tsx';
import { sendFiles, uploader } from './media.ts';
import { formatBytes, isSameFile } from './viewModel.ts';

/**
 * Uploads to this chat that an earlier page left unfinished (a reload, a
 * closed lid that ended the tab). A browser keeps no file across a reload,
 * so each asks for the file once more: the same file (name and size) goes
 * on from the bytes the server already has, then is sent as before.
 */
export function UnfinishedUploads({ client, conversationId, onProblem }: { client: ImClient; conversationId: string; onProblem: (message: string) => void }) {
  const [list, setList] = useState<UnfinishedUpload[]>([]);
  const picking = useRef<UnfinishedUpload | null>(null);
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => {
    let live = true;
    void uploader()
      .unfinished()
      .then((all) => live && setList(all.filter((u) => u.conversationId === conversationId)))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [conversationId]);

  if (list.length === 0) return null;
  const drop = (u: UnfinishedUpload) => setList((now) => now.filter((x) => x.key !== u.key));
  const picked = (file: File | undefined) => {
    const u = picking.current;
    picking.current = null;
    if (!file || !u) return;
    if (!isSameFile(file, u)) {
      onProblem(`That is not “${u.name}”: pick the same file to go on where it stopped.`);
      return;
    }
    drop(u);
    void sendFiles(client, conversationId, [file]).catch((e: Error) => onProblem(e.message));
  };

  return (
    <div class="unfinished-uploads" data-testid="unfinished-uploads" role="status">
      {list.map((u) => (
        <div class="unfinished-upload" key={u.key} data-testid="unfinished-upload" data-name={u.name}>
          <Icon name="alert" />
          <span class="unfinished-name">
            “{u.name}”{u.size !== null ? ` (${formatBytes(u.size)})` : ''} did not finish uploading.
          </span>
          <button
            class="btn"
            type="button"
            data-testid="unfinished-resume"
            onClick={() => {
              picking.current = u;
              input.current?.click();
            }}
          >
            Resume…
          </button>
          <button
            class="btn btn-ghost"
            type="button"
            data-testid="unfinished-discard"
            onClick={() => {
              drop(u);
              void uploader().discardUnfinished(u.key);
            }}
          >
            Discard
          </button>
        </div>
      ))}
      <input
        ref={input}
        type="file"
        hidden
        data-testid="unfinished-input"
        onChange={(e) => {
          const file = e.currentTarget.files?.[0];
          e.currentTarget.value = '';
          // A test sets the file without clicking Resume: the first unfinished upload is the one meant.
          picking.current ??= list[0] ?? null;
          picked(file);
        }}
      />
    </div>
  );
}
