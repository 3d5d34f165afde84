/** Where a long operation tells a person what it is doing: a terminal, a CI log, later the server's event stream. */
export interface Reporter {
  /** A step starts or finishes: "Applying 4 objects", "Rolled back to revision 3". */
  step(message: string): void;
  /** Live progress that replaces the previous progress line on a terminal. */
  progress(message: string): void;
  /** A Kubernetes event worth showing as it happens. */
  event(message: string): void;
  warn(message: string): void;
}

export const silentReporter: Reporter = { step() {}, progress() {}, event() {}, warn() {} };
