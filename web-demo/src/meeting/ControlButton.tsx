import type { ComponentChildren } from 'preact';
import { Icon, type IconName } from '../ui/Icon.tsx';

/**
 * A round button of the control bar (`ctl`) or a square one of the top bar
 * (`icon-btn`): icon, label (also its tooltip), pressed state; `off` paints
 * it as a warning (muted mic, camera off).
 */
export function ControlButton(props: {
  testId: string;
  icon: IconName;
  label: string;
  pressed?: boolean;
  off?: boolean;
  active?: boolean;
  expanded?: boolean;
  hidden?: boolean;
  disabled?: boolean;
  /** `ctl` (control bar) or `icon-btn` (top bar). */
  variant?: 'ctl' | 'icon-btn';
  extra?: string;
  onClick(event: MouseEvent & { currentTarget: HTMLButtonElement }): void;
  children?: ComponentChildren;
}) {
  const classes: string[] = [props.variant ?? 'ctl'];
  if (props.extra) classes.push(props.extra);
  if (props.active) classes.push('active');
  if (props.off) classes.push('off');
  return (
    <button
      class={classes.join(' ')}
      type="button"
      data-testid={props.testId}
      aria-label={props.label}
      title={props.label}
      aria-pressed={props.pressed}
      aria-expanded={props.expanded}
      hidden={props.hidden}
      disabled={props.disabled}
      onClick={props.onClick}
    >
      <Icon name={props.icon} />
      {props.children}
    </button>
  );
}
