import type { ComponentChildren } from 'preact';
import { useEffect } from 'preact/hooks';
import { Brand } from '../ui/Brand.tsx';
import './account.css';

/** The signed-out pages (log in, sign up, reset, guest and admin links): one card on the start page's background. */
export function AuthLayout(props: { title: string; testId: string; children: ComponentChildren; wide?: boolean }) {
  useEffect(() => {
    document.title = `${props.title} · Muster`;
  }, [props.title]);
  return (
    <div class="center-page" data-testid={props.testId}>
      <header class="home-header">
        <Brand />
      </header>
      <main class={`auth-card${props.wide ? ' auth-card-wide' : ''}`}>
        <h1>{props.title}</h1>
        {props.children}
      </main>
    </div>
  );
}

/** A labelled input of the account forms. */
export function Field(props: {
  label: string;
  testId: string;
  value: string;
  onInput(value: string): void;
  type?: 'text' | 'password' | 'tel';
  autocomplete?: string;
  inputMode?: 'numeric' | 'tel' | 'text';
  placeholder?: string;
  maxLength?: number;
  disabled?: boolean;
  hint?: string;
  children?: ComponentChildren;
}) {
  return (
    <label class="field">
      <span class="field-label">{props.label}</span>
      <span class="field-row">
        <input
          class="input"
          // Preact types `type` per kind of input (a password field has no `role`); the union is fine here.
          type={(props.type ?? 'text') as 'text'}
          autocomplete={props.autocomplete}
          inputMode={props.inputMode}
          placeholder={props.placeholder}
          maxLength={props.maxLength}
          disabled={props.disabled}
          data-testid={props.testId}
          value={props.value}
          onInput={(event) => props.onInput(event.currentTarget.value)}
        />
        {props.children}
      </span>
      {props.hint && <span class="field-hint">{props.hint}</span>}
    </label>
  );
}
