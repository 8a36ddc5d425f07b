// `npm start`: the server bundled from src/ (dist/server/main.js), rebuilt first if src/
// changed since the last build; see scripts/server-build.mjs.
import { launch } from './server-build.mjs';

await launch('main');
