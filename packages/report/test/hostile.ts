import MarkdownIt from 'markdown-it';
import type { SweepResults } from '@socketlab/results';
import { smallResults } from './helpers.ts';

/** A markdown-it token. */
type Token = ReturnType<InstanceType<typeof MarkdownIt>['parse']>[number];

/** Where the crafted strings try to send the reader's browser (nothing listens there: the test aborts any request). */
export const EVIL = 'http://198.51.100.7';

/** Strings an attacker writes into a results file, each aimed at one context of the report. */
export const HOSTILE = Object.freeze({
  /** Breaks out of a one-backtick code span, then raw HTML and a Markdown image to outside. */
  backticks: `x\` <img src=${EVIL}/b1.png onerror=alert(1)> \`\`\` ![i](${EVIL}/b2.png) \``,
  /** A newline + fence closes the reproduce block, then HTML and a link. */
  fence: `a\n\`\`\`\n<img src=${EVIL}/f1.png>\n[click](${EVIL}/f2)\n\`\`\`sh`,
  /** Plain HTML and Markdown link syntax in a text field. */
  html: `<img src=${EVIL}/h1.png> <a href="${EVIL}/h2">x</a> [y](${EVIL}/h3) ![z](${EVIL}/h4.png) <${EVIL}/h5> ${EVIL}/h6 www.example.com mail@example.com`,
  /** Spreadsheet formulas. */
  formula: `=HYPERLINK("${EVIL}/c1","click")`,
  /** Terminal escapes: clear screen, a title change, a fake prompt after CR, bidi override. */
  terminal: `\u001b[2J\u001b]0;pwned\u0007\rOK \u009b31m\u202eevil`,
  /** A long string (a megabyte). */
  long: `L${'x'.repeat(1_000_000)}`,
  /** A table cell break-out: a pipe inside a code span. */
  pipe: `p|<img src=${EVIL}/p1.png>|q`,
});

/** The small fixture with a hostile string in every free-text field the report prints. */
export function hostileResults(): SweepResults {
  const r = smallResults();
  const h = HOSTILE;
  r.tool.version = h.backticks;
  r.scale = h.html;
  r.complete = false;
  r.abortReason = h.fence;
  r.warnings = [h.html, h.terminal, h.long, h.formula, h.backticks, h.pipe];
  const e = r.environment;
  e.node = h.backticks;
  e.v8 = h.html;
  e.platform = h.pipe;
  e.arch = h.terminal;
  e.osRelease = h.fence;
  e.cpuModel = h.html;
  e.gitCommit = '``` <img src=x>';
  r.config.host = h.fence;
  for (const c of r.cells) {
    for (const run of c.runs) {
      run.errorSamples = [h.formula, h.backticks];
      run.errors.total = Math.max(run.errors.total, 1);
      run.errors.other = Math.max(run.errors.other, 1);
    }
  }
  for (const w of r.config.workloads) w.description = h.html;
  r.config.servers = [{ name: r.config.designs[0]!, port: null, command: ['sh', '-c', h.fence] }];
  return r;
}

/**
 * What a Markdown document makes a renderer show beyond text, as GitHub would read it: raw HTML (blocks
 * and inline), link targets and image sources. Parsed by markdown-it with HTML on and autolinks on
 * (URLs with a scheme, www., e-mail addresses; bare domains are not autolinked, as on GitHub).
 */
export function markdownReferences(markdown: string): { html: string[]; links: string[]; images: string[] } {
  const mdit = new MarkdownIt({ html: true, linkify: true });
  mdit.linkify.set({ fuzzyLink: false });
  const out = { html: [] as string[], links: [] as string[], images: [] as string[] };
  const walk = (tokens: readonly Token[]) => {
    for (const t of tokens) {
      if (t.type === 'html_block' || t.type === 'html_inline') out.html.push(t.content);
      if (t.type === 'link_open') out.links.push(String(t.attrGet('href') ?? ''));
      if (t.type === 'image') out.images.push(String(t.attrGet('src') ?? ''));
      if (t.children) walk(t.children);
    }
  };
  walk(mdit.parse(markdown, {}));
  return out;
}
