import { FIGURES } from './figures';
import type { PriceTable } from './prices';
import { FLOWS, type UsageEstimate } from './usage';

const usd = (value: number) => `$${value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

function quantity(value: number): string {
  if (value === 0) return '0';
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-GB');
  return Number(value.toPrecision(3)).toLocaleString('en-GB', { maximumFractionDigits: 6 });
}

function unitPrice(value: number): string {
  if (value === 0) return '$0';
  return value >= 0.01 ? usd(value) : `$${Number(value.toPrecision(3)).toString()}`;
}

/** The per-flow table `npm run cost -- --env <env> --profile <profile>` prints. */
export function usageMarkdown(estimate: UsageEstimate, table: PriceTable): string {
  const lines = [
    `# ${estimate.environment}: estimated monthly cost under the "${estimate.profile}" profile`,
    '',
    `${estimate.region} on-demand list prices of ${estimate.pricesAsOf} (tools/cost-estimate/prices/${estimate.region}.json). Fixed lines cost the same with no traffic.`,
    '',
    '| flow | fixed | usage | total |',
    '|---|---:|---:|---:|',
  ];
  for (const flow of FLOWS) {
    const { fixed, usage, total } = estimate.byFlow[flow];
    lines.push(`| ${flow} | ${usd(fixed)} | ${usd(usage)} | ${usd(total)} |`);
  }
  const fixedTotal = FLOWS.reduce((sum, flow) => sum + estimate.byFlow[flow].fixed, 0);
  lines.push(`| **total** | **${usd(fixedTotal)}** | **${usd(estimate.totalUsd - fixedTotal)}** | **${usd(estimate.totalUsd)}** |`);

  lines.push(
    '',
    '## Free tier (shown apart, never subtracted above)',
    '',
    "The free tier is per account, not per environment: it is worth this much only if this environment is the account's sole user.",
    '',
    '| allowance | used this month | free each month | worth | |',
    '|---|---:|---:|---:|---|',
  );
  for (const use of estimate.freeTier) {
    lines.push(
      `| ${use.key} | ${quantity(use.used)} | ${quantity(use.allowance)} ${use.unit} | ${usd(use.worthUsd)} | ${use.always ? 'always' : (use.note ?? 'first 12 months')} |`,
    );
  }
  const worth = estimate.totalUsd - estimate.totalAfterFreeTierUsd;
  lines.push(
    '',
    `List total ${usd(estimate.totalUsd)}; the free tier could cover ${usd(worth)} of it, leaving ${usd(estimate.totalAfterFreeTierUsd)}.`,
  );

  for (const flow of FLOWS) {
    const flowLines = estimate.lines.filter((line) => line.flow === flow);
    if (flowLines.length === 0) continue;
    lines.push(
      '',
      `## ${flow}: ${usd(estimate.byFlow[flow].total)}`,
      '',
      '| item | quantity | unit | unit price | per month | free tier |',
      '|---|---:|---|---:|---:|---|',
    );
    for (const line of flowLines) {
      lines.push(
        `| ${line.item}${line.kind === 'fixed' ? ' (fixed)' : ''} | ${quantity(line.quantity)} | ${line.unit} | ${unitPrice(line.unitUsd)} | ${usd(line.usd)} | ${line.freeTier ?? ''} |`,
      );
    }
  }

  lines.push('', '## Assumptions: durations and rates', '', '| figure | value | source |', '|---|---:|---|');
  for (const [name, figure] of Object.entries(FIGURES)) {
    lines.push(`| ${name} | ${quantity(figure.value)} ${figure.unit} | ${figure.source} |`);
  }
  const unchecked = Object.entries(table.prices).filter(([, line]) => !line.check.startsWith('checked'));
  lines.push(
    '',
    `Prices not checked against a current AWS page in this estimate's price table (${unchecked.length} of ${Object.keys(table.prices).length}): ${unchecked.map(([key]) => key).join(', ')}.`,
    'Not included: data transfer out to the internet, KMS requests, X-Ray traces, retries and failures (each retry is another transition, request and invocation).',
  );
  return lines.join('\n');
}
