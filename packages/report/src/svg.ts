import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/**
 * Vega-Lite → Vega → SVG in plain Node: no browser, no canvas (`renderer: 'none'`). Vega's output is
 * deterministic except for the ids of clip paths and gradients, which come from a counter shared by
 * every view in the process; normalizeSvgIds() renames them per chart so that the same data always
 * gives the same bytes and several SVGs can be inlined into one HTML page without id clashes.
 */
export async function renderSvg(spec: TopLevelSpec, idPrefix: string): Promise<string> {
  // Text widths: always vega's own estimate, never node-canvas's measurement. vega uses canvas when the
  // optional `canvas` package happens to be installed, which would change the layout (and the bytes)
  // from one machine to another.
  // (vega-typings do not declare textMetrics, which vega re-exports from vega-scenegraph.)
  (vega as unknown as { textMetrics: { canvas(use: boolean): void } }).textMetrics.canvas(false);
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    return compactSvg(normalizeSvgIds(svg, idPrefix)).trimEnd() + '\n';
  } finally {
    view.finalize();
  }
}

/** Renames every `id` of an SVG to `<prefix>-1`, `<prefix>-2`, … in order of appearance, with its references. */
export function normalizeSvgIds(svg: string, prefix: string): string {
  const ids = new Map<string, string>();
  for (const m of svg.matchAll(/\sid="([^"]+)"/g)) {
    if (!ids.has(m[1]!)) ids.set(m[1]!, `${prefix}-${ids.size + 1}`);
  }
  if (ids.size === 0) return svg;
  return svg
    .replace(/(\sid=")([^"]+)(")/g, (all, a: string, id: string, b: string) => (ids.has(id) ? `${a}${ids.get(id)}${b}` : all))
    .replace(/url\(#([^)]+)\)/g, (all, id: string) => (ids.has(id) ? `url(#${ids.get(id)})` : all))
    .replace(/(href=")#([^"]+)(")/g, (all, a: string, id: string, b: string) => (ids.has(id) ? `${a}#${ids.get(id)}${b}` : all));
}

/** Geometry attributes whose numbers compactSvg() rounds (never text, never aria labels). */
const GEOMETRY = /(\s(?:transform|d|x|y|x1|x2|y1|y2|width|height)=")([^"]*)(")/g;

/**
 * Drops what vega writes that draws nothing, so a report's SVGs (and the page that inlines them) weigh
 * less: empty or zero-size group backgrounds and foregrounds, `opacity="1"` (the default),
 * `pointer-events` and vega's `class` names (a static image: no script, no stylesheet), and geometry
 * past 1/1000 of a pixel (`137.94850021680094` → `137.949`). Labels, aria text and colours are untouched.
 */
export function compactSvg(svg: string): string {
  return svg
    .replace(/ opacity="1"/g, '')
    .replace(/ pointer-events="none"/g, '')
    .replace(/<path class="foreground" aria-hidden="true" d="" display="none"\/>/g, '')
    .replace(/<path class="background" aria-hidden="true" d="M0,0h0v0h0Z"\/>/g, '')
    .replace(/ class="[^"]*"/g, '')
    .replace(GEOMETRY, (_all, a: string, value: string, b: string) => `${a}${value.replace(/-?\d+\.\d{4,}(e-?\d+)?/g, (n) => String(Number(Number(n).toFixed(3))))}${b}`);
}
