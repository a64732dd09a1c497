/** The monitor's figure icons as inline SVG: emoji such as ⏸ and ⏰ draw as empty boxes
 * where no emoji font is installed (a plain Linux Chromium). One list feeds the badges and
 * the legend, so they cannot disagree. */

export type FigureKind = 'active' | 'waiting' | 'completed' | 'error' | 'overdue';

export const FIGURES: readonly { kind: FigureKind; label: string }[] = [
  { kind: 'active', label: 'Active now' },
  { kind: 'waiting', label: 'Waiting now' },
  { kind: 'completed', label: 'Completed in the window' },
  { kind: 'error', label: 'In error now' },
  { kind: 'overdue', label: 'Overdue work items' },
];

const PATHS: Record<FigureKind, React.ReactNode> = {
  active: <path d="M3 2 L10 6 L3 10 Z" fill="currentColor" />,
  waiting: (
    <>
      <rect x="3" y="2" width="2.2" height="8" fill="currentColor" />
      <rect x="6.8" y="2" width="2.2" height="8" fill="currentColor" />
    </>
  ),
  completed: (
    <path
      d="M2 6.5 L5 9.5 L10 3"
      fill="none"
      stroke="currentColor"
      strokeWidth="1.8"
      strokeLinecap="round"
      strokeLinejoin="round"
    />
  ),
  error: <path d="M3 3 L9 9 M9 3 L3 9" fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" />,
  overdue: (
    <>
      <circle cx="6" cy="6" r="4.2" fill="none" stroke="currentColor" strokeWidth="1.4" />
      <path d="M6 3.6 V6 L7.8 7.2" fill="none" stroke="currentColor" strokeWidth="1.3" strokeLinecap="round" />
    </>
  ),
};

/** One figure's icon; decorative (the figure's title or the legend says what it is). */
export function FigureIcon({ kind }: { kind: FigureKind }) {
  return (
    <svg
      className="figure-icon"
      data-icon={kind}
      viewBox="0 0 12 12"
      width="10"
      height="10"
      aria-hidden="true"
      focusable="false"
    >
      {PATHS[kind]}
    </svg>
  );
}
