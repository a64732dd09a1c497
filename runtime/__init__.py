"""Overture's runtime: the orchestration document, its compiled spec and the engine."""
