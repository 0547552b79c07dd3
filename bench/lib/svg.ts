/** Hand-rolled SVG charts: no chart dependency, readable in a browser and on GitHub. */

export const PALETTE = ['#2b6cb0', '#c53030', '#dd6b20', '#2f855a', '#6b46c1', '#718096'];

const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"';

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** 1, 2, 5 × 10^k step giving about `count` ticks up to `max`. */
function niceStep(max: number, count: number): number {
  const raw = Math.max(max, 1e-9) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const unit = raw / power;
  const nice = unit <= 1 ? 1 : unit <= 2 ? 2 : unit <= 5 ? 5 : 10;
  return nice * power;
}

function fmt(value: number): string {
  if (Math.abs(value) >= 1000) {
    return Math.round(value).toLocaleString('en-US');
  }
  return String(Math.round(value * 100) / 100);
}

export interface LineSeries {
  name: string;
  color?: string;
  points: { x: number; y: number }[];
  /** draws an ✕ at the last point with this note (e.g. "OOM crash") */
  endMarker?: string;
}

/** Where a line chart's plot area is and how values map into it. */
interface LinePlot {
  left: number;
  top: number;
  plotW: number;
  plotH: number;
  xTop: number;
  yTop: number;
  xStep: number;
  yStep: number;
  legendColumns: number;
  sx: (x: number) => number;
  sy: (y: number) => number;
}

export function lineChart(options: {
  title: string;
  xLabel: string;
  yLabel: string;
  series: LineSeries[];
  hLines?: { y: number; label: string }[];
  width?: number;
  height?: number;
}): string {
  const width = options.width ?? 900;
  const plotHeight = options.height ?? 360;
  const left = 70;
  const right = 30;
  const top = 50;
  const legendColumns = 2;
  const legendRows = Math.ceil(options.series.length / legendColumns);
  const bottom = 60 + legendRows * 22 + 10;
  const height = top + plotHeight + bottom;
  const plotW = width - left - right;
  const plotH = plotHeight;
  const allPoints = options.series.flatMap((s) => s.points);
  const xMax = Math.max(1, ...allPoints.map((p) => p.x));
  const yMax = Math.max(1, ...allPoints.map((p) => p.y), ...(options.hLines ?? []).map((h) => h.y)) * 1.08;
  const xStep = niceStep(xMax, 8);
  const yStep = niceStep(yMax, 6);
  const xTop = Math.ceil(xMax / xStep) * xStep;
  const yTop = Math.ceil(yMax / yStep) * yStep;
  const sx = (x: number): number => left + (x / xTop) * plotW;
  const sy = (y: number): number => top + plotH - (y / yTop) * plotH;
  const plot: LinePlot = { left, top, plotW, plotH, xTop, yTop, xStep, yStep, legendColumns, sx, sy };
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT} font-size="12">`);
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="${left}" y="28" font-size="16" font-weight="600">${escapeXml(options.title)}</text>`);
  out.push(...lineChartAxes(plot, options));
  options.series.forEach((series, index) => out.push(...lineChartSeries(plot, series, index)));
  out.push('</svg>');
  return out.join('\n');
}

/** Grid, tick labels, frame, axis labels and the dashed horizontal reference lines. */
function lineChartAxes(plot: LinePlot, options: { xLabel: string; yLabel: string; hLines?: { y: number; label: string }[] }): string[] {
  const { left, top, plotW, plotH, xTop, yTop, xStep, yStep, sx, sy } = plot;
  const out: string[] = [];
  for (let y = 0; y <= yTop + 1e-9; y += yStep) {
    out.push(`<line x1="${left}" x2="${left + plotW}" y1="${sy(y)}" y2="${sy(y)}" stroke="#e2e8f0"/>`);
    out.push(`<text x="${left - 8}" y="${sy(y) + 4}" text-anchor="end" fill="#4a5568">${fmt(y)}</text>`);
  }
  for (let x = 0; x <= xTop + 1e-9; x += xStep) {
    out.push(`<line x1="${sx(x)}" x2="${sx(x)}" y1="${top}" y2="${top + plotH}" stroke="#f1f5f9"/>`);
    out.push(`<text x="${sx(x)}" y="${top + plotH + 18}" text-anchor="middle" fill="#4a5568">${fmt(x)}</text>`);
  }
  out.push(`<rect x="${left}" y="${top}" width="${plotW}" height="${plotH}" fill="none" stroke="#a0aec0"/>`);
  out.push(`<text x="${left + plotW / 2}" y="${top + plotH + 38}" text-anchor="middle" fill="#2d3748">${escapeXml(options.xLabel)}</text>`);
  out.push(
    `<text x="18" y="${top + plotH / 2}" text-anchor="middle" fill="#2d3748" transform="rotate(-90 18 ${top + plotH / 2})">${escapeXml(options.yLabel)}</text>`,
  );
  for (const h of options.hLines ?? []) {
    out.push(`<line x1="${left}" x2="${left + plotW}" y1="${sy(h.y)}" y2="${sy(h.y)}" stroke="#718096" stroke-dasharray="6 4"/>`);
    out.push(`<text x="${left + plotW - 4}" y="${sy(h.y) - 5}" text-anchor="end" fill="#4a5568">${escapeXml(h.label)}</text>`);
  }
  return out;
}

