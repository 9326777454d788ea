// One bundled, code-split build: `status` and `validate` load only their own chunk, never execa or
// Octokit, and a single file per command starts faster than hundreds of node_modules lookups.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
/**
 * commander requires node:child_process at load, only to run executable subcommands, which ccasp
 * has none of; loading it (with net, dgram and the rest) cost every command ~5 ms at start-up. Its
 * require gets a stand-in that loads the real module on first use.
 */
const lazyChildProcessForCommander = {
  name: 'lazy-child-process-for-commander',
  setup(b) {
    b.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      /[\\/]node_modules[\\/]commander[\\/]/.test(args.importer) ? { path: 'child_process', namespace: 'ccasp-lazy' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'ccasp-lazy' }, () => ({
      contents: "let real; module.exports = new Proxy({}, { get: (_, key) => (real ??= require('node:child_process'))[key] });",
      loader: 'js',
      resolveDir: process.cwd(),
    }));
  },
};

await build({
  entryPoints: { main: 'src/cli/entry.ts' },
  plugins: [lazyChildProcessForCommander],
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  minifySyntax: true,
  legalComments: 'none',
  logLevel: 'warning',
  chunkNames: 'chunks/[name]-[hash]',
  // CommonJS dependencies use require(), __filename and __dirname, which an ESM bundle lacks.
  banner: {
    js: [
      "import { createRequire as __ccaspRequire } from 'node:module';",
      "import { fileURLToPath as __ccaspPath } from 'node:url';",
      'const require = __ccaspRequire(import.meta.url);',
      'const __filename = __ccaspPath(import.meta.url);',
      "const __dirname = __ccaspPath(new URL('.', import.meta.url));",
    ].join(' '),
  },
});

// The dashboard's page (src/dashboard/page): one script and one stylesheet for the browser, served
// from dist/dashboard by `ccasp dashboard`; no CDN, nothing fetched at run time.
await build({
  entryPoints: ['src/dashboard/page/app.ts', 'src/dashboard/page/app.css'],
  outdir: 'dist/dashboard',
  entryNames: '[name]',
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
});
