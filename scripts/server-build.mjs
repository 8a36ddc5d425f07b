/**
 * The server build: `npm start` and `bin/vafa.js` run plain JavaScript bundled from src/
 * (tsx compiling ~100 TypeScript modules at every start cost ~1.6 s of a 2–4 s cold start).
 *
 *   node scripts/server-build.mjs        build dist/server/{main,cli}.js (run by `npm install`
 *                                        through `prepare`, or `npm run build:server`)
 *
 * Each bundle holds src/ only; packages in node_modules stay ordinary imports. Beside each
 * bundle, <name>.inputs.json lists the hash of every source file that went into it, so a
 * launcher can tell in a few milliseconds whether src/ changed since the build (never run
 * stale code): `launch()` below rebuilds then, or — without esbuild (e.g. a production
 * install without devDependencies) — runs src/ through tsx as before.
 *
 * `import.meta.url` keeps meaning "this source file" inside the bundle (src/platform/migrate.ts
 * and src/platform/http/web.ts find migrations/ and web/dist/ relative to themselves): the
 * plugin below rewrites it, per module, to the module's own path under src/.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const OUT_DIR = path.join(ROOT, 'dist', 'server');

/** name → entry point; dist/server/<name>.js */
export const ENTRIES = { main: 'src/main.ts', cli: 'src/cli/main.ts' };

/** Files whose change changes every bundle, besides the sources esbuild reports. */
const ALWAYS = ['tsconfig.json', 'scripts/server-build.mjs'];

const sha1 = (file) => createHash('sha1').update(readFileSync(path.join(ROOT, file))).digest('base64url');

/**
 * Is dist/server/<name>.js built from the sources as they are now? Returns null when it is,
 * else why not. Hashes contents (not mtimes): a `git checkout` that touches files without
 * changing them costs no rebuild, an edit within the same second is still seen.
 */
export function staleReason(name) {
  let inputs;
  try {
    inputs = JSON.parse(readFileSync(path.join(OUT_DIR, `${name}.inputs.json`), 'utf8')).inputs;
  } catch {
    return 'not built yet';
  }
  if (!existsSync(path.join(OUT_DIR, `${name}.js`))) return 'not built yet';
  for (const [file, hash] of Object.entries(inputs)) {
    let now;
    try {
      now = sha1(file);
    } catch {
      return `${file} is gone`;
    }
    if (now !== hash) return `${file} changed`;
  }
  return null;
}

const LOADERS = { '.ts': 'ts', '.mts': 'ts', '.cts': 'ts', '.tsx': 'tsx', '.js': 'js', '.mjs': 'js', '.cjs': 'js', '.jsx': 'jsx', '.json': 'json' };

/**
 * esbuild plugin for the project's own files: hashes exactly the text that is compiled (so
 * the inputs list can never vouch for an edit made during the build), and keeps
 * `import.meta.url` meaning "this source file" inside the bundle.
 */
function ownSources(hashes) {
  return {
    name: 'own-sources',
    setup(b) {
      b.onLoad({ filter: /.*/ }, (args) => {
        if (args.path.includes(`${path.sep}node_modules${path.sep}`) || !LOADERS[path.extname(args.path)]) return undefined;
        const bytes = readFileSync(args.path);
        hashes[path.relative(ROOT, args.path).split(path.sep).join('/')] = createHash('sha1').update(bytes).digest('base64url');
        let contents = bytes.toString('utf8');
        if (/import\.meta\.(dirname|filename)/.test(contents)) {
          return { errors: [{ text: 'use fileURLToPath(new URL(..., import.meta.url)): import.meta.dirname/filename are not rewritten for the bundle' }] };
        }
        const rel = path.relative(OUT_DIR, args.path).split(path.sep).join('/');
        contents = contents.replaceAll('import.meta.url', `new URL(${JSON.stringify(rel)}, import.meta.url).href`);
        return { contents, loader: LOADERS[path.extname(args.path)] };
      });
    },
  };
}

/** Builds the named bundles (default: all). Writes each file atomically (temp + rename). */
export async function build(names = Object.keys(ENTRIES)) {
  const esbuild = await import('esbuild');
  mkdirSync(OUT_DIR, { recursive: true });
  try {
    for (const name of names) await buildOne(esbuild, name);
  } finally {
    await esbuild.stop(); // its service process would otherwise live as long as the server
  }
}

async function buildOne(esbuild, name) {
  const inputs = {};
  for (const file of ALWAYS) inputs[file] = sha1(file); // before the build: an edit during it shows as stale
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: { [name]: ENTRIES[name] },
    outdir: OUT_DIR,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: 'linked',
    sourcesContent: false,
    legalComments: 'none',
    keepNames: true, // class names in logs (pino's err.type) stay as in src/
    logLevel: 'silent',
    metafile: true, // only to check that every own input was hashed
    write: false,
    plugins: [ownSources(inputs)],
  });
  for (const file of Object.keys(result.metafile.inputs)) {
    if (!file.startsWith('node_modules/') && !inputs[file]) throw new Error(`${file} was bundled without being hashed`);
  }
  const tmp = `.tmp-${process.pid}`;
  const outputs = result.outputFiles.map((f) => f.path);
  for (const f of result.outputFiles) writeFileSync(f.path + tmp, f.contents);
  for (const p of outputs) renameSync(p + tmp, p);
  // The inputs list last: until it is in place a launcher sees the old list and rebuilds.
  const list = path.join(OUT_DIR, `${name}.inputs.json`);
  writeFileSync(list + tmp, `${JSON.stringify({ esbuild: esbuild.version, entry: ENTRIES[name], inputs: Object.fromEntries(Object.entries(inputs).sort()) }, null, 1)}\n`);
  renameSync(list + tmp, list);
}

/**
 * Runs entry `name` the fastest way that is not stale: the bundle if it is current; else
 * rebuild it and run it; else (no esbuild, or the build fails) src/ through tsx.
 * VAFA_FROM_SOURCE=1 forces tsx (e.g. to preload patches that reach into src/ modules).
 */
export async function launch(name) {
  const fromSource = async (why) => {
    if (why) process.stderr.write(`vafa: ${why}; running TypeScript from src/ through tsx (slower start)\n`);
    const { register } = await import('tsx/esm/api');
    register();
    await import(pathToFileURL(path.join(ROOT, ENTRIES[name])).href);
  };
  if (process.env.VAFA_FROM_SOURCE === '1') return fromSource(null);
  const stale = staleReason(name);
  if (stale) {
    const t0 = performance.now();
    try {
      await build([name]);
    } catch (e) {
      const first = e?.errors?.[0];
      const where = first?.location ? `${first.location.file}:${first.location.line}: ` : '';
      const detail = e?.code === 'ERR_MODULE_NOT_FOUND' && /'esbuild'/.test(e.message) ? 'esbuild is not installed' : `the build failed: ${first ? where + first.text : String(e?.message ?? e).split('\n')[0]}`;
      return fromSource(`dist/server/${name}.js is stale (${stale}) and ${detail}`);
    }
    process.stderr.write(`vafa: built dist/server/${name}.js (${stale}) in ${Math.round(performance.now() - t0)} ms\n`);
  }
  process.setSourceMapsEnabled?.(true);
  await import(pathToFileURL(path.join(OUT_DIR, `${name}.js`)).href);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const t0 = performance.now();
  await build();
  process.stdout.write(`server built into dist/server in ${Math.round(performance.now() - t0)} ms\n`);
}
