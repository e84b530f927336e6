"""The web console shell: one layout, one navigation, Chinese by default with an English switch.

Domains add pages by providing ``citybrain/<domain>/web.py`` with a ``router`` (FastAPI
``APIRouter`` of HTML routes) and ``NAV_ITEMS`` (:class:`citybrain.web.console.NavItem`).
"""
