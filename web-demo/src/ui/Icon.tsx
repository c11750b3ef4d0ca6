/**
 * Inline stroke icons, drawn for this app: no icon font or CDN, since Muster
 * runs on networks that cannot reach one. Each is a function, so every use
 * renders its own elements.
 */
const PATHS = {
  mic: () => (
    <>
      <rect x="9" y="2.5" width="6" height="11.5" rx="3"/><path d="M5.5 10.5a6.5 6.5 0 0 0 13 0"/><path d="M12 17v4.5M8.5 21.5h7"/>
    </>
  ),
  micOff: () => (
    <>
      <path d="M15 9.5V5.5a3 3 0 0 0-5.6-1.5"/><path d="M9 9v2a3 3 0 0 0 5 2.2"/><path d="M5.5 10.5a6.5 6.5 0 0 0 10.9 4.8M18.5 10.5a6.5 6.5 0 0 1-.5 2.5"/><path d="M12 17v4.5M8.5 21.5h7"/><path d="M3 3l18 18"/>
    </>
  ),
  video: () => (
    <>
      <rect x="2.5" y="6" width="13" height="12" rx="2.5"/><path d="M15.5 10.5l6-3.5v10l-6-3.5z"/>
    </>
  ),
  videoOff: () => (
    <>
      <path d="M15.5 13.5V8.5a2.5 2.5 0 0 0-2.5-2.5H8.5M5 6a2.5 2.5 0 0 0-2.5 2.5v7A2.5 2.5 0 0 0 5 18h8a2.5 2.5 0 0 0 2.4-1.8"/><path d="M15.5 10.5l6-3.5v10l-4-2.3"/><path d="M3 3l18 18"/>
    </>
  ),
  screen: () => (
    <>
      <rect x="2.5" y="4" width="19" height="13" rx="2"/><path d="M8 21h8M12 17v4"/><path d="M12 13.5V7.5M9.2 10.2 12 7.4l2.8 2.8"/>
    </>
  ),
  screenOff: () => (
    <>
      <rect x="2.5" y="4" width="19" height="13" rx="2"/><path d="M8 21h8M12 17v4"/><path d="M9.5 8l5 5M14.5 8l-5 5"/>
    </>
  ),
  users: () => (
    <>
      <circle cx="9" cy="8" r="3.5"/><path d="M2.5 20a6.5 6.5 0 0 1 13 0"/><path d="M15.5 4.7a3.5 3.5 0 0 1 0 6.6M17.5 14.3A6.5 6.5 0 0 1 21.5 20"/>
    </>
  ),
  leave: () => (
    <>
      <path d="M3.2 14.6c-.5-.9-.3-2 .6-2.6C6.2 10.4 9 9.6 12 9.6s5.8.8 8.2 2.4c.9.6 1.1 1.7.6 2.6l-.9 1.5c-.4.7-1.3 1-2 .6l-2.3-1.1c-.6-.3-.9-.9-.8-1.5l.2-1.3a10.9 10.9 0 0 0-6 0l.2 1.3c.1.6-.2 1.2-.8 1.5l-2.3 1.1c-.7.4-1.6.1-2-.6z" fill="currentColor" stroke="none"/>
    </>
  ),
  fullscreen: () => (
    <>
      <path d="M3.5 8.5v-5h5M20.5 8.5v-5h-5M3.5 15.5v5h5M20.5 15.5v5h-5"/>
    </>
  ),
  fullscreenExit: () => (
    <>
      <path d="M8.5 3.5v5h-5M15.5 3.5v5h5M8.5 20.5v-5h-5M15.5 20.5v-5h5"/>
    </>
  ),
  grid: () => (
    <>
      <rect x="3.5" y="3.5" width="7" height="7" rx="1.5"/><rect x="13.5" y="3.5" width="7" height="7" rx="1.5"/><rect x="3.5" y="13.5" width="7" height="7" rx="1.5"/><rect x="13.5" y="13.5" width="7" height="7" rx="1.5"/>
    </>
  ),
  speaker: () => (
    <>
      <rect x="3" y="3.5" width="18" height="11.5" rx="1.5"/><rect x="3" y="17.5" width="5" height="3.5" rx="1"/><rect x="9.5" y="17.5" width="5" height="3.5" rx="1"/><rect x="16" y="17.5" width="5" height="3.5" rx="1"/>
    </>
  ),
  flip: () => (
    <>
      <path d="M4 7.5h3l1.8-2.5h6.4L17 7.5h3a1.5 1.5 0 0 1 1.5 1.5v9a1.5 1.5 0 0 1-1.5 1.5H4A1.5 1.5 0 0 1 2.5 18V9A1.5 1.5 0 0 1 4 7.5z"/><path d="M8.8 13.2a3.3 3.3 0 0 1 5.8-1.9M15.2 13.6a3.3 3.3 0 0 1-5.8 1.9"/><path d="M14.8 9.6v1.9h-1.9M9.2 17.4v-1.9h1.9"/>
    </>
  ),
  settings: () => (
    <>
      <path d="M4 6.5h9M17 6.5h3M4 12h3M11 12h9M4 17.5h11M19 17.5h1"/><circle cx="15" cy="6.5" r="2"/><circle cx="9" cy="12" r="2"/><circle cx="17" cy="17.5" r="2"/>
    </>
  ),
  copy: () => (
    <>
      <rect x="8.5" y="8.5" width="12" height="12" rx="2"/><path d="M15.5 8.5V5.5a2 2 0 0 0-2-2h-8a2 2 0 0 0-2 2v8a2 2 0 0 0 2 2h3"/>
    </>
  ),
  close: () => (
    <>
      <path d="M6 6l12 12M18 6L6 18"/>
    </>
  ),
  volume: () => (
    <>
      <path d="M11 5 6.5 9H3.5v6h3L11 19z"/><path d="M15.5 9a4.5 4.5 0 0 1 0 6M18.5 6a8.5 8.5 0 0 1 0 12"/>
    </>
  ),
  pin: () => (
    <>
      <path d="M9 3.5h6l-1 5 3.5 3.5h-11L10 8.5z"/><path d="M12 12v8.5"/>
    </>
  ),
  plus: () => (
    <>
      <path d="M12 5v14M5 12h14"/>
    </>
  ),
  arrow: () => (
    <>
      <path d="M5 12h14M13 6l6 6-6 6"/>
    </>
  ),
  alert: () => (
    <>
      <path d="M12 3.5 2.5 20h19z"/><path d="M12 10v4.5M12 17.3v.2"/>
    </>
  ),
  crown: () => (
    <>
      <path d="M3.5 8 7.5 12 12 5l4.5 7 4-4-2 10.5h-13z"/>
    </>
  ),
  hand: () => (
    <>
      <path d="M8 12.5V5.5a1.5 1.5 0 0 1 3 0v5.5M11 10.5V4a1.5 1.5 0 0 1 3 0v6.5M14 10.5V5.5a1.5 1.5 0 0 1 3 0V14a7 7 0 0 1-7 7h-.5a6 6 0 0 1-4.6-2.2L3.4 16.6a1.6 1.6 0 0 1 2.3-2.2L8 16.5"/>
    </>
  ),
  chat: () => (
    <>
      <path d="M4 5.5A2.5 2.5 0 0 1 6.5 3h11A2.5 2.5 0 0 1 20 5.5v8a2.5 2.5 0 0 1-2.5 2.5H10l-4.5 4v-4h0A1.5 1.5 0 0 1 4 14.5z"/><path d="M8 8.5h8M8 12h5"/>
    </>
  ),
  smile: () => (
    <>
      <circle cx="12" cy="12" r="9"/><path d="M8.5 14.5a4.5 4.5 0 0 0 7 0"/><path d="M9 9.5v.5M15 9.5v.5"/>
    </>
  ),
  more: () => (
    <>
      <circle cx="5.5" cy="12" r="1.2" fill="currentColor"/><circle cx="12" cy="12" r="1.2" fill="currentColor"/><circle cx="18.5" cy="12" r="1.2" fill="currentColor"/>
    </>
  ),
  calendar: () => (
    <>
      <rect x="3" y="5" width="18" height="16" rx="2.5"/><path d="M3 10h18M8 3v4M16 3v4"/>
    </>
  ),
  shield: () => (
    <>
      <path d="M12 2.8 4.5 6v5.5c0 4.6 3.2 8.4 7.5 9.7 4.3-1.3 7.5-5.1 7.5-9.7V6z"/><path d="m8.8 12 2.2 2.2 4.3-4.4"/>
    </>
  ),
  logout: () => (
    <>
      <path d="M14 4.5h3.5A2.5 2.5 0 0 1 20 7v10a2.5 2.5 0 0 1-2.5 2.5H14"/><path d="M10 16.5 5.5 12 10 7.5M5.5 12H15"/>
    </>
  ),
  edit: () => (
    <>
      <path d="M4 20h4L19 9a2.8 2.8 0 0 0-4-4L4 16z"/><path d="m13.5 6.5 4 4"/>
    </>
  ),
  trash: () => (
    <>
      <path d="M4 7h16M10 11v6M14 11v6M6 7l1 12.5A1.5 1.5 0 0 0 8.5 21h7a1.5 1.5 0 0 0 1.5-1.5L18 7M9 7V4.5A1.5 1.5 0 0 1 10.5 3h3A1.5 1.5 0 0 1 15 4.5V7"/>
    </>
  ),
  download: () => (
    <>
      <path d="M12 3.5v11M7.5 10 12 14.5 16.5 10"/><path d="M4 16.5V19a1.5 1.5 0 0 0 1.5 1.5h13A1.5 1.5 0 0 0 20 19v-2.5"/>
    </>
  ),
  search: () => (
    <>
      <circle cx="10.5" cy="10.5" r="6.5"/><path d="m15.5 15.5 5 5"/>
    </>
  ),
  device: () => (
    <>
      <rect x="2.5" y="4" width="15" height="11" rx="2"/><path d="M6 19h8M10 15v4"/><rect x="16.5" y="9" width="5" height="11" rx="1.5"/>
    </>
  ),
  chevronLeft: () => (
    <>
      <path d="M15 5l-7 7 7 7"/>
    </>
  ),
  chevronRight: () => (
    <>
      <path d="M9 5l7 7-7 7"/>
    </>
  ),
  userAdd: () => (
    <>
      <circle cx="9.5" cy="8" r="3.5"/><path d="M3 20a6.5 6.5 0 0 1 13 0"/><path d="M19 8v6M16 11h6"/>
    </>
  ),
  checkMark: () => (
    <>
      <path d="M5 12.5l4.5 4.5L19 7.5"/>
    </>
  ),
  ban: () => (
    <>
      <circle cx="12" cy="12" r="8.5"/><path d="M6 6l12 12"/>
    </>
  ),
  // Moments: an aperture.
  aperture: () => (
    <>
      <circle cx="12" cy="12" r="8.5"/><path d="M14.3 3.8 9.5 12.1M20.3 10.4h-9.6M17.1 18.7l-4.8-8.3M9.7 20.2l4.8-8.3M3.7 13.6h9.6M6.9 5.3l4.8 8.3"/>
    </>
  ),
  // Service accounts: a megaphone.
  megaphone: () => (
    <>
      <path d="M4 10v4a1 1 0 0 0 1 1h2l6 4V5L7 9H5a1 1 0 0 0-1 1z"/><path d="M16.5 9a4 4 0 0 1 0 6M8 15l1.5 4.5"/>
    </>
  ),
} as const;

export type IconName = keyof typeof PATHS;

/** An icon; `data-icon` names it (handy in tests and in the inspector). */
export function Icon({ name, class: className = 'icon' }: { name: IconName; class?: string }) {
  const paths = PATHS[name];
  return (
    <svg
      class={className}
      data-icon={name}
      viewBox="0 0 24 24"
      width="24"
      height="24"
      fill="none"
      stroke="currentColor"
      stroke-width="1.8"
      stroke-linecap="round"
      stroke-linejoin="round"
      aria-hidden="true"
      focusable="false"
    >
      {paths()}
    </svg>
  );
}