/** One series: its line, the ✕ and note at its end when it has an end marker, and its legend entry. */
function lineChartSeries(plot: LinePlot, series: LineSeries, index: number): string[] {
  const { left, top, plotW, plotH, legendColumns, sx, sy } = plot;
  const out: string[] = [];
  const color = series.color ?? PALETTE[index % PALETTE.length];
  if (series.points.length > 0) {
    const d = series.points.map((p, i) => `${i === 0 ? 'M' : 'L'}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(' ');
    out.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"/>`);
    const last = series.points[series.points.length - 1];
    if (series.endMarker) {
      const cx = sx(last.x);
      const cy = sy(last.y);
      out.push(`<path d="M${cx - 6},${cy - 6} L${cx + 6},${cy + 6} M${cx - 6},${cy + 6} L${cx + 6},${cy - 6}" stroke="${color}" stroke-width="3"/>`);
      const nearRight = cx > left + plotW * 0.8;
      out.push(
        `<text x="${nearRight ? cx - 9 : cx + 9}" y="${cy - 10}" text-anchor="${nearRight ? 'end' : 'start'}" fill="${color}" font-weight="600">${escapeXml(series.endMarker)}</text>`,
      );
    }
  }
  const lx = left + (index % legendColumns) * (plotW / legendColumns);
  const ly = top + plotH + 62 + Math.floor(index / legendColumns) * 22;
  out.push(`<line x1="${lx}" x2="${lx + 22}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="3"/>`);
  out.push(`<text x="${lx + 28}" y="${ly + 4}" fill="#1a202c">${escapeXml(series.name)}</text>`);
  return out;
}

export interface BarGroup {
  label: string;
  bars: { name: string; value: number | null; color?: string; note?: string }[];
}

/** Horizontal grouped bars, one panel per call (values share one axis). */
export function barChart(options: { title: string; unit: string; groups: BarGroup[]; width?: number }): string {
  const width = options.width ?? 900;
  const left = 360;
  const right = 110;
  const top = 50;
  const barH = 20;
  const gap = 6;
  const groupGap = 18;
  const rows = options.groups.reduce((sum, g) => sum + g.bars.length, 0);
  const height = top + rows * (barH + gap) + options.groups.length * (groupGap + 20) + 10;
  const plotW = width - left - right;
  const max = Math.max(1, ...options.groups.flatMap((g) => g.bars.map((b) => b.value ?? 0)));
  const step = niceStep(max, 5);
  const xTop = Math.ceil(max / step) * step;
  const sx = (v: number): number => (v / xTop) * plotW;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT} font-size="12">`);
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="16" y="28" font-size="16" font-weight="600">${escapeXml(options.title)}</text>`);
  let y = top;
  options.groups.forEach((group) => {
    out.push(`<text x="16" y="${y + 12}" font-weight="600" fill="#2d3748">${escapeXml(group.label)}</text>`);
    y += 16 + 4;
    group.bars.forEach((bar, index) => {
      const color = bar.color ?? PALETTE[index % PALETTE.length];
      out.push(`<text x="${left - 8}" y="${y + barH / 2 + 4}" text-anchor="end" fill="#1a202c">${escapeXml(bar.name)}</text>`);
      if (bar.value != null) {
        out.push(`<rect x="${left}" y="${y}" width="${Math.max(1, sx(bar.value)).toFixed(1)}" height="${barH}" fill="${color}" rx="2"/>`);
        out.push(
          `<text x="${left + sx(bar.value) + 6}" y="${y + barH / 2 + 4}" fill="#1a202c">${escapeXml(`${fmt(bar.value)} ${options.unit}${bar.note ? ` ${bar.note}` : ''}`)}</text>`,
        );
      } else {
        out.push(`<text x="${left + 6}" y="${y + barH / 2 + 4}" fill="#c53030">${escapeXml(bar.note ?? 'failed')}</text>`);
      }
      y += barH + gap;
    });
    y += groupGap;
  });
  out.push(`<line x1="${left}" x2="${left}" y1="${top}" y2="${y - groupGap}" stroke="#a0aec0"/>`);
  out.push('</svg>');
  return out.join('\n');
}
