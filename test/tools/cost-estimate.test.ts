import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { breakEven, containersMonthlyUsd, lambdaMonthlyUsd, tasksNeeded } from '../../tools/cost-estimate/breakeven';
import { parseCostArgs, runCost } from '../../tools/cost-estimate/command';
import { estimateEnvironments, estimateStack, round, toMarkdown, type CostTemplate } from '../../tools/cost-estimate/estimate';
import { PRICE_REGIONS, pricesFor } from '../../tools/cost-estimate/prices';
import { loadProfile } from '../../tools/cost-estimate/profile';
import { estimateUsage, FLOWS, importFileCost, lambdaInvocationsUsd, readTemplateFacts } from '../../tools/cost-estimate/usage';
import { synthesizedApp, synthesizedVariant } from '../support/shared-synthesis';
import { stacksOf, templateOf } from '../support/synth';

describe('cost estimate of a template', () => {
  it('prices NAT gateways, load balancers, keys, alarms and dashboards by the month', () => {
    const items = estimateStack('prod/Net', {
      Resources: {
        Nat1: { Type: 'AWS::EC2::NatGateway' },
        Nat2: { Type: 'AWS::EC2::NatGateway' },
        Alb: { Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer', Properties: { Type: 'application' } },
        Key: { Type: 'AWS::KMS::Key' },
        Alarm: { Type: 'AWS::CloudWatch::Alarm' },
        Board: { Type: 'AWS::CloudWatch::Dashboard' },
      },
    });

    expect(items).toEqual([
      { stack: 'prod/Net', item: 'NAT gateway', count: 2, monthlyUsd: 70.08 },
      { stack: 'prod/Net', item: 'Application load balancer (1 LCU)', count: 1, monthlyUsd: 24.24 },
      { stack: 'prod/Net', item: 'KMS customer key', count: 1, monthlyUsd: 1 },
      { stack: 'prod/Net', item: 'CloudWatch alarm', count: 1, monthlyUsd: 0.1 },
      { stack: 'prod/Net', item: 'CloudWatch dashboard', count: 1, monthlyUsd: 3 },
    ]);
  });

  it('prices a Fargate service from its task size, architecture, Spot use and public IPs', () => {
    const items = estimateStack('dev/Containers', {
      Resources: {
        Task: {
          Type: 'AWS::ECS::TaskDefinition',
          Properties: { Cpu: '512', Memory: '1024', RuntimePlatform: { CpuArchitecture: 'ARM64' } },
        },
        Service: {
          Type: 'AWS::ECS::Service',
          Properties: {
            TaskDefinition: { Ref: 'Task' },
            DesiredCount: 2,
            CapacityProviderStrategy: [{ CapacityProvider: 'FARGATE_SPOT', Weight: 1 }],
            NetworkConfiguration: { AwsvpcConfiguration: { AssignPublicIp: 'ENABLED' } },
          },
        },
      },
    });

    // (0.5 vCPU x 0.03238 + 1 GB x 0.00356) x 730 h x 0.3 (Spot) x 2 tasks
    expect(items).toEqual([
      { stack: 'dev/Containers', item: 'Fargate service task (0.5 vCPU, 1 GB, arm64, Spot)', count: 2, monthlyUsd: 8.65 },
      { stack: 'dev/Containers', item: 'Public IPv4 address (Fargate task)', count: 2, monthlyUsd: 7.3 },
    ]);
  });
});

const stages = synthesizedApp();
const templates: Record<string, CostTemplate> = Object.fromEntries(
  Object.values(stages).flatMap((stage) =>
    stacksOf(stage).map((stack) => [`${stage.stageName}/${stack.id}`, templateOf(stack).toJSON()] as const),
  ),
);
const estimates = estimateEnvironments(templates);
const byName = Object.fromEntries(estimates.map((estimate) => [estimate.environment, estimate]));
const templatesOf = (env: string) => Object.fromEntries(Object.entries(templates).filter(([stackId]) => stackId.startsWith(`${env}/`)));

describe('cost estimate of the app', () => {
  it('shows the warm users functions prod pays for, and that dev pays for none', () => {
    // 5 functions x 0.25 GB x 2,628,000 s a month x $0.0000033334 per GB-second (ARM64)
    expect(byName.prod.lineItems).toContainEqual({
      stack: 'prod/Api',
      item: 'Provisioned concurrency (256 MB, arm64)',
      count: 5,
      monthlyUsd: 10.95,
    });
    expect(byName.dev.lineItems.filter((item) => item.item.startsWith('Provisioned concurrency'))).toEqual([]);
    expect(byName.prod.fixedMonthlyUsd).toBeGreaterThan(byName.dev.fixedMonthlyUsd);
  });

  it('lists environments in promotion order in the Markdown summary', () => {
    const markdown = toMarkdown(estimates, 'test prices');

    expect(estimates.map((estimate) => estimate.environment)).toEqual(['dev', 'staging', 'prod']);
    expect(markdown).toMatch(/\| prod \| \$\d+\.\d\d \| \$\d+\.\d\d \|/);
    expect(markdown.indexOf('## dev')).toBeLessThan(markdown.indexOf('## prod'));
  });
});

describe('prices as data', () => {
  it.each(PRICE_REGIONS)('dates and cites every %s price, and keeps the free tier apart', (region) => {
    const table = pricesFor(region);

    expect(table.region).toBe(region);
    for (const [key, line] of Object.entries(table.prices)) {
      expect([key, line.asOf]).toEqual([key, expect.stringMatching(/^\d{4}-\d\d-\d\d$/)]);
      expect([key, line.source]).toEqual([key, expect.stringMatching(/^https:\/\/aws\.amazon\.com\//)]);
      expect([key, line.check.length > 0]).toEqual([key, true]);
    }
    for (const allowance of Object.values(table.freeTier)) expect(table.prices[allowance.price]).toBeDefined();
  });

  it('refuses a region it has no price table for', () => {
    expect(() => pricesFor('ap-south-2')).toThrow(/No price table for region ap-south-2/);
  });
});

describe('worked examples, recomputed by hand', () => {
  it('1M invocations x 512 MB x 100 ms on arm64: $0.67 of compute + $0.20 of requests = $0.87, in both regions', () => {
    // 1,000,000 x 0.5 GB x 0.1 s = 50,000 GB-s x $0.0000133334 = $0.66667; 1M requests x $0.20 per million
    for (const region of PRICE_REGIONS) {
      const { requestsUsd, computeUsd } = lambdaInvocationsUsd(pricesFor(region), 1_000_000, 512, 0.1, 'arm64');
      expect([region, round(computeUsd), round(requestsUsd), round(computeUsd + requestsUsd)]).toEqual([region, 0.67, 0.2, 0.87]);
    }
  });

  it("prices a million GET /users/{id} requests on prod's users API in eu-west-1 at $4.92 plus $10.95 of provisioned concurrency", () => {
    const profile = {
      ...loadProfile('idle'),
      api: { requestsPerMonth: 1_000_000, mix: { 'GET /users/{id}': 1 }, m2mTokenRequestsPerMonth: 0 },
    };
    const estimate = estimateUsage('prod', templatesOf('prod'), profile, pricesFor('eu-west-1'));
    const api = estimate.lines.filter((line) => line.flow === 'API');
    const usd = (item: string) => round(api.filter((line) => line.item.startsWith(item)).reduce((sum, line) => sum + line.usd, 0));

    expect(usd('API Gateway REST requests')).toBe(3.5); // 1M x $3.50 per million
    expect(usd('Lambda requests')).toBe(0.2); // 1M x $0.20 per million
    expect(usd('Lambda compute')).toBe(0.17); // 1M x 0.05 s x 0.25 GB = 12,500 GB-s x $0.0000133334
    expect(usd('DynamoDB on-demand reads')).toBe(0.14); // 1M RRU x $0.1415 per million
    expect(usd('CloudWatch Logs')).toBe(0.91); // 1M x (1,000 + 600 bytes) = 1.6 GB x $0.57
    expect(usd('Provisioned concurrency')).toBe(10.95); // 5 x 0.25 GB x 2,628,000 s x $0.0000033334
    // 3.5 + 0.2 + 0.166668 + 0.1415 + 0.912
    expect(round(estimate.byFlow.API.usage)).toBe(4.92);
  });

  it('counts 7 state transitions on the Lambda path and 5 on the Fargate path, and prices a 1M-row file on the prod job', () => {
    const facts = readTemplateFacts(templatesOf('prod'));
    const table = pricesFor('eu-west-1');
    const small = importFileCost(facts, 5_000, table);
    const large = importFileCost(facts, 1_000_000, table);

    // Validate, IsTooLargeForLambda, Transform, Load, IsLoadDone, RecordSuccess, ImportSucceeded
    expect([small.path, small.transitions]).toEqual(['Lambda', 7]);
    // Validate, IsTooLargeForLambda, RunImportJob, RecordJobSuccess, ImportSucceeded
    expect([large.path, large.transitions]).toEqual(['Fargate', 5]);
    // 10,000 small imports: 70,000 transitions x $0.025 per 1,000
    expect(round(10_000 * small.transitions * (table.prices.sfnTransitionPerThousand.usd / 1000))).toBe(1.75);
    // (60 s + 1,000,000 rows / 1,749 rows/s) = 631.76 s of 2 vCPU x $0.03238 + 4 GB x $0.00356 = $0.0790 an hour
    const job = large.lines.find((line) => line.item.startsWith('Fargate import job'))!;
    expect(job.item).toContain('2 vCPU, 4 GB, arm64');
    expect(job.quantity * job.unitUsd).toBeCloseTo((631.7553 / 3600) * 0.079, 6);
  });
});

describe('usage profiles', () => {
  it('recomputes the growth profile on prod, flow by flow, to the cent', () => {
    const table = pricesFor('eu-west-1');
    const P = (key: keyof typeof table.prices) => table.prices[key].usd;
    const gbS = P('lambdaGbSecondArm64');
    const lambdaReq = P('lambdaRequestsPerMillion') / 1e6;
    const rru = P('dynamoReadPerMillion') / 1e6;
    const wru = P('dynamoWritePerMillion') / 1e6;
    const logGb = P('logsIngestionPerGb') / 1e9;
    const sqs = P('sqsPerMillion') / 1e6;
    const put = P('s3PutPerThousand') / 1000;
    const get = P('s3GetPerThousand') / 1000;
    const sfn = P('sfnTransitionPerThousand') / 1000;
    const idlePolls = 5 * 3 * 60 * 730 * sqs;
    const common = (rows: number) => put + P('snsPublishPerMillion') / 1e6 + 3 * sqs + lambdaReq + 0.1 * 0.25 * gbS + rows * (rru + wru);

    const expected = {
      // Provisioned concurrency, two M2M app clients and 5,000 token requests, 5M REST calls, Lambda,
      // 4M reads and 1.75M writes, 1,600 bytes of logs a request
      API:
        10.95 +
        2 * P('cognitoM2mAppClientMonth') +
        5_000 * (P('cognitoM2mTokenPerThousand') / 1000) +
        5e6 * (P('restApiPerMillion') / 1e6 + lambdaReq + 0.05 * 0.25 * gbS + 1600 * logGb) +
        4e6 * rru +
        1.75e6 * wru,
      // 50,000 files in 5,000 batches of 10
      Uploads:
        50_000 * (put + get + P('snsPublishPerMillion') / 1e6 + (1 / 225) * 0.25 * gbS + 2 * wru) +
        60_000 * sqs +
        idlePolls +
        5_000 * (lambdaReq + 1000 * logGb),
      Imports:
        idlePolls +
        // 300 files of 5,000 rows (5 chunks) on the Lambda path
        300 *
          (7 * sfn +
            4 * lambdaReq +
            (1 * (5_000 / 15_442) + 0.5 * (5_000 / 49_065) + (1769 / 1024) * (5_000 / 1_291) + 0.25 * 0.05) * gbS +
            12 * put +
            11 * get +
            (6 * 400 + 4 * 1000) * logGb +
            common(5_000)) +
        // 10 files of 1,000,000 rows (75 MB) on the Fargate job, through prod's NAT
        10 *
          (5 * sfn +
            ((60 + 1e6 / 1_749) / 3600) * 0.079 +
            2 * lambdaReq +
            (1 * 0.1 + 0.25 * 0.05) * gbS +
            get +
            0.15 * P('natGatewayPerGb') +
            (5 * 400 + 4 * 1000) * logGb +
            common(1e6)),
      Schedules:
        34 * (P('schedulerPerMillion') / 1e6 + lambdaReq + 1000 * logGb) + (30 * 1 + 4 * (1 + 20)) * 0.25 * gbS + (4 * 20 + 30) * put,
      // ALB with one LCU, two 1 vCPU / 2 GB tasks, and 300 scans of 100,000 users of 200 bytes (4,883 pages of 4 KB, half a unit each)
      Export: 24.24 + 57.67 + 300 * 4_883 * 0.5 * rru,
      'Data stored': 5 * P('dynamoStorageGbMonth') + 500 * P('s3StorageGbMonth'),
      // Three NAT gateways (one per zone), two keys, 42 alarms, one dashboard
      'Platform fixed': 3 * 730 * 0.048 + 2 + 4.2 + 3,
    };
    const estimate = estimateUsage('prod', templatesOf('prod'), loadProfile('growth'), table);

    for (const flow of FLOWS) expect([flow, round(estimate.byFlow[flow].total)]).toEqual([flow, round(expected[flow])]);
    const total = Object.values(expected).reduce((sum, usd) => sum + usd, 0);
    expect(round(estimate.totalUsd)).toBe(round(total));
  });

  it("prints the per-flow table through the CLI's own function, with the total the flows add up to", () => {
    const output = runCost(templates, { env: 'prod', profile: 'growth' });
    const rows = [...output.text.matchAll(/^\| ([A-Za-z ]+) \| \$([\d,.]+) \| \$([\d,.]+) \| \$([\d,.]+) \|$/gm)];
    const money = (text: string) => Number(text.replaceAll(',', ''));
    const totalRow = output.text.match(/^\| \*\*total\*\* \| \*\*\$([\d,.]+)\*\* \| \*\*\$([\d,.]+)\*\* \| \*\*\$([\d,.]+)\*\* \|$/m);

    expect(rows.map((row) => row[1])).toEqual([...FLOWS]);
    for (const row of rows) expect(round(money(row[2]) + money(row[3]))).toBeCloseTo(money(row[4]), 1);
    expect(totalRow).not.toBeNull();
    // Each flow is rounded on its own: the sum of seven may differ from the total by a few cents at most.
    expect(Math.abs(rows.reduce((sum, row) => sum + money(row[4]), 0) - money(totalRow![3]))).toBeLessThanOrEqual(0.04);
    expect(money(totalRow![3])).toBe(round(output.usage!.totalUsd));
    expect(output.text).toContain('## Free tier (shown apart, never subtracted above)');
    expect(output.text).toContain('| apiDurationSeconds | 0.05 s billed per API invocation (warm) |');
  });

  it('shows the free tier separately and never takes it off a line', () => {
    const estimate = estimateUsage('prod', templatesOf('prod'), loadProfile('growth'), pricesFor('eu-west-1'));
    const lambdaRequests = estimate.freeTier.find((use) => use.key === 'lambdaRequests')!;

    expect(estimate.lines.reduce((sum, line) => sum + line.usd, 0)).toBeCloseTo(estimate.totalUsd, 9);
    expect(lambdaRequests.allowance).toBe(1_000_000);
    expect(lambdaRequests.worthUsd).toBeCloseTo(0.2, 9); // 1M free requests x $0.20 per million
    expect(estimate.totalAfterFreeTierUsd).toBeLessThan(estimate.totalUsd);
  });

  it("runs no scheduled job where the templates' schedules are disabled (dev), whatever the profile says", () => {
    const runs = (env: string) =>
      estimateUsage(env, templatesOf(env), loadProfile('growth'), pricesFor('eu-west-1')).lines.find((line) =>
        line.item.startsWith('EventBridge Scheduler invocations'),
      )!;

    expect([runs('dev').item, runs('dev').quantity]).toEqual(['EventBridge Scheduler invocations (schedules disabled)', 0]);
    expect(runs('prod').quantity).toBe(34); // 30 daily reports and 4 weekly cleanups
  });

  it('reads its options as the CLI gets them, and prices the same templates in another region', () => {
    const options = parseCostArgs(['--env', 'prod', '--profile', 'growth', '--region', 'us-east-1']);
    const eu = runCost(templates, { env: 'prod', profile: 'growth' }).usage!;
    const us = runCost(templates, options).usage!;

    expect(options).toMatchObject({ assembly: 'cdk.out', env: 'prod', profile: 'growth', region: 'us-east-1', breakeven: false });
    expect(() => parseCostArgs(['--profile'])).toThrow('--profile needs a value');
    expect(() => runCost(templates, { env: 'qa', profile: 'idle' })).toThrow(
      /No stacks of environment qa in the assembly \(it has dev, staging, prod\)/,
    );
    // NAT gateways $0.045 an hour in us-east-1 against $0.048 in eu-west-1: 3 x 730 h x $0.003
    expect(round(eu.byFlow['Platform fixed'].total - us.byFlow['Platform fixed'].total)).toBe(6.57);
    expect(us.region).toBe('us-east-1');
  });

  it('refuses a profile whose request mix does not add up to 1, naming the field', () => {
    const file = path.join(os.tmpdir(), `cost-profile-${process.pid}.json`);
    fs.writeFileSync(file, JSON.stringify({ ...loadProfile('growth'), api: { ...loadProfile('growth').api, mix: { 'GET /users': 0.5 } } }));

    expect(() => loadProfile(file)).toThrow(/api\.mix: the shares of api\.mix must add up to 1/);
    expect(() => loadProfile('no-such-profile')).toThrow(/give one of idle, startup, growth, high/);
  });

  it('prices Cognito M2M app clients and token requests where the templates have them, and shows the lines at zero otherwise', () => {
    const withoutPool = Object.fromEntries(
      Object.entries(templatesOf('prod')).map(([stack, template]) => [
        stack,
        {
          ...template,
          Resources: Object.fromEntries(
            Object.entries(template.Resources ?? {}).filter(
              ([, resource]) => !String((resource as { Type: string }).Type).startsWith('AWS::Cognito::'),
            ),
          ),
        },
      ]),
    );
    const withPeople = {
      ...templatesOf('prod'),
      'prod/People': { Resources: { People: { Type: 'AWS::Cognito::UserPoolClient', Properties: { AllowedOAuthFlows: ['code'] } } } },
    };
    const cognito = (estimate: ReturnType<typeof estimateUsage>) =>
      estimate.lines.filter((line) => line.item.startsWith('Cognito')).map((line) => [line.item, line.quantity, round(line.usd)]);

    // prod's two client-credentials clients x $6; 5,000 tokens x $2.25 per 1,000. A client for people
    // (authorization code) is not an M2M client.
    expect(cognito(estimateUsage('prod', withPeople, loadProfile('growth'), pricesFor('us-east-1')))).toEqual([
      ['Cognito M2M app clients', 2, 12],
      ['Cognito M2M token requests', 5_000, 11.25],
    ]);
    expect(cognito(estimateUsage('prod', withoutPool, loadProfile('growth'), pricesFor('us-east-1')))).toEqual([
      ['Cognito M2M app clients', 0, 0],
      ['Cognito M2M token requests', 0, 0],
    ]);
  });
});

describe('break-even', () => {
  const report = breakEven(templatesOf('prod'), loadProfile('growth'), pricesFor('eu-west-1'));

  it('finds the request rate where ALB + Fargate and API Gateway + Lambda cost the same, and the order flips on either side', () => {
    const rate = report.apiRequestsPerSecond!;

    expect(rate).toBeGreaterThan(0);
    expect(Math.abs(lambdaMonthlyUsd(report.api, rate) - containersMonthlyUsd(report.api, rate))).toBeLessThan(0.01);
    expect(lambdaMonthlyUsd(report.api, rate * 0.9)).toBeLessThan(containersMonthlyUsd(report.api, rate * 0.9));
    expect(lambdaMonthlyUsd(report.api, rate * 1.1)).toBeGreaterThan(containersMonthlyUsd(report.api, rate * 1.1));
    // Two tasks for availability; the measured per-task rate is far above the crossing.
    expect(tasksNeeded(report.api, rate)).toBe(2);
  });

  it('finds the import file size where the Fargate job and the Lambda steps cost the same, and the order flips on either side', () => {
    const rows = report.imports.rows!;
    const at = (n: number) => report.imports.usdAt(n);

    expect(Math.abs(at(rows).lambda - at(rows).fargate)).toBeLessThan(0.01);
    expect(at(rows * 0.8).lambda).toBeLessThan(at(rows * 0.8).fargate);
    expect(at(rows * 1.2).lambda).toBeGreaterThan(at(rows * 1.2).fargate);
    // Load continues from its checkpoint, so Validate's 300 s at 15,442 rows/s caps the Lambda path
    // (one invocation reads the whole file): 4,632,600 rows.
    expect(Math.round(report.imports.lambdaLimitRows)).toBe(4_632_600);
  });

  it('prints both points and writes an SVG chart with both curves and the crossing', () => {
    const output = runCost(templates, { breakeven: true, chart: 'out/chart.svg' });
    const svg = output.files['out/chart.svg'];

    expect(output.text).toMatch(/Above \*\*\d+\.\d\d requests\/s sustained\*\*/);
    expect(output.text).toMatch(/Above \*\*\d+\.\d MB\*\* \([\d,]+ rows\) the Fargate job/);
    expect(svg).toMatch(/^<svg /);
    expect(svg).toContain(`break-even ${report.apiRequestsPerSecond!.toFixed(1)} req/s`);
    expect(svg.match(/<path d="M/g)).toHaveLength(2);
    expect(output.text).toMatch(/X = crossing/);
    const imports = output.files['out/chart-imports.svg'];
    expect(imports).toContain(`break-even ${(report.imports.bytes! / 1e6).toFixed(1)} MB`);
    expect(imports).toContain('Lambda steps time out');
  });

  it('keeps the import chart readable: the limit label inside the plot, the threshold as the text states it, whole-dollar ticks', () => {
    const imports = runCost(templates, { breakeven: true, chart: 'out/chart.svg' }).files['out/chart-imports.svg'];
    const limitLabels = [...imports.matchAll(/<text x="([\d.]+)"([^>]*)>(Lambda steps time out|above [\d.]+ MB)<\/text>/g)];
    const plotRight = Number(/<rect x="96" y="92" width="([\d.]+)"[^>]*fill="none"/.exec(imports)![1]) + 96;

    expect(limitLabels).toHaveLength(2);
    // The limit sits near the right edge (347 MB of a 1,000 MB axis): its label must not run on into the legend.
    for (const [, x, attributes] of limitLabels)
      expect(attributes.includes('text-anchor="end"') || Number(x) + 160 <= plotRight).toBe(true);
    // The threshold is 3 MiB = 3.1 MB, as the text prints it, not "3 MB".
    expect(imports).toContain(`threshold ${(report.imports.configuredThresholdBytes / 1e6).toFixed(1)} MB`);
    expect(imports).not.toMatch(/>\$1\.0</);
  });

  it("writes the charts docs/decisions.md shows (prod, eu-west-1, growth) by default, and any other run's charts under their own names", () => {
    expect(Object.keys(runCost(templates, { breakeven: true }).files)).toEqual(['docs/breakeven.svg', 'docs/breakeven-imports.svg']);
    expect(Object.keys(runCost(templates, { breakeven: true, env: 'prod', region: 'eu-west-1', profile: 'growth' }).files)).toEqual([
      'docs/breakeven.svg',
      'docs/breakeven-imports.svg',
    ]);
    // A look at dev, at us-east-1 or at another profile must not overwrite the committed prod charts.
    expect(Object.keys(runCost(templates, { breakeven: true, env: 'dev' }).files)).toEqual([
      'docs/breakeven-dev-eu-west-1-growth.svg',
      'docs/breakeven-dev-eu-west-1-growth-imports.svg',
    ]);
    expect(Object.keys(runCost(templates, { breakeven: true, region: 'us-east-1', profile: 'startup' }).files)).toEqual([
      'docs/breakeven-prod-us-east-1-startup.svg',
      'docs/breakeven-prod-us-east-1-startup-imports.svg',
    ]);
    const profileFile = path.join(__dirname, '..', '..', 'tools', 'cost-estimate', 'profiles', 'high.json');
    expect(Object.keys(runCost(templates, { breakeven: true, profile: profileFile }).files)[0]).toBe(
      'docs/breakeven-prod-eu-west-1-high.svg',
    );
  });
});

describe('an environment without the export service', () => {
  const stage = synthesizedVariant('dev-without-export-service');
  const devTemplates = Object.fromEntries(stacksOf(stage).map((stack) => [`dev/${stack.id}`, templateOf(stack).toJSON()]));

  it('has no load balancer, service or alarm on them, and no output pointing at them', () => {
    const containers = JSON.stringify(devTemplates['dev/Containers']);
    const operations = JSON.stringify(devTemplates['dev/Operations']);

    expect(containers).not.toContain('AWS::ElasticLoadBalancingV2::LoadBalancer');
    expect(containers).not.toContain('AWS::ECS::Service');
    expect(containers).not.toContain('ExportUrl');
    expect(containers).toContain('AWS::ECS::TaskDefinition'); // the import job stays
    expect(operations).not.toMatch(/LoadBalancer|TargetGroup/);
  });

  it('idles under $15 a month in dev after the always-free tier, and the table shows what turning the service on adds', () => {
    const idle = runCost(devTemplates, { env: 'dev', profile: 'idle' }).usage!;
    const [withoutService] = estimateEnvironments(devTemplates);
    const line = (item: string) => idle.lines.filter((candidate) => candidate.item === item);

    // What is left at list price: two customer keys, the alarms and dashboard, and one M2M client
    // (the users client: there is no export reader without the export service).
    expect(line('Cognito M2M app clients').map((candidate) => candidate.quantity)).toEqual([1]);
    // Just over $15 at list price (docs/decisions.md gives it to the cent, checked below).
    expect(idle.totalUsd).toBeLessThan(16);
    // CloudWatch's always-free alarms and dashboards (per account: dev deploys to its own).
    expect(idle.totalAfterFreeTierUsd).toBeLessThan(15);
    expect(round(idle.byFlow.Export.total)).toBe(0);
    // The same environment deployed with the service on costs what the table says it would, but for
    // the service's two alarms in the Operations stack ($0.10 each) and its reader's M2M client ($6),
    // which the figure leaves out.
    expect(byName.dev.fixedMonthlyUsd - withoutService.withExportServiceUsd!).toBeCloseTo(6.2, 5);
    expect(withoutService.withExportServiceUsd! - withoutService.fixedMonthlyUsd).toBeGreaterThan(24);
    expect(toMarkdown([withoutService], 'test prices')).toMatch(
      /\| dev \| \$\d+\.\d\d \| \$\d+\.\d\d \| \$\d+\.\d\d \(config turns it off\) \|/,
    );
  });

  it("keeps docs/decisions.md's cost per environment and profile equal to what the tool computes from today's templates", () => {
    const doc = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'decisions.md'), 'utf8');
    const rows: Record<string, { templates: Record<string, CostTemplate>; env: string; region?: string }> = {
      'dev (export service on, as shipped)': { templates, env: 'dev' },
      'dev with `containers.exportServiceEnabled: false`': { templates: devTemplates, env: 'dev' },
      staging: { templates, env: 'staging' },
      prod: { templates, env: 'prod' },
      'prod, us-east-1 prices': { templates, env: 'prod', region: 'us-east-1' },
    };
    const profiles = ['idle', 'startup', 'growth', 'high'];
    const money = (cell: string) => (cell.trim() === '' ? undefined : Number(cell.replaceAll(/[*$,\s]/g, '')));
    for (const [label, { templates: selected, env, region }] of Object.entries(rows)) {
      const line = doc.split('\n').find((text) => text.startsWith(`| ${label} |`));
      expect(line).toBeDefined();
      const documented = line!
        .split('|')
        .slice(2, 2 + profiles.length)
        .map(money);
      const computed = profiles.map((profile, index) =>
        documented[index] === undefined ? undefined : round(runCost(selected, { env, profile, region }).usage!.totalUsd),
      );
      expect({ label, documented }).toEqual({ label, documented: computed });
    }
  });
});
