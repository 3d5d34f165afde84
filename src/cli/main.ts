import { Command, CommanderError } from "commander";
import { config as zodConfig } from "zod";
import { describeError } from "../core/errors.js";
import { registerAppCommands } from "./app.js";
import { registerClusterCommands } from "./cluster.js";
import { registerReleaseCommands } from "./releases.js";
import { registerServerCommands } from "./server.js";
import { exitCodeFor } from "./exit-codes.js";

const program = new Command("railyard")
  .description(
    "Continuous delivery for Kubernetes: app file → plan → apply → wait → explain → record → roll back",
  )
  .version("0.1.0")
  .exitOverride()
  .showHelpAfterError();

registerAppCommands(program);
registerReleaseCommands(program);
registerClusterCommands(program);
registerServerCommands(program);

async function main(): Promise<void> {
  // A command parses a file or two: compiling zod's fast paths costs more than it saves. Validating
  // many files at once is the exception.
  const files = process.argv.filter((arg) => arg === "-f" || arg === "--file").length;
  if (files < 50) zodConfig({ jitless: true });
  try {
    await program.parseAsync(process.argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander already printed help or the usage error; usage errors are invalid input.
      process.exit(error.exitCode === 0 ? 0 : 1);
    }
    process.stderr.write(`error: ${describeError(error)}\n`);
    if (process.env.RAILYARD_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    process.exit(exitCodeFor(error));
  }
}

// No top-level await: the bundle is CommonJS so it can be loaded with a V8 code cache (bin/railyard.js).
void main();
