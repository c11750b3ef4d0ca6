import { waitUntil } from '@muster/kit/testing';
import { NodePeer } from '@muster/signaling/testing';

/** Alice and Bob in `room`, each decoding the other's video: a live meeting to break. */
export async function meetingOfTwo(url: string, room: string): Promise<NodePeer[]> {
  const peers = [new NodePeer(url), new NodePeer(url)];
  await peers[0]!.join(room, 'Alice');
  await peers[1]!.join(room, 'Bob');
  for (const peer of peers) await waitUntil(async () => (await peer.inboundPackets()).framesDecoded > 5, 20_000, 'initial media');
  return peers;
}

/** What a peer's subscriber connection receives now: for a timeout's message. */
async function describePeer(peer: NodePeer): Promise<string> {
  const pc = peer.room.peerConnections.subscriber;
  return `${peer.room.localParticipant?.name}: subscriber ${pc?.connectionState ?? 'none'}/${pc?.signalingState ?? '-'}, inbound ${JSON.stringify(await peer.inboundPackets())}`;
}

/**
 * Waits until every peer has a new subscriber connection (not one of
 * `oldSubscribers`) that decodes video and plays audio again, before
 * `deadline` (ms since epoch); a timeout says what each peer receives.
 */
export async function mediaBackOnNewSubscribers(peers: NodePeer[], oldSubscribers: unknown[], deadline: number): Promise<void> {
  for (const [i, peer] of peers.entries()) {
    await waitUntil(async () => {
      const pc = peer.room.peerConnections.subscriber;
      if (!pc || pc === oldSubscribers[i]) return false;
      const s = await peer.inboundPackets();
      return s.framesDecoded > 0 && s.audio > 0;
    }, Math.max(1, deadline - Date.now()), `${peer.room.localParticipant?.name} media back on a new worker`).catch(async (error: Error) => {
      throw new Error(`${error.message} (${(await Promise.all(peers.map(describePeer))).join('; ')})`);
    });
  }
}
