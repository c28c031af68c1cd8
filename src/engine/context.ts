/**
 * engine: what every use case is given instead of reaching for globals. The CLI builds it from
 * the process (src/cli/io.ts `contextOf`); a test builds its own, with a clock that skips waits.
 */
import type { RunClock } from '../apply/leaver-schedule.js';

export interface EngineContext {
  /**
   * Now, and waiting for an instant: the real clock, or a test's (never Date.now directly). The
   * records a use case writes take their clocks from it through src/apply/replay.ts: a run whose
   * `--at`, or whose clock (one with a `wall`), is away from the wall clock is a replay.
   */
  clock: RunClock;
  /**
   * The environment: the providers' connectors read their credentials from it (the variables
   * policy/jml.yaml names). The CLI passes process.env; a use case reads this, never process.env.
   */
  env: NodeJS.ProcessEnv;
}
