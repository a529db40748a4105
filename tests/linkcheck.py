"""Check that every relative link and image of a folder of HTML and Markdown pages resolves.

``python tests/linkcheck.py DIR`` prints one line per broken link and exits 1 when there is one
(``tox -e report`` runs it on ``docs/report``); :func:`broken_links` is the same check for tests.
A link resolves when its file exists beside the page and, with ``#anchor``, that page has the id.
External links (``http:``, ``https:``, ``mailto:``) are not followed.
"""

from __future__ import annotations

import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

_MD_LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.links.append(value)
            if name == "id" and value:
                self.ids.add(value)


def _parse_html(path: Path) -> _Links:
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def broken_links(folder: Path) -> list[str]:
    """``PAGE: LINK (why)`` for every relative link of ``folder``'s pages that does not resolve."""
    bad: list[str] = []
    pages = sorted(folder.rglob("*.html")) + sorted(folder.rglob("*.md"))
    for page in pages:
        links = _parse_html(page).links if page.suffix == ".html" else _MD_LINK.findall(page.read_text("utf-8"))
        for link in links:
            parts = urlsplit(link)
            if parts.scheme or link.startswith("//"):
                continue
            target = page if not parts.path else (page.parent / unquote(parts.path))
            if not target.is_file():
                bad.append(f"{page.relative_to(folder)}: {link} (no such file)")
            elif target.stat().st_size == 0:
                bad.append(f"{page.relative_to(folder)}: {link} (an empty file)")
            elif parts.fragment and target.suffix == ".html" and parts.fragment not in _parse_html(target).ids:
                bad.append(f"{page.relative_to(folder)}: {link} (no id {parts.fragment!r})")
    return bad


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not Path(argv[0]).is_dir():
        print("usage: python tests/linkcheck.py DIR", file=sys.stderr)
        return 2
    bad = broken_links(Path(argv[0]))
    for line in bad:
        print(line)
    pages = len(list(Path(argv[0]).rglob("*.html"))) + len(list(Path(argv[0]).rglob("*.md")))
    print(f"linkcheck: {pages} pages, {len(bad)} broken links", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
