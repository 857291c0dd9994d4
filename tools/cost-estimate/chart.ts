import { SECONDS_PER_MONTH } from './prices';

/** A cost curve: USD at a point of the x axis (a sustained request rate, a file size). */
export interface Series {
  readonly label: string;
  readonly color: string;
  readonly usdAt: (x: number) => number;
}

export interface ChartInput {
  readonly title: string;
  readonly subtitle: string;
  readonly lambda: Series;
  readonly containers: Series;
  readonly crossing?: number;
  /** Named points on the x axis (the average rates of the usage profiles). */
  readonly markers: readonly { label: string; requestsPerSecond: number }[];
  readonly minRate: number;
  readonly maxRate: number;
  /** How the x axis reads. @default sustained requests per second, requests per month under each tick */
  readonly xAxis?: {
    readonly label: string;
    readonly unit: string;
    readonly tick: (x: number) => string;
    readonly subTick?: (x: number) => string;
  };
  /** The y axis's unit. @default 'USD per month' */
  readonly yUnit?: string;
  /** The crossing's second line. @default requests a month and cost a month */
  readonly crossingNote?: (x: number, usd: number) => string;
  /** Shade from this x to the right edge instead of the cheaper side of each architecture. */
  readonly limit?: { readonly from: number; readonly label: string };
  /** The legend's words for the markers. @default average rate of a usage profile */
  readonly markerLegend?: readonly [string, string];
}

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function money(usd: number): string {
  if (usd >= 1000) return `$${Math.round(usd / 1000).toLocaleString('en-US')}k`;
  if (usd >= 10) return `$${Math.round(usd)}`;
  if (usd < 0.01) return `$${Number(usd.toPrecision(1))}`;
  if (usd >= 1 && Number.isInteger(usd)) return `$${usd}`;
  return `$${usd.toFixed(usd < 1 ? 2 : 1)}`;
}

function rateLabel(rate: number): string {
  return rate >= 1 ? rate.toLocaleString('en-US', { maximumFractionDigits: 0 }) : String(Number(rate.toPrecision(1)));
}

function requestsPerMonthLabel(rate: number): string {
  const perMonth = rate * SECONDS_PER_MONTH;
  if (perMonth >= 1e9) return `${Number((perMonth / 1e9).toPrecision(2))}B`;
  if (perMonth >= 1e6) return `${Number((perMonth / 1e6).toPrecision(2))}M`;
  return `${Number((perMonth / 1e3).toPrecision(2))}k`;
}

/**
 * Cost per month against sustained traffic for both architectures, both axes logarithmic (the
 * Lambda line is straight, the containers' steps stay visible), the crossing marked, the side where
 * each architecture is cheaper shaded, and where our usage profiles sit.
 */
