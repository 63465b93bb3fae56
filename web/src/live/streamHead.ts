/**
 * Finds the seq of the trader's latest event with the public API alone, so the page can read
 * its orders and then follow the stream from that point instead of replaying all history.
 * `hasEventsAfter(n)` is `GET /api/v1/events?since=n&limit=1` answering at least one event.
 * Seqs rise by one with no gaps (API.md), so the head is the least n with no event after it:
 * doubling then bisection finds it in about 2·log2(head) small requests.
 */
export async function findStreamHead(hasEventsAfter: (seq: number) => Promise<boolean>): Promise<number> {
  if (!(await hasEventsAfter(0))) return 0;
  let below = 0;
  let atOrAbove = 1;
  while (await hasEventsAfter(atOrAbove)) {
    below = atOrAbove;
    atOrAbove *= 2;
  }
  // Invariant: there are events after `below`, none after `atOrAbove`.
  while (atOrAbove - below > 1) {
    const middle = Math.floor((below + atOrAbove) / 2);
    if (await hasEventsAfter(middle)) below = middle;
    else atOrAbove = middle;
  }
  return atOrAbove;
}
