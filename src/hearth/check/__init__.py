"""`hearth check`: the security checklist, run against an installation, with a fix per finding.

The runner (runner.py) runs each check (checks/, one per module) against a CheckContext
(context.py) and collects a Report (report.py) with a grade (grade.py). The CLI, the REST API,
the WebSocket command and the hub's start-up summary (service.py) all go through `run_checks`.
This package imports nothing itself, so that the hub's start-up does not pay for the checks.
"""
