import type { Reporter } from "../delivery/reporter.js";

/**
 * Progress on stderr. On a terminal the progress line is redrawn in place; in CI logs (no TTY) each
 * distinct progress line is printed once.
 */
export function terminalReporter(stream: NodeJS.WriteStream = process.stderr): Reporter {
  const tty = Boolean(stream.isTTY) && !process.env.CI;
  let progressShown = false;
  const line = (text: string) => {
    if (progressShown) {
      stream.write("\r\x1b[K");
      progressShown = false;
    }
    stream.write(`${text}\n`);
  };
  return {
    step: (message) => line(message),
    event: (message) => line(`  event: ${message}`),
    warn: (message) => line(`warning: ${message}`),
    progress: (message) => {
      if (tty) {
        stream.write(`\r\x1b[K${message}`);
        progressShown = true;
      } else {
        stream.write(`  ${message}\n`);
      }
    },
  };
}
