"""End-to-end tests of an Overture deployment with pytest and Playwright: ``pip install overture[e2e]``.

- :mod:`overture_e2e.plugin` — the pytest plugin (loaded by its entry point): options
  ``--overture-url``, ``--overture-personas``, ``--overture-chromium``; fixtures
  ``persona``, ``overture_api``, ``unique_name``, ``overture_url``, ``overture_personas``;
- :mod:`overture_e2e.personas` — the personas file: persona names → accounts, secrets
  from environment variables;
- :mod:`overture_e2e.api` — :class:`~overture_e2e.api.Api`: records, runs, work items, and
  waiting by polling the API;
- page objects: :mod:`overture_e2e.work_pages` (My work, a work item's page, records and a
  record's page with its Work Guide), :mod:`overture_e2e.pages` (sign-in, orchestrations,
  builder, monitor, a run's page), :mod:`overture_e2e.shell_pages`,
  :mod:`overture_e2e.admin_pages`;
- :mod:`overture_e2e.contract` — the ``data-testid``s the front end keeps for them.

Nothing is imported here, so that loading the plugin costs nothing where Playwright is
not installed: import from the modules.
"""
