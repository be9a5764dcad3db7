"""The campaign report: the printable page and its exports (CSV, tidy CSV, XLSX, JSON)."""

from flask import Blueprint

bp = Blueprint("reports", __name__)

from . import views  # noqa: E402,F401
