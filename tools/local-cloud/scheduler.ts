import { Cron } from 'croner';

/** A timer for an EventBridge Scheduler expression: cron(...), rate(...) or at(...). */
export function scheduleTimer(expression: string, timezone: string, fire: (time: Date) => void): { stop(): void } | undefined {
  const rate = /^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (rate !== null) {
    const unit = rate[2].startsWith('minute') ? 60_000 : rate[2].startsWith('hour') ? 3_600_000 : 86_400_000;
    const timer = setInterval(() => fire(new Date()), Number(rate[1]) * unit);
    timer.unref();
    return { stop: () => clearInterval(timer) };
  }
  const cron = /^cron\((.+)\)$/.exec(expression);
  if (cron !== null) {
    const pattern = toCronerPattern(cron[1]);
    const job = new Cron(pattern, { timezone, unref: true }, () => fire(new Date()));
    return { stop: () => job.stop() };
  }
  const at = /^at\((.+)\)$/.exec(expression);
  if (at !== null) {
    const job = new Cron(new Date(`${at[1]}`), { timezone, unref: true }, () => fire(new Date()));
    return { stop: () => job.stop() };
  }
  return undefined;
}

/**
 * EventBridge cron has six fields (minutes hours day-of-month month day-of-week year) with `?`
 * and 1-7 = SUN-SAT; croner takes five (plus seconds) with 0-6 = SUN-SAT.
 */
export function toCronerPattern(fields: string): string {
  const [minutes, hours, dayOfMonth, month, dayOfWeek] = fields.trim().split(/\s+/);
  const weekday = dayOfWeek === '?' ? '*' : dayOfWeek.replace(/\d/g, (digit) => String((Number(digit) + 6) % 7));
  return `0 ${minutes} ${hours} ${dayOfMonth === '?' ? '*' : dayOfMonth} ${month} ${weekday}`;
}
