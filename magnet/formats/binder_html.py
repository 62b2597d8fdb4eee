"""The binder as one self-contained HTML page that prints well: no scripts, fonts or links out.

Each section starts a new printed page and repeats the stamp, so a loose page still says which
group and which version it came from. Every string from the document is escaped.
"""

from __future__ import annotations

from html import escape

from magnet.formats.binder import Binder, Block, Cell, Section, Strong, Subheading, Table, Text

CSS = """
@page { margin: 14mm 12mm; }
* { box-sizing: border-box; }
body { font: 10.5pt/1.35 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #000;
       background: #fff; margin: 0 auto; max-width: 70rem; padding: 1.5rem; }
h1 { font-size: 22pt; margin: 0 0 .3rem; }
h2 { font-size: 15pt; border-bottom: 2px solid #000; margin: 0 0 .3rem; padding-bottom: .15rem; }
h3 { font-size: 11.5pt; margin: .9rem 0 .3rem; }
p { margin: .3rem 0 .5rem; }
.stamp { font-size: 8.5pt; color: #333; margin-bottom: .6rem; }
.privacy { font-weight: bold; }
table { border-collapse: collapse; width: calc(100% - 2px); margin: .3rem 0 .9rem; font-size: 9.5pt; }
th, td { border: 1px solid #777; padding: 2px 5px; text-align: left; vertical-align: top; }
th { background: #eee; }
thead { display: table-header-group; }
tr { break-inside: avoid; page-break-inside: avoid; }
strong.mark { text-transform: uppercase; }
section { margin-top: 2rem; }
nav ol { columns: 2; }
@media print {
  body { padding: 0; max-width: none; }
  section { break-before: page; page-break-before: always; margin-top: 0; }
  th { background: #eee; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  a { color: inherit; text-decoration: none; }
}
"""


def _text(value: str) -> str:
    return escape(value, quote=True).replace("\n", "<br>")


def _cell(value: Cell) -> str:
    if isinstance(value, Strong):
        return f'<strong class="mark">{_text(value.text)}</strong>'
    return _text(value)


def _table(table: Table) -> str:
    if not table.rows:
        return f'<p class="empty">{_text(table.empty)}</p>'
    head = "".join(f'<th scope="col">{_text(h)}</th>' for h in table.headers)
    body = "\n".join("<tr>" + "".join(f"<td>{_cell(c)}</td>" for c in row) + "</tr>" for row in table.rows)
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>"


def _block(block: Block) -> str:
    if isinstance(block, Table):
        return _table(block)
    if isinstance(block, Subheading):
        return f"<h3>{_text(block.text)}</h3>"
    assert isinstance(block, Text)
    return f"<p>{_text(block.text)}</p>"


def _section(section: Section, stamp: str) -> str:
    blocks = "\n".join(_block(b) for b in section.blocks)
    return (
        f'<section id="{escape(section.key)}">\n<h2>{_text(section.title)}</h2>\n'
        f'<p class="stamp">{_text(stamp)}</p>\n{blocks}\n</section>'
    )


def render_html(binder: Binder) -> str:
    stamp = f"{binder.group} · {binder.stamp.describe()}"
    if binder.sensitive:
        stamp = f"CONFIDENTIAL · {stamp}"  # a loose page must say so too
    contents = "\n".join(f'<li><a href="#{escape(s.key)}">{_text(s.title)}</a></li>' for s in binder.sections)
    about = "\n".join(f"<p>{_text(line)}</p>" for line in binder.about)
    sections = "\n".join(_section(s, stamp) for s in binder.sections)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="magnet">
<title>{_text(binder.group)} · group binder</title>
<style>{CSS}</style>
</head>
<body>
<header>
<h1>{_text(binder.group)}</h1>
<p class="stamp">Group binder · {_text(binder.stamp.describe())}</p>
<p class="privacy">{_text(binder.privacy_note)}</p>
{about}
<p>Check the version on every page: a page with an older date or a different version is out of date.</p>
<nav><h3>Contents</h3><ol>
{contents}
</ol></nav>
</header>
{sections}
</body>
</html>
"""
