"""Helpers the report sections share."""

from __future__ import annotations

import html


def html_list(items: list[str], cls: str = "") -> str:
    """A ``<ul>`` of the (escaped) items, with an optional class."""
    c = f' class="{cls}"' if cls else ""
    return f"<ul{c}>" + "".join(f"<li>{html.escape(x)}</li>" for x in items) + "</ul>"
