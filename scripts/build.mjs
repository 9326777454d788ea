// One bundled, code-split build: `status` and `validate` load only their own chunk, never execa or
// Octokit, and a single file per command starts faster than hundreds of node_modules lookups.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
await build({
  entryPoints: { main: 'src/cli/entry.ts' },
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