export function breakEvenSvg(input: ChartInput): string {
  const xAxis = input.xAxis ?? {
    label: 'sustained requests per second (requests per month below), log scale',
    unit: 'req/s',
    tick: rateLabel,
    subTick: (rate: number) => `${requestsPerMonthLabel(rate)}/mo`,
  };
  const yUnit = input.yUnit ?? 'USD per month';
  const crossingNote =
    input.crossingNote ?? ((rate: number, usd: number) => `${requestsPerMonthLabel(rate)} requests/month, ${money(usd)}/month each`);
  const width = 960;
  const height = 600;
  const margin = { left: 96, right: 200, top: 92, bottom: 96 };
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const samples = 400;
  const rates = Array.from({ length: samples + 1 }, (_, i) => input.minRate * (input.maxRate / input.minRate) ** (i / samples));
  const values = rates.flatMap((rate) => [input.lambda.usdAt(rate), input.containers.usdAt(rate)]);
  const minUsd = 10 ** Math.floor(Math.log10(Math.max(1e-6, Math.min(...values))));
  const maxUsd = 10 ** Math.ceil(Math.log10(Math.max(...values)));
  const x = (rate: number) => margin.left + (Math.log10(rate / input.minRate) / Math.log10(input.maxRate / input.minRate)) * plotWidth;
  const y = (usd: number) =>
    margin.top + plotHeight - (Math.log10(Math.max(usd, minUsd) / minUsd) / Math.log10(maxUsd / minUsd)) * plotHeight;
  const path = (series: Series) =>
    rates.map((rate, i) => `${i === 0 ? 'M' : 'L'}${x(rate).toFixed(1)},${y(series.usdAt(rate)).toFixed(1)}`).join(' ');

  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" role="img" aria-label="${escape(input.title)}">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${margin.left}" y="38" font-size="22" font-weight="700" fill="#1f2933">${escape(input.title)}</text>`,
    `<text x="${margin.left}" y="64" font-size="14" fill="#52606d">${escape(input.subtitle)}</text>`,
  );
  // Where each side is cheaper, or where the serverless side cannot go.
  const limitLabel: string[] = [];
  if (input.limit !== undefined) {
    const lx = x(input.limit.from);
    // Near the right edge the shaded band is too narrow for the label: it goes left of the line, at
    // the foot of the plot (clear of the rising curves and the crossing's label), instead of running
    // on into the legend.
    const labelLeft = lx > margin.left + plotWidth * 0.65;
    const labelLines = input.limit.label.split('\n');
    const labelTop = labelLeft ? margin.top + plotHeight - 12 - (labelLines.length - 1) * 16 : margin.top + 22;
    parts.push(
      `<rect x="${lx.toFixed(1)}" y="${margin.top}" width="${(margin.left + plotWidth - lx).toFixed(1)}" height="${plotHeight}" fill="#7b8794" opacity="0.12"/>`,
      `<line x1="${lx.toFixed(1)}" x2="${lx.toFixed(1)}" y1="${margin.top}" y2="${margin.top + plotHeight}" stroke="#7b8794" stroke-width="2"/>`,
    );
    // Drawn last, on a white halo, so the crossing's dashed line cannot strike through it.
    limitLabel.push(
      ...labelLines.map(
        (text, line) =>
          `<text x="${(labelLeft ? lx - 8 : lx + 8).toFixed(1)}" y="${labelTop + line * 16}" font-size="13" fill="#3e4c59" font-weight="600" stroke="#ffffff" stroke-width="5" stroke-linejoin="round" paint-order="stroke"${labelLeft ? ' text-anchor="end"' : ''}>${escape(text)}</text>`,
      ),
    );
  } else if (input.crossing !== undefined) {
    const cx = x(input.crossing);
    parts.push(
      `<rect x="${margin.left}" y="${margin.top}" width="${(cx - margin.left).toFixed(1)}" height="${plotHeight}" fill="${input.lambda.color}" opacity="0.07"/>`,
      `<rect x="${cx.toFixed(1)}" y="${margin.top}" width="${(margin.left + plotWidth - cx).toFixed(1)}" height="${plotHeight}" fill="${input.containers.color}" opacity="0.07"/>`,
      `<text x="${(margin.left + 12).toFixed(1)}" y="${margin.top + 22}" font-size="13" fill="${input.lambda.color}" font-weight="600">serverless cheaper</text>`,
      `<text x="${(margin.left + plotWidth - 12).toFixed(1)}" y="${margin.top + 22}" font-size="13" fill="${input.containers.color}" font-weight="600" text-anchor="end">containers cheaper</text>`,
    );
  }
  // Grid and axes.
  for (let decade = Math.log10(minUsd); decade <= Math.log10(maxUsd); decade += 1) {
    const usd = 10 ** decade;
    parts.push(
      `<line x1="${margin.left}" x2="${margin.left + plotWidth}" y1="${y(usd).toFixed(1)}" y2="${y(usd).toFixed(1)}" stroke="#e4e7eb"/>`,
      `<text x="${margin.left - 10}" y="${(y(usd) + 4).toFixed(1)}" font-size="12" fill="#52606d" text-anchor="end">${money(usd)}</text>`,
    );
  }
  for (let decade = Math.ceil(Math.log10(input.minRate)); decade <= Math.log10(input.maxRate); decade += 1) {
    const rate = 10 ** decade;
    parts.push(
      `<line x1="${x(rate).toFixed(1)}" x2="${x(rate).toFixed(1)}" y1="${margin.top}" y2="${margin.top + plotHeight}" stroke="#e4e7eb"/>`,
      `<text x="${x(rate).toFixed(1)}" y="${margin.top + plotHeight + 20}" font-size="12" fill="#52606d" text-anchor="middle">${xAxis.tick(rate)}</text>`,
      ...(xAxis.subTick
        ? [
            `<text x="${x(rate).toFixed(1)}" y="${margin.top + plotHeight + 36}" font-size="11" fill="#9aa5b1" text-anchor="middle">${xAxis.subTick(rate)}</text>`,
          ]
        : []),
    );
  }
  parts.push(
    `<rect x="${margin.left}" y="${margin.top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#9aa5b1"/>`,
    `<text x="${margin.left + plotWidth / 2}" y="${height - 28}" font-size="14" fill="#1f2933" text-anchor="middle">${escape(xAxis.label)}</text>`,
    `<text transform="translate(26 ${margin.top + plotHeight / 2}) rotate(-90)" font-size="14" fill="#1f2933" text-anchor="middle">${escape(yUnit)}, log scale</text>`,
  );
  // Where our profiles sit.
  for (const marker of input.markers) {
    if (marker.requestsPerSecond < input.minRate || marker.requestsPerSecond > input.maxRate) continue;
    const mx = x(marker.requestsPerSecond).toFixed(1);
    parts.push(
      `<line x1="${mx}" x2="${mx}" y1="${margin.top + plotHeight - 14}" y2="${margin.top + plotHeight}" stroke="#7b8794" stroke-width="2"/>`,
      `<text x="${mx}" y="${margin.top + plotHeight - 20}" font-size="11" fill="#52606d" text-anchor="middle">${escape(marker.label)}</text>`,
    );
  }
  // The curves.
  for (const series of [input.lambda, input.containers]) {
    parts.push(`<path d="${path(series)}" fill="none" stroke="${series.color}" stroke-width="3" stroke-linejoin="round"/>`);
  }
  // The crossing.
  if (input.crossing !== undefined) {
    const cx = x(input.crossing);
    const usd = input.lambda.usdAt(input.crossing);
    const cy = y(usd);
    // Labelled where there is room: below right, or above left when the crossing is near the right edge.
    const leftOfPoint = cx > margin.left + plotWidth * 0.65;
    const labelX = leftOfPoint ? cx - 12 : cx + 12;
    const anchor = leftOfPoint ? 'end' : 'start';
    const labelY = leftOfPoint ? cy - 40 : cy + 30;
    parts.push(
      `<line x1="${cx.toFixed(1)}" x2="${cx.toFixed(1)}" y1="${margin.top}" y2="${margin.top + plotHeight}" stroke="#1f2933" stroke-dasharray="4 4"/>`,
      `<circle cx="${cx.toFixed(1)}" cy="${cy.toFixed(1)}" r="7" fill="#ffffff" stroke="#1f2933" stroke-width="3"/>`,
      `<text x="${labelX.toFixed(1)}" y="${labelY.toFixed(1)}" font-size="14" font-weight="700" fill="#1f2933" text-anchor="${anchor}">break-even ${input.crossing.toFixed(1)} ${xAxis.unit}</text>`,
      `<text x="${labelX.toFixed(1)}" y="${(labelY + 18).toFixed(1)}" font-size="13" fill="#1f2933" text-anchor="${anchor}">${escape(crossingNote(input.crossing, usd))}</text>`,
    );
  }
  parts.push(...limitLabel);
  // Legend, to the right of the plot, labelled at each line's end.
  const legendX = margin.left + plotWidth + 16;
  [input.lambda, input.containers].forEach((series, index) => {
    const ly = margin.top + 20 + index * 64;
    parts.push(
      `<line x1="${legendX}" x2="${legendX + 28}" y1="${ly}" y2="${ly}" stroke="${series.color}" stroke-width="4"/>`,
      ...series.label
        .split('\n')
        .map((text, line) => `<text x="${legendX + 36}" y="${ly + 4 + line * 16}" font-size="13" fill="#1f2933">${escape(text)}</text>`),
    );
  });
  if (input.markers.length > 0) {
    const ly = margin.top + 20 + 2 * 64;
    parts.push(
      `<line x1="${legendX + 14}" x2="${legendX + 14}" y1="${ly - 8}" y2="${ly + 6}" stroke="#7b8794" stroke-width="2"/>`,
      ...(input.markerLegend ?? ['average rate of', 'a usage profile']).map(
        (text, line) => `<text x="${legendX + 36}" y="${ly + 4 + line * 16}" font-size="13" fill="#1f2933">${escape(text)}</text>`,
      ),
    );
  }
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

/** The same chart in a terminal: L for Lambda, C for containers, X where they cross. */
export function terminalPlot(input: ChartInput, columns = 64, rows = 16): string {
  const rates = Array.from({ length: columns }, (_, i) => input.minRate * (input.maxRate / input.minRate) ** (i / (columns - 1)));
  const values = rates.flatMap((rate) => [input.lambda.usdAt(rate), input.containers.usdAt(rate)]);
  const minUsd = Math.max(0.01, Math.min(...values));
  const maxUsd = Math.max(...values);
  const row = (usd: number) =>
    rows - 1 - Math.round((Math.log10(Math.max(usd, minUsd) / minUsd) / Math.log10(maxUsd / minUsd)) * (rows - 1));
  const grid = Array.from({ length: rows }, () => Array.from({ length: columns }, () => ' '));
  rates.forEach((rate, column) => {
    grid[row(input.containers.usdAt(rate))][column] = 'C';
    const lambdaRow = row(input.lambda.usdAt(rate));
    grid[lambdaRow][column] = grid[lambdaRow][column] === 'C' ? 'X' : 'L';
  });
  if (input.crossing !== undefined) {
    const column = Math.round((Math.log10(input.crossing / input.minRate) / Math.log10(input.maxRate / input.minRate)) * (columns - 1));
    grid[row(input.lambda.usdAt(input.crossing))][column] = 'X';
  }
  // Money labels on the rows nearest each power of ten.
  const labels = new Map<number, string>();
  for (let decade = Math.ceil(Math.log10(minUsd)); decade <= Math.log10(maxUsd); decade += 1)
    labels.set(row(10 ** decade), money(10 ** decade));
  const label = (index: number) => (labels.get(index) ?? '').padStart(7);
  const lines = grid.map((cells, index) => `${label(index)} |${cells.join('')}`);
  lines.push(`${''.padStart(7)} +${'-'.repeat(columns)}`);
  lines.push(`${''.padStart(9)}${rateLabel(input.minRate)} req/s${' '.repeat(Math.max(1, columns - 22))}${rateLabel(input.maxRate)} req/s`);
  lines.push(
    `${''.padStart(9)}L = ${input.lambda.label.replaceAll('\n', ' ')}, C = ${input.containers.label.replaceAll('\n', ' ')}, X = crossing`,
  );
  return lines.join('\n');
}
