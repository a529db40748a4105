"""A small document model for certificates and reports, rendered as Markdown, LaTeX or HTML.

A :class:`Document` is a title and a list of blocks: :class:`Heading`, :class:`Para`,
:class:`Table`, :class:`Figure`, :class:`Listing`. One builder (a certificate, a ledger report)
produces the blocks once; the three renderers only lay them out, so a Markdown certificate, its
LaTeX fragment and its HTML page say the same thing. Text is plain Unicode; each renderer escapes
what its format needs (``|`` in Markdown tables; ``& % $ # _ { } ~ ^ \\`` in LaTeX; ``< > &`` in HTML)
and maps the few mathematical symbols the certificates use onto LaTeX commands.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Document",
    "Figure",
    "Heading",
    "Listing",
    "Para",
    "Table",
    "balanced_latex",
    "render_html",
    "render_latex",
    "render_markdown",
]


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 2
    anchor: str = ""


@dataclass(frozen=True)
class Para:
    """A paragraph; ``link`` (text, target) pairs are appended as links."""

    text: str
    links: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    caption: str = ""


@dataclass(frozen=True)
class Figure:
    """An image file, by its path relative to the document."""

    path: str
    caption: str


@dataclass(frozen=True)
class Listing:
    """Preformatted text (a full rational, a JSON excerpt)."""

    text: str
    caption: str = ""


Block = Heading | Para | Table | Figure | Listing


@dataclass(frozen=True)
class Document:
    title: str
    blocks: tuple[Block, ...] = field(default_factory=tuple)


def cell(value: Any) -> str:
    """A table entry as text: floats to 6 significant digits, None as an em dash."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


# -- Markdown -------------------------------------------------------------------------------------------
def _md_cell(value: Any) -> str:
    return cell(value).replace("|", "\\|").replace("\n", " ")


def render_markdown(doc: Document) -> str:
    """GitHub-flavoured Markdown."""
    out = [f"# {doc.title}", ""]
    for b in doc.blocks:
        if isinstance(b, Heading):
            anchor = f'<a id="{b.anchor}"></a>\n' if b.anchor else ""
            out += [f"{anchor}{'#' * min(6, b.level)} {b.text}", ""]
        elif isinstance(b, Para):
            links = " ".join(f"[{t}]({target})" for t, target in b.links)
            out += [" ".join(x for x in (b.text, links) if x), ""]
        elif isinstance(b, Table):
            if b.caption:
                out += [f"*{b.caption}*", ""]
            out.append("| " + " | ".join(_md_cell(c) for c in b.columns) + " |")
            out.append("|" + "|".join("---" for _ in b.columns) + "|")
            out += ["| " + " | ".join(_md_cell(v) for v in row) + " |" for row in b.rows]
            out.append("")
        elif isinstance(b, Figure):
            out += [f"![{b.caption}]({b.path})", "", f"*{b.caption}*", ""]
        else:
            out += ([f"*{b.caption}*", ""] if b.caption else []) + ["```", b.text, "```", ""]
    return "\n".join(out).rstrip() + "\n"


# -- LaTeX ----------------------------------------------------------------------------------------------
_TEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
#: the symbols certificates print, as LaTeX (anything else outside ASCII is dropped to '?')
_TEX_SYMBOLS = {
    "≤": r"$\le$",
    "≥": r"$\ge$",
    "≠": r"$\ne$",
    "−": "-",
    "–": "--",
    "—": "---",
    "×": r"$\times$",
    "·": r"$\cdot$",
    "≈": r"$\approx$",
    "∈": r"$\in$",
    "∞": r"$\infty$",
    "π": r"$\pi$",
    "Φ": r"$\Phi$",
    "φ": r"$\phi$",
    "θ": r"$\theta$",
    "ε": r"$\varepsilon$",
    "σ": r"$\sigma$",
    "α": r"$\alpha$",
    "β": r"$\beta$",
    "γ": r"$\gamma$",
    "η": r"$\eta$",
    "λ": r"$\lambda$",
    "μ": r"$\mu$",
    "ν": r"$\nu$",
    "κ": r"$\kappa$",
    "ρ": r"$\rho$",
    "δ": r"$\delta$",
    "Σ": r"$\Sigma$",
    "∑": r"$\Sigma$",
    "†": r"$\dagger$",
    "✓": "yes",
    "→": r"$\to$",
    "∀": r"$\forall$",
    "…": r"\ldots{}",
    "’": "'",
    "“": "``",
    "”": "''",
    "‖": r"$\|$",
    "∇": r"$\nabla$",
    "√": r"$\sqrt{}$",
    "∂": r"$\partial$",
}


