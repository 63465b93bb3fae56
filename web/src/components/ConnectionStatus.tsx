/** How the page is following the stream, and the last seq it applied (what a reconnect resumes after). */
import type { FeedState } from '../live/eventFeed.ts';

export function ConnectionStatus({ feed, lastSeq }: { feed: FeedState; lastSeq: number }) {
  return (
    <p className={`connection connection-${feed.kind}`}>
      <span className="dot" aria-hidden="true" />
      {/* Only the state is announced; the seq changes with every event. */}
      <span role="status">{describe(feed)}</span> · seq {lastSeq}
    </p>
  );
}

function describe(feed: FeedState): string {
  switch (feed.kind) {
    case 'connecting': return 'Connecting…';
    case 'live': return feed.transport === 'websocket' ? 'Live (WebSocket)' : 'Live (long polling)';
    case 'reconnecting': return `Reconnecting: ${feed.why}`;
    case 'unauthorized': return 'Token refused';
    case 'stopped': return 'Stopped';
  }
}
