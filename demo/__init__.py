"""The offline demo and its sample site; not production code.

- ``run``: `vnawatch demo`, the whole pipeline against a local copy of the outlets;
- ``localsite``: a static HTTP server for that copy, with fault hooks for tests;
- ``sitegen``: the feeds, sitemaps and listing pages of the bundled ``sample_site``.
"""
