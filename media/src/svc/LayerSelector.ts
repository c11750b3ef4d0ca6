/**
 * Which layers a consumer should get: the minimum of what its tile needs
 * (the size the subscriber shows it at), what the user or host prefers, and
 * what the subscriber's bandwidth allows (see SubscriberBandwidth).
 */
import { MAX_LAYER } from './LayerFilter.ts';
import type { ProducerLayers } from './ProducerLayers.ts';

export interface ConsumerPreferences {
  /** Hidden tiles get nothing (the consumer pauses). */
  visible?: boolean;
  /** The tile's size in device pixels; 0 or absent: unknown (no limit). */
  width?: number;
  height?: number;
  /** Highest layers the subscriber wants (its own preference). */
  spatialLayer?: number;
  temporalLayer?: number;
  /**
   * Highest spatial layer the host allows (the meeting's video quality).
   * Kept apart from the subscriber's own preference so that setting one
   * never erases the other: the lower of the two applies.
   */
  hostSpatialLayer?: number;
}

/** When the stream does not announce its resolutions: the top layer is taken to be this, halving per layer down. */
const ASSUMED_TOP = { width: 1280, height: 720 };
/** A layer this much smaller than the tile still looks fine. */
const SIZE_SLACK = 0.9;

/** The lowest spatial layer that covers a tile of width × height (0 = unknown: the top). */
export function spatialLayerForSize(layers: ProducerLayers, width: number, height: number): number {
  const top = layers.spatialLayers - 1;
  if (!(width > 0) || !(height > 0)) return MAX_LAYER;
  for (let s = 0; s < top; s++) {
    let w = layers.widths[s]!;
    let h = layers.heights[s]!;
    if (!w || !h) {
      w = ASSUMED_TOP.width >> (top - s);
      h = ASSUMED_TOP.height >> (top - s);
    }
    // Tiles crop the video to fill them: the layer must cover both sides.
    if (w >= width * SIZE_SLACK && h >= height * SIZE_SLACK) return s;
  }
  return MAX_LAYER;
}

export interface Layers {
  spatial: number;
  temporal: number;
}

/** The layers wanted before bandwidth: tile size, the user's preference and the host's cap. */
export function desiredLayers(layers: ProducerLayers, preferences: ConsumerPreferences): Layers {
  const bySize = spatialLayerForSize(layers, preferences.width ?? 0, preferences.height ?? 0);
  const spatial = Math.min(
    bySize,
    preferences.spatialLayer ?? MAX_LAYER,
    preferences.hostSpatialLayer ?? MAX_LAYER,
    layers.activeSpatialLayers - 1,
  );
  const temporal = Math.min(preferences.temporalLayer ?? MAX_LAYER, layers.temporalLayers - 1);
  return { spatial: Math.max(0, spatial), temporal: Math.max(0, temporal) };
}

/**
 * The highest layers up to `wanted` whose cumulative bitrate fits `budget`
 * (spatial first, then temporal, but no upper spatial layer below T1); the
 * lowest layer when nothing fits.
 */
export function layersWithin(layers: ProducerLayers, wanted: Layers, budget: number): Layers & { bitrate: number } {
  for (let s = wanted.spatial; s >= 0; s--) {
    // A larger picture only at a usable frame rate (T1 and up, when there is a T1): else a smaller one, smoother.
    const minTemporal = s > 0 ? Math.min(1, wanted.temporal) : 0;
    for (let t = wanted.temporal; t >= minTemporal; t--) {
      const bitrate = layers.cumulativeBitrate(s, t);
      if (bitrate <= budget) return { spatial: s, temporal: t, bitrate };
    }
  }
  return { spatial: 0, temporal: 0, bitrate: layers.cumulativeBitrate(0, 0) };
}
