"""Pictures in documents, as inline SVG (WeasyPrint draws them into the PDF): the rack elevation with this
server's units and switch port, and bars of used / held / this request / headroom for power and bandwidth.

Both read the capacity report as step 3 recorded it
(``provisioner.capacity.CapacityReport.model_dump(mode="json")``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from markupsafe import Markup, escape

from provisioner.documents.indonesian import angka

USED, HELD, THIS, FREE, RESERVED = "#8a8a8a", "#f2b84b", "#1f5fbf", "#ffffff", "#3a3a3a"
OVER = "#c62828"
BAR_RESOURCES = ("rack power", "UPS", "genset", "uplink")
_NAMES = {"rack power": "Daya rak", "UPS": "UPS", "genset": "Genset", "uplink": "Bandwidth uplink"}
_LEGEND = ((USED, "terpakai"), (HELD, "ditahan"), (THIS, "permohonan ini"), (FREE, "kosong / sisa"))
WIDTH = 470
_FONT = 'font-family="DejaVu Sans" font-size="9"'


def _svg(width: int, height: int, parts: Iterable[str], label: str) -> Markup:
    body = "".join(parts)  # every text in it went through escape()
    return Markup(  # noqa: S704
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}pt" '
        f'height="{height}pt" role="img" aria-label="{escape(label)}">{body}</svg>'
    )


def _rect(x: float, y: float, w: float, h: float, fill: str) -> str:
    return f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{h:.1f}" fill="{fill}" ' \
           'stroke="#222" stroke-width="0.5"/>'


def _text(x: float, y: float, text: str, anchor: str = "start", extra: str = "") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" {_FONT} {extra}>{escape(text)}</text>'


def _legend(y: float, entries: Sequence[tuple[str, str]]) -> list[str]:
    parts, x = [], 0.0
    for colour, label in entries:
        parts += [_rect(x, y - 8, 10, 10, colour), _text(x + 14, y, label)]
        x += 24 + 6 * len(label)
    return parts


def rack_drawing(rack_map: Mapping[str, Any], units: Sequence[int], host: str, port: str) -> Markup:
    """The rack from the top unit down: reserved, in use, held, free, and ``units`` (this server's, ``host``
    on switch port ``port``) marked and captioned on the right."""
    span = f"U{units[0]}" if len(units) == 1 else f"U{units[0]}-U{units[-1]}"
    caption = f"{host} {span} · {port}"
    height_u = int(rack_map["height_u"])
    unit_h = min(6.0, 260 / height_u)
    top, left, rack_w = 12.0, 28.0, 110.0
    colours = {u: RESERVED for u in rack_map["reserved"]}
    colours.update({u: USED for u in rack_map["used"]})
    colours.update({u: HELD for u in rack_map["held"]})
    colours.update({u: THIS for u in units})
    parts = [_text(left + rack_w / 2, 9, f"Rak {rack_map['rack']} ({height_u} U)", "middle",
                   'font-weight="bold"')]
    for unit in range(height_u, 0, -1):
        y = top + (height_u - unit) * unit_h
        parts.append(_rect(left, y, rack_w, unit_h, colours.get(unit, FREE)))
        if unit % 5 == 0 or unit == 1 or unit in units:
            parts.append(_text(left - 4, y + unit_h - 1.5, f"U{unit}", "end", 'font-size="7"'))
    bottom = top + height_u * unit_h
    y = top + (height_u - max(units)) * unit_h + len(units) * unit_h / 2
    parts.append(f'<line x1="{left + rack_w}" y1="{y:.1f}" x2="{left + rack_w + 18}" y2="{y:.1f}" '
                 f'stroke="{THIS}" stroke-width="1.5"/>')
    parts.append(_text(left + rack_w + 22, y + 3, caption, extra=f'fill="{THIS}" font-weight="bold"'))
    parts += _legend(bottom + 16, [*_LEGEND[:3], (RESERVED, "cadangan"), (FREE, "kosong")])
    return _svg(WIDTH, int(bottom + 22), parts, f"Rak {rack_map['rack']}")


def _bar(y: float, line: Mapping[str, Any], width: float) -> list[str]:
    capacity = max(int(line["capacity"]), 1)
    used, held, request = int(line["used"]), int(line["held"]), int(line["request"])
    total = max(capacity, used + held + request)
    scale = width / total
    x, parts = 150.0, []
    name = f"{_NAMES[line['resource']]} {line['subject']}"
    parts.append(_text(0, y + 10, name))
    parts.append(_rect(x, y, capacity * scale, 13, FREE))
    for amount, colour in ((used, USED), (held, HELD), (request, THIS)):
        parts.append(_rect(x, y, amount * scale, 13, colour))
        x += amount * scale
    if total > capacity:
        limit = 150 + capacity * scale
        parts.append(f'<line x1="{limit:.1f}" y1="{y - 2}" x2="{limit:.1f}" y2="{y + 15}" stroke="{OVER}" '
                     'stroke-width="2"/>')
    unit = line["unit"]
    summary = (f"terpakai {angka(used)}, ditahan {angka(held)}, permohonan ini {angka(request)}, "
               f"sisa {angka(int(line['headroom']))} dari {angka(int(line['capacity']))} {unit}")
    colour = f' fill="{OVER}"' if total > capacity else ""
    parts.append(_text(0, y + 24, summary, extra=f'font-size="7.5"{colour}'))
    return parts


def bars(resources: Sequence[Mapping[str, Any]]) -> Markup:
    """One bar per power source and uplink of the report: used, held, this request, headroom."""
    shown = [r for r in resources if r["resource"] in BAR_RESOURCES]
    parts: list[str] = []
    for i, line in enumerate(shown):
        parts += _bar(6 + i * 34, line, WIDTH - 160)
    bottom = 6 + len(shown) * 34
    parts += _legend(bottom + 8, _LEGEND)
    return _svg(WIDTH, int(bottom + 14), parts, "Daya dan bandwidth")
