"""Mail HTML as plain text (#16). The HTML is hostile: nh3 (a maintained sanitiser) first cuts it
down to a handful of layout tags with no attributes, dropping scripts, styles and the <head>;
only then does the stdlib parser turn what is left into lines. Nothing of the HTML is kept.
Quoted replies (<blockquote>) come out as "> " lines, so quoting.split_quoted folds them away."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import nh3

_BLOCK_TAGS = {"p", "div", "table", "tr", "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "hr", "dl"}
_CELL_TAGS = {"td", "th", "dd", "dt"}
_KEPT_TAGS = _BLOCK_TAGS | _CELL_TAGS | {"br", "blockquote", "a"}
_DROPPED_WITH_CONTENT = {"script", "style", "title", "head", "template", "noscript"}
_MAX_QUOTE_DEPTH = 20


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.quote_depth = 0
        self.list_depth = 0

    def _break(self) -> None:
        line = re.sub(r"[ \u00a0]+", " ", "".join(self.current)).strip()
        prefix = "> " * min(self.quote_depth, _MAX_QUOTE_DEPTH)
        if line or (self.lines and self.lines[-1].strip("> ")):  # at most one blank line in a row
            self.lines.append((prefix + line).rstrip() if line else prefix.rstrip())
        self.current = []

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag == "br":
            self._break()
        elif tag == "blockquote":
            self._break()
            self.quote_depth += 1
        elif tag == "li":
            self._break()
            self.current.append("- ")
        elif tag in _BLOCK_TAGS:
            self._break()
        elif tag in _CELL_TAGS and self.current:
            self.current.append("\t")

    def handle_endtag(self, tag: str) -> None:
        if tag == "blockquote":
            self._break()
            self.quote_depth = max(0, self.quote_depth - 1)
        elif tag in _BLOCK_TAGS:
            self._break()

    def handle_data(self, data: str) -> None:
        self.current.append(data.replace("\r", " ").replace("\n", " "))


def html_to_text(html: str) -> str:
    """The text a person would read in `html`, as lines; no markup survives."""
    cleaned = nh3.clean(
        html, tags=_KEPT_TAGS, attributes={}, clean_content_tags=_DROPPED_WITH_CONTENT, url_schemes=set()
    )
    extractor = _TextExtractor()
    extractor.feed(cleaned)
    extractor.close()
    extractor._break()
    return "\n".join(extractor.lines).strip("\n")
