/**
 * A text input that suggests the names in scope, each with its label and type (ARIA 1.2
 * combobox with a listbox popup): typing filters on the name and the label; ↓/↑ move,
 * Enter picks, Escape closes. A native <datalist> shows neither label nor type.
 *
 * The names are asked for only when the list opens, so a field costs nothing until used.
 */
import { useEffect, useEffectEvent, useMemo, useRef, useState } from 'react';

import { filterNames, typeLabel, type ExpressionName } from '../../lib/expression-scope';

/** How many suggestions show at once: a big draft has thousands of names; typing narrows them. */
const SHOWN = 50;

type Props = {
  id: string;
  value: string;
  onChange: (name: string) => void;
  /** Called when the list opens: the names to offer. */
  names: () => readonly ExpressionName[];
  placeholder?: string;
  className?: string;
  describedBy?: string;
};

export function NameCombobox({ id, value, onChange, names, placeholder, className, describedBy }: Props) {
  const [open, setOpen] = useState(false);
  const [offered, setOffered] = useState<readonly ExpressionName[]>([]);
  // What was typed since the list opened: a name already chosen shows every name, not just itself.
  const [typed, setTyped] = useState<string | null>(null);
  const [active, setActive] = useState(0);
  const list = useRef<HTMLUListElement>(null);
  const listId = `${id}-names`;

  const matches = useMemo(() => (open ? filterNames(offered, typed ?? '', SHOWN + 1) : []), [open, offered, typed]);
  const shown = matches.slice(0, SHOWN);

  const show = () => {
    if (open) return;
    const all = names();
    setOffered(all);
    setTyped(null);
    // The name already chosen is the active one: Enter keeps it, the arrows move from it.
    setActive(
      Math.max(
        0,
        filterNames(all, '', SHOWN).findIndex((n) => n.name === value.trim()),
      ),
    );
    setOpen(true);
  };

  // The list opens below the input, maybe below the fold of the properties panel: bring it (and the active option) into view.
  // Only when it opens (an effect event reads the active option without reacting to it):
  // moving through the options scrolls them itself.
  const bringIntoView = useEffectEvent(() => {
    list.current?.scrollIntoView?.({ block: 'nearest' });
    list.current?.children[active]?.scrollIntoView?.({ block: 'nearest' });
  });
  useEffect(() => {
    if (open) bringIntoView();
  }, [open]);
  const close = () => {
    setOpen(false);
    setTyped(null);
  };
  const pick = (entry: ExpressionName) => {
    onChange(entry.name);
    close();
  };
  const move = (delta: number) => {
    if (!open) {
      show();
      return;
    }
    if (shown.length === 0) return;
    const next = (active + delta + shown.length) % shown.length;
    setActive(next);
    list.current?.children[next]?.scrollIntoView?.({ block: 'nearest' });
  };

  const current = open ? shown[Math.min(active, shown.length - 1)] : undefined;
  return (
    <div className={`name-combobox${className ? ` ${className}` : ''}`}>
      <input
        id={id}
        className="mono"
        role="combobox"
        aria-expanded={open}
        aria-controls={listId}
        aria-autocomplete="list"
        aria-activedescendant={current ? `${listId}-${shown.indexOf(current)}` : undefined}
        aria-describedby={describedBy}
        autoComplete="off"
        spellCheck={false}
        placeholder={placeholder}
        value={value}
        onFocus={show}
        onClick={show}
        onBlur={close}
        onChange={(e) => {
          onChange(e.target.value);
          if (!open) {
            setOffered(names());
            setOpen(true);
          }
          setTyped(e.target.value);
          setActive(0);
        }}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown') {
            e.preventDefault();
            move(1);
          } else if (e.key === 'ArrowUp') {
            e.preventDefault();
            move(-1);
          } else if (e.key === 'Enter' && current) {
            e.preventDefault();
            pick(current);
          } else if (e.key === 'Escape' && open) {
            e.preventDefault();
            e.stopPropagation();
            close();
          }
        }}
      />
      {/* Pressing in the list (an option, its scrollbar) keeps the focus in the input: a blur would close it first. */}
      <ul
        id={listId}
        role="listbox"
        className="name-combobox__list"
        ref={list}
        hidden={!open}
        aria-label="Names in scope"
        onMouseDown={(e) => e.preventDefault()}
      >
        {shown.map((entry, index) => (
          <li
            key={entry.name}
            id={`${listId}-${index}`}
            role="option"
            aria-selected={entry === current}
            className="name-combobox__option"
            onClick={() => pick(entry)}
            onMouseMove={() => {
              if (index !== active) setActive(index);
            }}
          >
            <span className="name-combobox__label">{entry.label}</span>
            <span className="name-combobox__type">{typeLabel(entry)}</span>
            <span className="name-combobox__name mono">{entry.name}</span>
          </li>
        ))}
      </ul>
      {open && shown.length === 0 ? (
        <span className="name-combobox__empty" role="status">
          No name in scope matches.
        </span>
      ) : null}
      {open && matches.length > SHOWN ? (
        <span className="name-combobox__empty" role="status">
          The first {SHOWN} names: type to narrow them.
        </span>
      ) : null}
    </div>
  );
}
