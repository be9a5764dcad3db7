"""The JSON API (/api/v1), for notebooks and scripts, and its OpenAPI 3.1 document.

Built with flask-smorest (marshmallow schemas, validated input, the OpenAPI document written from
the same schemas). Chosen over APIFlask because it bolts onto an existing Flask app factory as an
extension and a blueprint, where APIFlask wants to be the application class (its APIBlueprint
needs an APIFlask app); both write OpenAPI 3.1 through apispec.

Every call authenticates with a personal token (`Authorization: Bearer fit_…`, services.api_tokens)
and acts as its user exactly as the web app would: the same role capabilities
(auth.permissions.can: a right the role lacks is 403) and the same campaign scope (services.access:
a campaign the user is not a member of is 404). The session cookie is never read on /api/v1, so a
browser's login cannot be ridden by another site: the blueprint is exempt from CSRF for that
reason (a token in a header is not sent by the browser on its own).
"""

from __future__ import annotations

from flask import Blueprint as FlaskBlueprint
from flask import Flask, current_app
from flask_smorest import Api
from flask_smorest import Blueprint as ApiBlueprint

API_PREFIX = "/api/"
MAX_BODY_BYTES = 1024 * 1024  # a JSON body larger than this is refused (413) before it is read


class ScopedApi(Api):
    """flask-smorest's Api, without its app-wide HTTPException handler: the web pages keep their own
    error pages, and the API's errors are JSON (api.errors)."""

    def _register_error_handlers(self):
        pass


def id_parameter(_converter) -> dict:
    """web.IdConverter's ids in the OpenAPI document: 1 to 2³¹−1 (any other is a 404)."""
    from ..domain.text import MAX_ID

    return {"type": "integer", "minimum": 1, "maximum": MAX_ID}


API_DESCRIPTION = (
    "Read a campaign's requests, timelines and answers, and record events and answers, with a personal "
    "API token (your account page). Everything is limited to the campaigns you are a member of and to "
    "what your role may do."
)
bp = ApiBlueprint("api", __name__, url_prefix="/api/v1", description="fointracker's JSON API")
docs_bp = FlaskBlueprint("api_docs", __name__, url_prefix="/api")


def current_api() -> ScopedApi:
    """This app's Api (one per app: its OpenAPI document is built from that app's rules)."""
    return current_app.extensions["fointracker_api"]


def init_api(app: Flask) -> None:
    from ..web import IdConverter
    from .schemas import ErrorSchema

    app.config.setdefault("API_TITLE", "fointracker")
    app.config.setdefault("API_VERSION", "1")
    app.config.setdefault("OPENAPI_VERSION", "3.1.0")
    api = ScopedApi(spec_kwargs={"info": {"description": API_DESCRIPTION}})
    api.ERROR_SCHEMA = ErrorSchema
    api.init_app(app)
    # flask-smorest's own `openapi` commands: the document is served at /api/openapi.json instead,
    # and the command line keeps only fointracker's (each fuzzed, tests/test_fuzz_cli.py).
    app.cli.commands.pop("openapi", None)
    api.register_converter(IdConverter, id_parameter)
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "description": "A personal API token: fit_…"}
    )
    api.spec.options["security"] = [{"bearerAuth": []}]
    app.extensions["fointracker_api"] = api
    api.register_blueprint(bp)
    app.register_blueprint(docs_bp)


def _set_up_blueprints() -> None:
    """Once, at import: a blueprint is set up before any app registers it."""
    from ..extensions import csrf
    from . import docs, errors, views, writes  # noqa: F401  (the views register on the blueprints)
    from .auth import authenticate_token, token_or_session

    bp.before_request(authenticate_token)
    docs_bp.before_request(token_or_session)
    errors.register(bp)
    csrf.exempt(bp)  # bearer tokens only: no cookie is read here (see the module's docstring)


_set_up_blueprints()