#: superscript and subscript characters; a run of them becomes one ``$^{…}$`` or ``$_{…}$``
_SUPER = {"ⁱ": "i", "ᴺ": "N", "¹": "1", "²": "2", "³": "3", "⁻": "-", "ᵗ": "t", "′": "\\prime"}
_SUB = {"₀": "0", "₁": "1", "₂": "2", "ᵢ": "i"}


def tex(text: Any) -> str:
    """``text`` as LaTeX body text: specials escaped, known symbols mapped, runs of superscripts and
    subscripts grouped (``π⁻ⁱ`` → ``$\\pi^{-i}$``), other non-ASCII as ``?``."""
    out: list[str] = []
    chars = cell(text)
    k = 0
    while k < len(chars):
        ch = chars[k]
        for table, mark in ((_SUPER, "^"), (_SUB, "_")):
            if ch in table:
                run = ""
                while k < len(chars) and chars[k] in table:
                    run += table[chars[k]]
                    k += 1
                out.append(f"${mark}{{{run}}}$")
                break
        else:
            out.append(_tex_char(ch))
            k += 1
    return _ADJACENT_MATH.sub("", "".join(out))  # "$\\Phi$$^{i}$" → "$\\Phi^{i}$": one math group


def _tex_char(ch: str) -> str:
    if ch in _TEX_SPECIAL:
        return _TEX_SPECIAL[ch]
    if ch in _TEX_SYMBOLS:
        return _TEX_SYMBOLS[ch]
    return ch if ord(ch) < 128 else "?"


_ADJACENT_MATH = re.compile(r"(?<!\\)\$\$")


def render_latex(doc: Document) -> str:
    """A LaTeX fragment (no preamble) to paste into a review; needs ``booktabs`` and ``graphicx``
    (figures), both in every TeX distribution. Long numbers break only at spaces."""
    out = [f"% {tex(doc.title)}", r"% needs \usepackage{booktabs,graphicx}", rf"\paragraph{{{tex(doc.title)}}}", ""]
    for b in doc.blocks:
        if isinstance(b, Heading):
            out += [rf"\paragraph{{{tex(b.text)}}}" if b.level > 2 else rf"\subsubsection*{{{tex(b.text)}}}", ""]
        elif isinstance(b, Para):
            links = " ".join(f"{tex(t)} ({tex(target)})" for t, target in b.links)
            out += [" ".join(x for x in (tex(b.text), links) if x), ""]
        elif isinstance(b, Table):
            widths = [max(len(cell(v)) for v in (c, *(row[k] for row in b.rows))) for k, c in enumerate(b.columns)]
            share = 0.85 / max(1, sum(w > 40 for w in widths))  # long text wraps in a paragraph column
            spec = "".join(rf"p{{{share:.2f}\linewidth}}" if w > 40 else "l" for w in widths)
            out += [r"\begin{center}", r"\small", rf"\begin{{tabular}}{{{spec}}}", r"\toprule"]
            out.append(" & ".join(tex(c) for c in b.columns) + r" \\")
            out.append(r"\midrule")
            out += [" & ".join(tex(v) for v in row) + r" \\" for row in b.rows]
            out += [r"\bottomrule", r"\end{tabular}"]
            if b.caption:
                out.append(rf"\\[2pt] {{\footnotesize {tex(b.caption)}}}")
            out += [r"\end{center}", ""]
        elif isinstance(b, Figure):
            out += [
                r"\begin{center}",
                rf"\includegraphics[width=0.8\linewidth]{{{b.path}}}\\",
                rf"{{\footnotesize {tex(b.caption)}}}",
                r"\end{center}",
                "",
            ]
        else:
            lines = [b.text[i : i + 90] for i in range(0, len(b.text), 90)] or [""]
            caption = [rf"{{\footnotesize {tex(b.caption)}}}\\"] if b.caption else []
            out += caption + [r"{\ttfamily\small"] + [tex(line) + r"\\" for line in lines] + ["}", ""]
    return "\n".join(out).rstrip() + "\n"


