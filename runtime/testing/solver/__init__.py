"""Solving CEL conditions for generated path tests.

A generated path test must choose inputs, record fields, form values and outcomes that
make each decision on the path take the chosen outcome. This package does that for the
part of CEL that business conditions use: comparisons (``< <= > >= == !=``) of a value
with a constant (numbers, with ``double()``/``int()`` casts, strings, booleans, null),
``x + c`` offsets, ``in [..]`` membership, ``&&``, ``||``, ``!`` and ``? :``.

It works in three steps, one module each (each imports only the ones before it):

1. :mod:`.syntax` — :func:`~.syntax.parse` reads an expression into a small syntax tree
   (the ``cel`` binding compiles to an opaque program and exposes no tree, so the
   grammar of the CEL specification is implemented here for what conditions need);
2. :mod:`.reduction` — :func:`~.reduction.reduce` substitutes what is known —
   constants, and :class:`~.syntax.Sym` for the values a scenario may choose — and
   folds what can be computed;
3. :mod:`.formulas` — :func:`~.formulas.to_formula` turns the result into a
   :class:`~.formulas.Formula` over atoms such as ``record.amount >= 50000``; and
   :mod:`.search` — :func:`~.search.solve` searches values that make a list of formulas
   true, or explains why none exist.

Whatever is beyond it (``size(x)``, ``x.startsWith(..)``, ``now``, comparing two
chosen values) becomes an :class:`~.formulas.Unknown` literal: the search assumes it
can be made true, reports its text in :attr:`~.search.Solution.unsolved` and gives the
values only it mentions the placeholder :data:`~.search.TODO`.

Callers import from the module that defines a name; this package re-exports nothing.
"""
