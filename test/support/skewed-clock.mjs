/**
 * A wrong wall clock for one process, without touching its code: preload with
 *   NODE_OPTIONS='--import /abs/path/test/support/skewed-clock.mjs'
 * and every Date.now(), new Date() and Date() reads the real time plus an offset in ms: the
 * number in the file SKEWED_CLOCK_FILE (re-read every 100 ms, so a test can step the clock ahead
 * and back while the process runs, as NTP would), else SKEWED_CLOCK_MS. The monotonic clock
 * (performance.now(), process.hrtime, timers) is left alone, as a real wrong wall clock leaves it.
 */
import { readFileSync } from 'node:fs';

const RealDate = Date;
const file = process.env.SKEWED_CLOCK_FILE;
let offset = Number(process.env.SKEWED_CLOCK_MS ?? 0) || 0;

function reread() {
  try {
    const value = Number(readFileSync(file, 'utf8').trim());
    if (Number.isFinite(value)) offset = value;
  } catch {
    // the file is being rewritten, or gone: keep the last offset
  }
}
if (file) {
  reread();
  setInterval(reread, 100).unref();
}

class SkewedDate extends RealDate {
  constructor(...args) {
    if (args.length === 0) super(RealDate.now() + offset);
    else super(...args);
  }

  static now() {
    return RealDate.now() + offset;
  }
}

// `Date()` called without `new` answers the current time as a string.
globalThis.Date = new Proxy(SkewedDate, {
  apply: () => new SkewedDate().toString(),
});
