// `npm start`: the server bundled from src/ (dist/server/main.js), rebuilt first if src/
// changed since the last build (scripts/server-build.mjs); the web bundle likewise when a web
// source is newer than web/dist (scripts/web-build.mjs).
import { launch } from './server-build.mjs';
import { ensureWebBuilt } from './web-build.mjs';

try {
  const web = ensureWebBuilt({ stdio: ['ignore', 'inherit', 'inherit'] });
  if (web.built) process.stderr.write(`vafa: built web/dist (${web.why}) in ${web.ms} ms\n`);
  else if (web.why) process.stderr.write(`vafa: ${web.why}; serving the web bundle as it is\n`);
} catch (e) {
  process.stderr.write(`vafa: ${e instanceof Error ? e.message : String(e)}; serving the web bundle as it is\n`);
}
await launch('main');
