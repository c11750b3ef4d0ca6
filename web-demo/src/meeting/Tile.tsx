import { createContext, type ComponentChildren, type RefObject } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { hueFor, initials } from '../lib/avatar.ts';
import { Icon } from '../ui/Icon.tsx';
import { shouldContain } from './grid.ts';
import type { TileModel } from './tiles.ts';

/** The tile's <video>, for what its children draw over the picture (the annotation layer). */
export const TileVideo = createContext<RefObject<HTMLVideoElement | null> | null>(null);

export interface TileProps {
  tile: TileModel;
  pinned: boolean;
  isMain: boolean;
  /** In the filmstrip: a tap on the tile brings it to the main screen. */
  inStrip: boolean;
  onPin(key: string): void;
  onMenu(key: string, anchor: HTMLElement): void;
  /** The annotation layer, on the shared screen being annotated. */
  children?: ComponentChildren;
}

/**
 * One video tile: a participant's camera, or someone's screen share. Camera
 * tiles carry the participant hooks (`data-participant-id`…); screen tiles
 * carry their own, so `[data-participant-id=…]` finds exactly one tile per
 * person. The <video> is muted: sound goes through the separate <audio>
 * elements (meeting/RemoteAudio.tsx), which also lets the browser autoplay it.
 */
export function Tile({ tile, pinned, isMain, inStrip, onPin, onMenu, children }: TileProps) {
  const el = useRef<HTMLDivElement>(null);
  const video = useRef<HTMLVideoElement>(null);
  const [contain, setContain] = useState(tile.kind === 'screen');
  const screen = tile.kind === 'screen';

  // The source changes only when the track really does: a new MediaStream restarts the picture.
  useLayoutEffect(() => {
    const v = video.current!;
    v.srcObject = tile.videoTrack ? new MediaStream([tile.videoTrack]) : null;
    if (tile.videoTrack) void v.play().catch(() => undefined);
  }, [tile.videoTrack]);

  useEffect(() => {
    const v = video.current!;
    const tileEl = el.current!;
    // Cover (crop) unless that would cut away two thirds of the picture, as
    // with a phone's portrait video in a landscape tile: then show it whole.
    const fit = () => setContain(shouldContain(tile.kind, { width: v.videoWidth, height: v.videoHeight }, { width: tileEl.clientWidth, height: tileEl.clientHeight }));
    const resize = new ResizeObserver(fit);
    resize.observe(tileEl);
    // A video that paused (e.g. after an autoplay refusal) starts again.
    const onPause = () => {
      if (v.srcObject && v.isConnected) void v.play().catch(() => undefined);
    };
    v.addEventListener('resize', fit);
    v.addEventListener('pause', onPause);
    return () => {
      resize.disconnect();
      v.removeEventListener('resize', fit);
      v.removeEventListener('pause', onPause);
      v.srcObject = null;
    };
  }, []);

  const classes = ['tile', `tile-${tile.kind}`];
  if (tile.speaking) classes.push('speaking');
  if (!tile.videoOn) classes.push('video-off');
  if (pinned) classes.push('pinned');
  if (isMain) classes.push('is-main');
  if (contain) classes.push('fit-contain');
  const flag = (on: boolean) => (on ? 'true' : undefined);

  return (
    <div
      ref={el}
      class={classes.join(' ')}
      data-source={tile.kind}
      data-testid={screen ? 'screen-tile' : 'tile'}
      data-participant-id={screen ? undefined : tile.participantId}
      data-screen-participant-id={screen ? tile.participantId : undefined}
      data-participant-name={tile.name}
      data-local={flag(tile.local)}
      data-muted={flag(tile.micMuted)}
      data-video-off={flag(!tile.videoOn)}
      data-hand-raised={flag(tile.handRaised && !screen)}
      onClick={() => {
        // A filmstrip tile is small: tapping it is the natural way to bring it to the main screen.
        if (inStrip) onPin(tile.key);
      }}
    >
      <div class="tile-avatar">
        {tile.avatar ? (
          <img class="avatar-circle avatar-img" src={tile.avatar} alt="" draggable={false} />
        ) : (
          <span class="avatar-circle" style={{ '--hue': String(hueFor(tile.name)) }}>
            {initials(tile.name)}
          </span>
        )}
      </div>
      <video ref={video} class={tile.mirrored ? 'mirror' : undefined} autoplay playsInline muted disablePictureInPicture />
      <div class="tile-footer">
        <span class="tile-mic" title="Muted" aria-label="Microphone muted" hidden={!tile.micMuted || screen}>
          <Icon name="micOff" />
        </span>
        <span class="tile-name">{tile.name}</span>
        <span class="tile-label" hidden={!tile.label}>
          {tile.label ?? ''}
        </span>
        <span class="badge badge-host" title="Host" hidden={!tile.host || screen}>
          Host
        </span>
        <span class="badge badge-cohost" title="Co-host" hidden={!tile.coHost || screen}>
          Co-host
        </span>
      </div>
      <span class="tile-hand" title="Hand raised" aria-label="Hand raised" data-testid="tile-hand" hidden={!tile.handRaised || screen}>
        <Icon name="hand" />
      </span>
      <button
        class="tile-pin"
        type="button"
        title={pinned ? 'Unpin' : 'Pin to main screen'}
        aria-label="Pin"
        aria-pressed={pinned}
        data-testid="tile-pin"
        onClick={(event) => {
          event.stopPropagation();
          onPin(tile.key);
        }}
      >
        <Icon name="pin" />
      </button>
      <button
        class="tile-menu"
        type="button"
        title="Host controls"
        aria-label="Host controls"
        data-testid="host-menu"
        hidden={!tile.menu || screen}
        onClick={(event) => {
          event.stopPropagation();
          onMenu(tile.key, event.currentTarget);
        }}
      >
        <Icon name="more" />
      </button>
      <TileVideo.Provider value={video}>{children}</TileVideo.Provider>
    </div>
  );
}
