/**
 * A window of outstanding work: at most `size` operations in flight, the next one starts as
 * soon as one finishes. A counter and one waiter, not Promise.race over a set, so a window of
 * thousands costs nothing per operation.
 */
export class Window {
  private inFlight = 0;
  private waiters: (() => void)[] = [];

  constructor(private readonly size: number) {}

  /** Resolves when there is room; the caller must `release()` once its operation is over. */
  async acquire(): Promise<void> {
    while (this.inFlight >= this.size) await new Promise<void>((resolve) => this.waiters.push(resolve));
    this.inFlight++;
  }

  release(): void {
    this.inFlight--;
    this.waiters.shift()?.();
  }

  /** Resolves once nothing is in flight. */
  async drained(): Promise<void> {
    while (this.inFlight > 0) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }
}

/**
 * Run `operation(0)`, `operation(1)`, … with `window` of them outstanding, until `count` were
 * started or `seconds` have passed, and wait for the last ones. Fails with the first failure.
 */
export async function runWindowed(
  limits: { window: number; count?: number; seconds?: number },
  operation: (i: number) => Promise<unknown>,
): Promise<{ count: number; seconds: number; perSec: number }> {
  const window = new Window(limits.window);
  const started = performance.now();
  const deadline = limits.seconds === undefined ? Infinity : started + limits.seconds * 1000;
  let failure: { error: unknown } | undefined;
  let i = 0;
  while (i < (limits.count ?? Infinity) && performance.now() < deadline && !failure) {
    await window.acquire();
    operation(i++)
      .catch((error: unknown) => (failure ??= { error }))
      .finally(() => window.release());
  }
  await window.drained();
  if (failure) throw failure.error;
  const seconds = (performance.now() - started) / 1000;
  return { count: i, seconds, perSec: Math.round(i / seconds) };
}
