/** The orchestration's versions: open one read-only, or compare two (or one with the draft). */
import { useState } from 'react';
import { Link } from 'react-router';

import { useNameOf } from '../hooks/use-people';
import type { VersionSummary } from '../lib/api-schemas';
import { useSessionStore } from '../store/session-store';
import { useViewStore, type BuilderView, type VersionRef } from '../store/view-store';

type Props = {
  /** The orchestration's key: its versions' audit entries are those of "version <key>:<n>". */
  orchestration: string;
  versions: VersionSummary[];
  activeVersion: number | null;
  onGo: (view: BuilderView) => void;
};

function when(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

function parseRef(value: string): VersionRef {
  return value === 'draft' ? 'draft' : Number(value);
}

export function VersionsPanel({ orchestration, versions, activeVersion, onGo }: Props) {
  const view = useViewStore((s) => s.view);
  const admin = useSessionStore((s) => s.user?.role) === 'admin';
  const nameOf = useNameOf();
  const newest = versions.at(-1)?.number;
  const [from, setFrom] = useState<string>(newest === undefined ? '' : String(newest));
  const [to, setTo] = useState<string>('draft');
  const refs = [...versions].reverse().map((v) => ({ value: String(v.number), label: `Version ${v.number}` }));
  const choices = [{ value: 'draft', label: 'Draft' }, ...refs];

  return (
    <section className="versions" aria-labelledby="versions-title">
      <h2 className="panel-title" id="versions-title">
        Versions
      </h2>
      {view.mode !== 'draft' ? (
        <button type="button" className="primary versions__back" onClick={() => onGo({ mode: 'draft' })}>
          Back to the draft
        </button>
      ) : null}
      {versions.length === 0 ? <p className="field__hint">Never activated: no versions yet.</p> : null}
      <ol className="versions__list" reversed>
        {[...versions].reverse().map((v) => {
          const open = view.mode === 'version' && view.version === v.number;
          return (
            <li key={v.number} className={open ? 'versions__item versions__item--open' : 'versions__item'}>
              <span>
                <strong>Version {v.number}</strong>
                {v.number === activeVersion ? <span className="badge">active</span> : null}
                <br />
                <small className="muted">
                  {when(v.created_at)}
                  {v.created_by ? ` · ${nameOf('user', v.created_by)}` : ''}
                </small>
              </span>
              <button
                type="button"
                className="small"
                disabled={open}
                aria-label={`Open version ${v.number}`}
                onClick={() => onGo({ mode: 'version', version: v.number })}
              >
                Open
              </button>
              {/* Who activated it, and what changed: its audit entries, and the diff from the version before. */}
              <span className="versions__more">
                {admin ? (
                  <Link
                    to={`/admin/audit?object_type=version&object=${encodeURIComponent(`${orchestration}:${v.number}`)}`}
                    aria-label={`Audit entry: who activated version ${v.number}`}
                  >
                    Audit entry
                  </Link>
                ) : null}
                {v.number > 1 ? (
                  <button
                    type="button"
                    className="link"
                    aria-label={`Changes in version ${v.number}`}
                    onClick={() => onGo({ mode: 'diff', from: v.number - 1, to: v.number })}
                  >
                    Changes
                  </button>
                ) : null}
              </span>
            </li>
          );
        })}
      </ol>
      {versions.length > 0 ? (
        <form
          className="versions__compare"
          onSubmit={(event) => {
            event.preventDefault();
            if (from !== '' && from !== to) onGo({ mode: 'diff', from: parseRef(from), to: parseRef(to) });
          }}
        >
          <label htmlFor="compare-from">Compare</label>
          <select id="compare-from" value={from} onChange={(e) => setFrom(e.target.value)}>
            {choices.map((c) => (
              <option key={c.value} value={c.value}>
                {c.label}
              </option>
            ))}
          </select>
          <label htmlFor="compare-to">with</label>
          <select id="compare-to" value={to} onChange={(e) => setTo(e.target.value)}>
            {choices.map((c) => (
              <option key={c.value} value={c.value}>
                {c.label}
              </option>
            ))}
          </select>
          <button type="submit" className="small" disabled={from === '' || from === to}>
            Show changes
          </button>
        </form>
      ) : null}
    </section>
  );
}
