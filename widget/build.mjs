// Builds the script Concierge serves as /widget.js: src/widget.js and the modules it
// imports, with src/widget.css minified and imported as a string, bundled into one script
// and minified by esbuild. The output is committed (crates/concierge/assets/widget.js),
// so that building Concierge needs no Node.js.
//
//   npm run build   writes the committed copy
//   npm run check   builds into a temporary directory and fails when the committed copy
//                   is not that build, byte for byte (scripts/test runs it)

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import * as esbuild from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const COMMITTED = path.resolve(here, '../crates/concierge/assets/widget.js');

const BANNER = '/* Concierge chat widget, built from widget/src (see widget/README.md). */';

// Both keep the output in the syntax and characters the hand-written widget used: no
// newer syntax than ES2019 (old Safari), and the script is served as UTF-8.
const COMMON = { charset: 'utf8', logLevel: 'warning' };

// The stylesheet as a minified string, for the shadow root's constructed stylesheet. Its
// colours stay rgba(): hex with alpha rounds the alpha to 1/255.
const cssAsText = {
  name: 'css-as-text',
  setup(build) {
    build.onLoad({ filter: /\.css$/ }, async (args) => {
      const source = readFileSync(args.path, 'utf8');
      const css = await esbuild.transform(source, {
        ...COMMON, loader: 'css', minify: true, supported: { 'hex-rgba': false },
      });
      return { contents: css.code.trimEnd(), loader: 'text' };
    });
  },
};

async function build(outfile) {
  await esbuild.build({
    ...COMMON,
    entryPoints: [path.join(here, 'src/widget.js')],
    outfile,
    bundle: true,
    format: 'iife',
    target: 'es2019',
    minify: true,
    legalComments: 'none',
    banner: { js: BANNER },
    plugins: [cssAsText],
  });
}

if (process.argv.includes('--check')) {
  const dir = mkdtempSync(path.join(tmpdir(), 'concierge-widget-'));
  try {
    const fresh = path.join(dir, 'widget.js');
    await build(fresh);
    if (!readFileSync(fresh).equals(readFileSync(COMMITTED))) {
      console.error(
        'crates/concierge/assets/widget.js is not the build of widget/src.\n'
        + 'Rebuild it and commit the result: cd widget && npm ci && npm run build',
      );
      process.exitCode = 1;
    } else {
      console.log('crates/concierge/assets/widget.js is the build of widget/src');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
} else {
  await build(COMMITTED);
}
