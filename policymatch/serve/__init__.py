"""``policymatch serve``: the 政策计算器 as an HTTP service for other county systems.

Modules: :mod:`.config` (settings and tokens), :mod:`.auth` (bearer tokens, scopes, rate
limits), :mod:`.policy_store` (the policy set, reloaded atomically when its folder changes),
:mod:`.answers` (one enterprise against every policy in force), :mod:`.app` (the FastAPI
application and its routes). Needs the ``serve`` extra (``pip install 'policymatch[serve]'``).
See docs/serve.md.
"""
