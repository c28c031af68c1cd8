/**
 * cli: what every command is given. Its own file so that the commands, which main.ts registers,
 * never import main.ts (an import circle).
 */
import { REAL_CLOCK, type RunClock } from '../apply/leaver-schedule.js';
import type { EngineContext } from '../engine/context.js';

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  isTty: boolean;
  /**
   * The commands' clock (and what jml leavers waits on); real unless a test or the demo sets one.
   * A simulated clock (replayClock, whose `wall` is the real time) makes every record written
   * on it a replay (src/apply/replay.ts).
   */
  clock?: RunClock;
}

export const defaultIo: Io = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  isTty: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR,
};

/** Options every command accepts. */
export interface GlobalOptions {
  root: string;
}

/** Sets the command's exit code (commands never call process.exit). */
export type Exit = (code: number) => void;

/** The engine's context for a command: the Io's clock (or the real one) and this process's environment. */
export function contextOf(io: Io): EngineContext {
  return { clock: io.clock ?? REAL_CLOCK, env: process.env };
}
