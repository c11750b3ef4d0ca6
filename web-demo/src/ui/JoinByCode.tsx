import { useEffect, useRef, useState } from 'preact/hooks';
import { meetingPath, navigate } from '../app/router.ts';
import { parseRoomInput } from '../lib/roomCode.ts';

/**
 * "Join by code or link": the start page's and the Meetings tab's form. A
 * code or a pasted meeting link opens that meeting; anything else says why.
 */
export function JoinByCode(props: {
  placeholder: string;
  /** The message for input that is neither a code nor a meeting link. */
  invalid: string;
  inputTestId: string;
  submitTestId: string;
  /** Focus the field on arrival (desktop only: on a phone it would pop the keyboard over the page). */
  autoFocus?: boolean;
}) {
  const [code, setCode] = useState('');
  const [error, setError] = useState('');
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (props.autoFocus && matchMedia('(pointer: fine)').matches) input.current?.focus();
  }, []);

  return (
    <form
      class="join-form"
      onSubmit={(event) => {
        event.preventDefault();
        const room = parseRoomInput(code);
        if (!room) return setError(props.invalid);
        navigate(meetingPath(room));
      }}
    >
      <div class="join-row">
        <input
          ref={input}
          class="input"
          type="text"
          name="code"
          placeholder={props.placeholder}
          autocomplete="off"
          autocapitalize="off"
          spellcheck={false}
          aria-label="Meeting code or link"
          data-testid={props.inputTestId}
          value={code}
          onInput={(event) => {
            setCode(event.currentTarget.value);
            setError('');
          }}
        />
        <button class="btn btn-ghost" type="submit" disabled={!code.trim()} data-testid={props.submitTestId}>
          Join
        </button>
      </div>
      <p class="form-error" role="alert">
        {error}
      </p>
    </form>
  );
}
