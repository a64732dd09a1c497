"""Scenarios through the real UI (``overture test --ui URL``, ``pytest --overture-ui URL``).

The same ``*.scenario.yaml`` files the in-memory runner plays are played on a running
server: each persona signs in to a browser of its own and does its steps on the pages
(``runner.py`` says what each step does there); ``personas.py`` maps personas to the
server's accounts; ``report.py`` writes the HTML report and JUnit XML.

Playwright is optional (``pip install overture[e2e]``): only ``pages.py`` imports it, and
nothing here is imported before a scenario runs through the UI.
"""
