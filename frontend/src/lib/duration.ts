/**
 * ISO-8601 durations (FORMAT.md: `P2D`, `PT4H`, `P1M`, `P1W`) ⇄ "a number and a unit",
 * the friendly input the inspector shows. A duration with several parts (`P1DT2H`)
 * is not one number and a unit: the inspector shows it as text.
 */

export const DURATION_UNITS = ['seconds', 'minutes', 'hours', 'days', 'weeks', 'months', 'years'] as const;
export type DurationUnit = (typeof DURATION_UNITS)[number];
export type SimpleDuration = { amount: number; unit: DurationUnit };

const DESIGNATORS: Record<DurationUnit, { time: boolean; letter: string }> = {
  seconds: { time: true, letter: 'S' },
  minutes: { time: true, letter: 'M' },
  hours: { time: true, letter: 'H' },
  days: { time: false, letter: 'D' },
  weeks: { time: false, letter: 'W' },
  months: { time: false, letter: 'M' },
  years: { time: false, letter: 'Y' },
};

const ISO = /^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/;

/** True for an ISO-8601 duration the runtime reads (`P2D`, `PT4H`, `P1DT2H`…). */
export function isDuration(text: string): boolean {
  return ISO.test(text.trim());
}

/** `P2D` → 2 days; null for an empty, invalid or several-part duration. */
export function parseDuration(text: string): SimpleDuration | null {
  const match = /^P(?:(\d+)([YMWD])|T(\d+)([HMS]))$/.exec(text.trim());
  if (!match) return null;
  const [, dateAmount, dateLetter, timeAmount, timeLetter] = match;
  const amount = Number(dateAmount ?? timeAmount);
  const unit = (Object.keys(DESIGNATORS) as DurationUnit[]).find((u) => {
    const d = DESIGNATORS[u];
    return dateLetter !== undefined ? !d.time && d.letter === dateLetter : d.time && d.letter === timeLetter;
  });
  return unit === undefined ? null : { amount, unit };
}

/** 2 days → `P2D`. */
export function formatDuration({ amount, unit }: SimpleDuration): string {
  const whole = Math.max(0, Math.floor(amount));
  const { time, letter } = DESIGNATORS[unit];
  return time ? `PT${whole}${letter}` : `P${whole}${letter}`;
}

/** `P2D` → "2 days"; anything else as it is. */
export function describeDuration(text: string): string {
  const simple = parseDuration(text);
  if (!simple) return text;
  const unit = simple.amount === 1 ? simple.unit.slice(0, -1) : simple.unit;
  return `${simple.amount} ${unit}`;
}
