// Bundle the widget front end (three.js included) into the Python package.
// Output: src/mmphate/explorer/static/widget.js (ES module, loaded by anywidget and by the standalone export).
import * as esbuild from "esbuild";
import { fileURLToPath } from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const watch = process.argv.includes("--watch");

const options = {
  entryPoints: [path.join(here, "src", "index.js")],
  outfile: path.join(here, "..", "src", "mmphate", "explorer", "static", "widget.js"),
  bundle: true,
  format: "esm",
  platform: "browser",
  target: ["es2020"],
  minify: !watch,
  sourcemap: false,
  legalComments: "eof",
  logLevel: "info",
};

if (watch) {
  const ctx = await esbuild.context(options);
  await ctx.watch();
} else {
  await esbuild.build(options);
}