def balanced_latex(text: str) -> str | None:
    """None when ``text``'s braces and ``\\begin``/``\\end`` environments nest properly and its ``$``
    math shifts pair up, else what is wrong (a check where no LaTeX engine is installed)."""
    depth, envs, dollars = 0, [], 0
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            for kind in ("begin", "end"):
                if text.startswith(kind + "{", i + 1):
                    close = text.find("}", i + len(kind) + 2)
                    name = text[i + len(kind) + 2 : close]
                    if kind == "begin":
                        envs.append(name)
                    elif not envs or envs.pop() != name:
                        return f"\\end{{{name}}} without its \\begin"
            i += 2
            continue
        if ch == "%":
            nl = text.find("\n", i)
            i = len(text) if nl < 0 else nl
            continue
        depth += ch == "{"
        depth -= ch == "}"
        dollars += ch == "$"
        if depth < 0:
            return f"an unmatched '}}' at offset {i}"
        i += 1
    if depth:
        return f"{depth} unclosed '{{'"
    if envs:
        return f"\\begin{{{envs[-1]}}} is never closed"
    return "an odd number of '$'" if dollars % 2 else None


# -- HTML -----------------------------------------------------------------------------------------------
_CSS = (
    "body{font-family:system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;line-height:1.45}"
    "table{border-collapse:collapse;margin:0.6rem 0}td,th{border:1px solid #ccc;padding:0.2rem 0.5rem;"
    "text-align:left;vertical-align:top}th{background:#f3f3f3}img{max-width:100%}pre{white-space:pre-wrap;"
    "word-break:break-all;background:#f7f7f7;padding:0.5rem}caption{caption-side:bottom;font-size:0.85em}"
)


def render_html(doc: Document, *, fragment: bool = False) -> str:
    """A self-contained HTML page (inline CSS, images by relative path), or with ``fragment`` only the
    body's content (for a notebook's ``_repr_html_``)."""
    e = html.escape
    body: list[str] = []
    for b in doc.blocks:
        if isinstance(b, Heading):
            level = min(6, b.level)
            anchor = f' id="{e(b.anchor)}"' if b.anchor else ""
            body.append(f"<h{level}{anchor}>{e(b.text)}</h{level}>")
        elif isinstance(b, Para):
            links = " ".join(f'<a href="{e(target)}">{e(t)}</a>' for t, target in b.links)
            body.append(f"<p>{' '.join(x for x in (e(b.text), links) if x)}</p>")
        elif isinstance(b, Table):
            head = "".join(f"<th>{e(cell(c))}</th>" for c in b.columns)
            rows = "".join("<tr>" + "".join(f"<td>{e(cell(v))}</td>" for v in row) + "</tr>" for row in b.rows)
            caption = f"<caption>{e(b.caption)}</caption>" if b.caption else ""
            body.append(f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
        elif isinstance(b, Figure):
            body.append(
                f'<figure><img src="{e(b.path)}" alt="{e(b.caption)}"><figcaption>{e(b.caption)}</figcaption></figure>'
            )
        else:
            caption = f"<p><em>{e(b.caption)}</em></p>" if b.caption else ""
            body.append(f"{caption}<pre>{e(b.text)}</pre>")
    content = "\n".join([f"<h1>{e(doc.title)}</h1>", *body])
    if fragment:
        return content
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{e(doc.title)}</title>'
        f"<style>{_CSS}</style></head><body>\n{content}\n</body></html>\n"
    )
