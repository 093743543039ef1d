import MarkdownIt from 'markdown-it';
import { slug } from './markdown/index.ts';

/**
 * index.html: the README's Markdown rendered by markdown-it, with every chart's SVG inline and a small
 * inline stylesheet, so the page reads in a browser with no network (no external CSS, JS or fonts).
 */

const STYLE = `
:root { color-scheme: light; }
body { margin: 0; background: #f6f7f9; color: #1f2328; font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1020px; margin: 0 auto; padding: 24px 32px 64px; background: #ffffff; }
h1 { font-size: 28px; margin: 8px 0 16px; }
h2 { font-size: 22px; margin: 40px 0 12px; padding-bottom: 6px; border-bottom: 1px solid #d8dee4; }
h3 { font-size: 18px; margin: 28px 0 10px; }
h4 { font-size: 15px; margin: 22px 0 8px; }
a { color: #0969da; }
code { font: 13px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; background: #eff1f3; padding: 1px 4px; border-radius: 4px; }
pre { background: #f1f3f5; padding: 10px 14px; border-radius: 6px; overflow-x: auto; }
pre code { background: none; padding: 0; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 14px; display: block; overflow-x: auto; max-width: 100%; }
th, td { border: 1px solid #d0d7de; padding: 4px 10px; vertical-align: top; }
td:first-child { white-space: nowrap; }
th { background: #f1f3f5; }
tr:nth-child(even) td { background: #fafbfc; }
.chart { display: block; margin: 12px 0 20px; overflow-x: auto; }
.chart svg { display: block; max-width: 100%; height: auto; }
img { max-width: 100%; height: auto; }
li { margin: 4px 0; }
/* Banners (noise, compare's different machines or configurations) are blockquotes: they must stand out. */
blockquote { margin: 12px 0 16px; padding: 6px 16px; border-left: 4px solid #d4a72c; background: #fff8e5; }
`.trim();

/** A link the page keeps: to one of its own anchors, or to a file of the report folder. */
function ownLink(href: string, svgs: ReadonlyMap<string, string>, files: ReadonlySet<string>): boolean {
  return /^#[\p{L}\p{N}_-]*$/u.test(href) || files.has(href) || svgs.has(href);
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * Renders the report's Markdown as a self-contained HTML page; `svgs` maps `name.svg` to its SVG text,
 * `files` names the other files of the report folder the page may link to (README.md, runs.csv, …).
 *
 * The page can reference nothing outside the report, whatever the Markdown says: raw HTML is shown as
 * text, a link is kept only when it goes to an anchor of the page or to one of `files`, and an image
 * only when it is one of `svgs` (inlined) or of `files` (shown with <img>: a light folder's SVG files);
 * any other link or image is rendered as its text.
 */
export function renderHtml(markdown: string, title: string, svgs: ReadonlyMap<string, string>, files: ReadonlySet<string> = new Set()): string {
  // html: false: the Markdown is generated, and any text from the input is escaped, never raw HTML.
  const mdit = new MarkdownIt({ html: false, linkify: false, typographer: false });

  // Links and images that would leave the report become their text (a second line of defence behind md()).
  mdit.core.ruler.push('own_references', (state) => {
    for (const block of state.tokens) {
      if (!block.children) continue;
      const kept: typeof block.children = [];
      let dropClose = false;
      for (const t of block.children) {
        if (t.type === 'link_open' && !ownLink(String(t.attrGet('href') ?? ''), svgs, files)) {
          dropClose = true; // links do not nest: the next link_close is this one's
          continue;
        }
        if (t.type === 'link_close' && dropClose) {
          dropClose = false;
          continue;
        }
        if (t.type === 'image' && !ownLink(String(t.attrGet('src') ?? ''), svgs, files)) {
          const text = new state.Token('text', '', 0);
          text.content = (t.children ?? []).map((c) => c.content).join('');
          kept.push(text);
          continue;
        }
        kept.push(t);
      }
      block.children = kept;
    }
    return true;
  });

  // Heading ids as GitHub makes them, so the README's #links work in the page too.
  mdit.core.ruler.push('heading_ids', (state) => {
    const seen = new Map<string, number>();
    const tokens = state.tokens;
    for (let i = 0; i < tokens.length; i++) {
      if (tokens[i]!.type !== 'heading_open') continue;
      const text = tokens[i + 1]?.children?.map((t) => t.content).join('') ?? '';
      const base = slug(text);
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      tokens[i]!.attrSet('id', n === 0 ? base : `${base}-${n}`);
    }
    return true;
  });

  // A chart image becomes its SVG, inline (phrasing content, so it may sit in the paragraph).
  const defaultImage = mdit.renderer.rules.image!;
  mdit.renderer.rules.image = (tokens, idx, options, env, self) => {
    const token = tokens[idx]!;
    const src = String(token.attrGet('src') ?? '');
    const svg = svgs.get(src);
    if (svg === undefined) return defaultImage(tokens, idx, options, env, self);
    const alt = self.renderInlineAsText(token.children ?? [], options, env);
    return `<span class="chart" role="figure" aria-label="${escapeHtml(alt)}" data-chart="${escapeHtml(src)}">${svg.trim()}</span>`;
  };

  const body = mdit.render(markdown);
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>\n${STYLE}\n</style>`,
    '</head>',
    '<body>',
    '<main>',
    body.trimEnd(),
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
