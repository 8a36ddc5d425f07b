/** `vafa` — the operator's command line. Same environment variables as `npm start`. */
import { Command, CommanderError } from 'commander';
import { cliContext, closeCliContext, CliError } from './context.js';
import { COMMANDS } from './commands/index.js';

const program = new Command('vafa')
  .description('Vafa (وفا) loyalty platform — command line. Uses DATABASE_URL (PostgreSQL) or PGlite in VAFA_DATA_DIR (default ./data).')
  .showHelpAfterError()
  .exitOverride();
for (const c of COMMANDS) c.register(program, cliContext);

let code = 0;
try {
  await program.parseAsync(process.argv);
  code = typeof process.exitCode === 'number' ? process.exitCode : 0;
} catch (e) {
  if (e instanceof CommanderError) code = e.exitCode === 0 ? 0 : 2;
  else if (e instanceof CliError) {
    process.stderr.write(`vafa: ${e.message}\n`);
    code = e.exitCode;
  } else {
    process.stderr.write(`vafa: unexpected error: ${(e as Error).message}\n`);
    code = 70;
  }
}
await closeCliContext().catch(() => undefined);
process.exit(code);
