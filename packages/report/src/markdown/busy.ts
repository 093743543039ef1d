/** A 1-minute load average above this many per core means other work shared the machine. */
export const BUSY_LOAD_PER_CORE = 0.5;

/** How busy the machine was when a sweep started, in words for the reproduce section. */
export function busyText(load: number, cores: number): string {
  return load > BUSY_LOAD_PER_CORE * cores
    ? `the 1-minute load average was ${load.toFixed(2)} when this sweep started, so other work shared the machine; an idle one gives cleaner numbers`
    : `idle: the 1-minute load average was ${load.toFixed(2)} when the sweep started`;
}
