"""The running service: what keeps the stages going between `vnawatch run` and a stop.

- ``timetable``: which jobs config.yaml calls for, and their triggers;
- ``tasks``: the body of each job, calling the stage entry points
  (``crawler.run.crawl``, ``alerts.jobs.*``);
- ``configwatch`` and ``configdiff``: config.yaml edits noticed, validated and
  described; ``scheduler.Service`` applies them;
- ``instance``: one scheduler per database, a clean stop on SIGTERM/SIGINT;
- ``health`` and ``alarms``: `vnawatch status`, and operators told when a
  condition starts and clears.

The stages (``crawler``, ``alerts``, ``store``) never import this package.
"""
