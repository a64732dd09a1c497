import { Link } from 'react-router';

import { guardLink } from '../lib/leave-guard';

/** One step of a trail: a link (`to`) to a page above, else plain text (the last one is this page). */
export type Crumb = { label: string; to?: string };

/**
 * Where a deep page sits: `Runs › Contract approval › ACME renewal`. Names, not ids; the
 * last crumb without `to` is this page (`aria-current`).
 */
export function Breadcrumbs({ trail, className }: { trail: Crumb[]; className?: string }) {
  return (
    <nav aria-label="Breadcrumb" className={`breadcrumbs${className ? ` ${className}` : ''}`}>
      <ol>
        {trail.map((crumb, i) => (
          <li key={`${i}-${crumb.label}`}>
            {crumb.to ? (
              <Link to={crumb.to} onClick={guardLink}>
                {crumb.label}
              </Link>
            ) : (
              <span aria-current={i === trail.length - 1 ? 'page' : undefined}>{crumb.label}</span>
            )}
          </li>
        ))}
      </ol>
    </nav>
  );
}
