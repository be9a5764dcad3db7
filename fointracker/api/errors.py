"""The API's errors, as JSON in the shape its OpenAPI document gives (schemas.ErrorSchema)."""

from __future__ import annotations

from flask import jsonify, request
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException, InternalServerError

from ..extensions import db
from . import API_PREFIX

# Said in words when the view gave no message of its own.
MESSAGES = {
    400: "The request could not be read.",
    401: "Send a valid API token: Authorization: Bearer fit_…",
    403: "Your role does not allow this.",
    404: "There is nothing at this address.",
    405: "This address does not take that method.",
    413: "The request body is too large.",
    422: "The request was not valid: see errors.",
    500: "Something went wrong. The error has been logged; nothing was saved.",
}


def is_api_request() -> bool:
    return request.path.startswith(API_PREFIX)


def error_response(error: HTTPException):
    """{code, status, message[, errors]}; 401 says how to authenticate."""
    code = error.code or 500
    if code >= 500:
        try:
            db.session.rollback()
        except SQLAlchemyError:  # the database is down: the 503 says so
            pass
    data = getattr(error, "data", None) or {}
    given = error.description if error.description != type(error).description else None
    message = data.get("message") or given or MESSAGES.get(code, error.name)
    body = {"code": code, "status": error.name, "message": message}
    errors = data.get("errors") or data.get("messages")
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = code
    for name, value in (data.get("headers") or {}).items():
        response.headers[name] = value
    if code == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="fointracker"'
    if code == 405 and hasattr(error, "valid_methods") and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


CODES = (400, 401, 403, 404, 405, 409, 413, 415, 422, 429, 500)


def register(blueprint) -> None:
    """Per code on the blueprint: Flask prefers a handler for the code, the blueprint's first, to
    one for a class, so these win over web.py's HTML pages for the API's own URLs."""
    for code in CODES:
        blueprint.register_error_handler(code, error_response)


def unmatched_api_error(error):
    """For web.py's handlers: an /api/ URL no rule matched (no blueprint) still answers JSON."""
    if not isinstance(error, HTTPException):
        error = InternalServerError()
    return error_response(error)
