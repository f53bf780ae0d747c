/**
 * Admission of new sagas: a submission starts its saga only while fewer than MAX_ACTIVE_SAGAS
 * run (all instances together, as the catalog counts them) plus the starts under way here. In a
 * burst the submissions wait in their stream, durable and in order, while the sagas in flight
 * are served: queues stay as short as the active set, so no step waits long enough in one to
 * time out, and the drain runs at full speed.
 */
export class Admission {
  private readonly waiting: ((room: number) => void)[] = [];
  private timer: NodeJS.Timeout | undefined;

  /** `running`: sagas running now; `starting`: starts admitted and not yet counted in `running`. */
  constructor(
    readonly limit: number,
    private readonly running: () => number,
    private readonly starting: () => number = () => 0,
    private readonly recheckMs = 100,
  ) {}

  /** How many more sagas may start now. */
  get room(): number {
    return Math.max(0, this.limit - this.running() - this.starting());
  }

  /** Resolves with how many new sagas may start (at least 1), once one may. */
  waitForRoom(): Promise<number> {
    if (this.waiting.length === 0 && this.room > 0) return Promise.resolve(this.room);
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.schedule();
    });
  }

  /** Sagas changed (one finished, most likely): let waiting starts in while there is room. */
  changed(): void {
    while (this.waiting.length > 0 && this.room > 0) this.waiting.shift()!(this.room);
    if (this.waiting.length > 0) this.schedule();
  }

  /** How many starts wait for room now. */
  get queued(): number {
    return this.waiting.length;
  }

  /** Counts also change without a notice here (another instance's sagas): look again shortly. */
  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.changed();
    }, this.recheckMs);
    this.timer.unref();
  }
}
