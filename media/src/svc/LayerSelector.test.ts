import { describe, expect, it } from 'vitest';
import { fakeVideoConsumer } from '../testing/fakes.ts';
import { generateStream } from '../testing/svcStreams.ts';
import { desiredLayers } from './LayerSelector.ts';

/** A consumer of a VP9 L3T3_KEY producer that has seen a few pictures (so its layers and resolutions are known). */
function scalableConsumer() {
  const { producer, consumer } = fakeVideoConsumer({ id: 'p', codec: 'video/VP9', ssrc: 0x1234 });
  for (const g of generateStream({ codec: 'vp9', pictures: 8 })) producer.receiveRtp(g.packet);
  return { producer, consumer };
}

describe('layer choice: the host cap and the user preference', () => {
  it('takes the lowest of tile size, user preference and host cap', () => {
    const { producer } = scalableConsumer();
    const layers = producer.layers!;
    expect(desiredLayers(layers, {})).toEqual({ spatial: 2, temporal: 2 });
    expect(desiredLayers(layers, { hostSpatialLayer: 1 })).toEqual({ spatial: 1, temporal: 2 });
    expect(desiredLayers(layers, { hostSpatialLayer: 1, spatialLayer: 0 })).toEqual({ spatial: 0, temporal: 2 });
    expect(desiredLayers(layers, { hostSpatialLayer: 0, spatialLayer: 2 })).toEqual({ spatial: 0, temporal: 2 });
    // A 320×180 thumbnail needs the base layer whatever the host allows.
    expect(desiredLayers(layers, { hostSpatialLayer: 2, width: 320, height: 180 }).spatial).toBe(0);
  });

  it('keeps each one when the other changes on a consumer', () => {
    const { consumer } = scalableConsumer();
    expect(consumer.scalable).toBe(true);
    consumer.setPreferences({ hostSpatialLayer: 0 });
    consumer.setPreferences({ spatialLayer: 1, width: 1280, height: 720 });
    expect(consumer.preferences).toMatchObject({ hostSpatialLayer: 0, spatialLayer: 1 });
    expect(consumer.desiredLayers()?.spatial).toBe(0);
    // The host raises the cap: the user's own preference (layer 1) applies again.
    consumer.setPreferences({ hostSpatialLayer: 2 });
    expect(consumer.preferences).toMatchObject({ hostSpatialLayer: 2, spatialLayer: 1 });
    expect(consumer.desiredLayers()?.spatial).toBe(1);
    // The user asks for the top: the host's cap still holds once lowered.
    consumer.setPreferences({ spatialLayer: 2 });
    consumer.setPreferences({ hostSpatialLayer: 1 });
    expect(consumer.preferences).toMatchObject({ hostSpatialLayer: 1, spatialLayer: 2 });
    expect(consumer.desiredLayers()?.spatial).toBe(1);
  });
});
