/**
 * @module Signals `airlock serve` reacts to: SIGHUP reloads the config, SIGINT/SIGTERM drain.
 * Listeners stay installed afterwards: wrappers such as npm and tsx forward a terminal's Ctrl-C a
 * second time, and a second signal with no listener would kill the process in the middle of its
 * clean shutdown.
 */

/** Resolves with the first SIGINT or SIGTERM; later ones are ignored. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let received: NodeJS.Signals | undefined;
    const onSignal = (signal: NodeJS.Signals) => {
      if (received) return;
      received = signal;
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

/** Calls `onHangup` for every SIGHUP (config reload) until the returned function is called. */
export function onHangup(onHangup: () => void): () => void {
  const listener = () => onHangup();
  process.on('SIGHUP', listener);
  return () => process.off('SIGHUP', listener);
}
