"""Figures straight from the councils' own files (#17): the file viewer (click a cell to take a
figure), saved mappings, the figures queue, bulk verify and double entry."""

from flask import Blueprint

bp = Blueprint("figures", __name__, url_prefix="/figures")

from . import (  # noqa: E402,F401
    double_entry_views,
    mapping_views,  # noqa: E402,F401
    queue_views,
    verify_views,
    viewer_views,  # noqa: E402,F401
)
