/**
 * Wraps a reload so calls never overlap: a call while one runs returns the
 * running one's promise and asks for one more pass when it ends (however
 * many calls came meanwhile), so the last change is always fetched, once.
 * The SDK's stores reload their lists with it on every live event.
 */
export function coalesced(load: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | null = null;
  let again = false;
  return () => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await load();
        } while (again);
      } finally {
        running = null;
      }
    })();
    return running;
  };
}
