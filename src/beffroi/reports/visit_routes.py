"""Printable visit rounds (A4, large type) with a map drawn as inline SVG, rendered by WeasyPrint.

Owned by the registry: the stops come decrypted from ``registry.access.visit_stops`` (a logged read);
nothing here touches the database.
"""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone

SVG_W, SVG_H, PAD = 700, 420, 30


def route_map_svg(stops) -> dict:
    """Project the located stops into an SVG box (equirectangular, scaled by cos(lat))."""
    import math

    located = [s for s in stops if s.lon is not None and s.lat is not None]
    if not located:
        return {"points": [], "path": "", "width": SVG_W, "height": SVG_H}
    mean_lat = sum(s.lat for s in located) / len(located)
    k = math.cos(math.radians(mean_lat))
    xs = [s.lon * k for s in located]
    ys = [s.lat for s in located]
    span = max(max(xs) - min(xs), max(ys) - min(ys), 1e-4)
    scale = min((SVG_W - 2 * PAD) / span, (SVG_H - 2 * PAD) / span)
    points = []
    for s, x, y in zip(located, xs, ys, strict=True):
        px = PAD + (x - min(xs)) * scale
        py = SVG_H - PAD - (y - min(ys)) * scale
        points.append({"x": round(px, 1), "y": round(py, 1), "order": s.order})
    path = " ".join(f"{'M' if i == 0 else 'L'}{p['x']},{p['y']}" for i, p in enumerate(points))
    return {"points": points, "path": path, "width": SVG_W, "height": SVG_H}


def _context(campaign, route, stops, missing) -> dict:
    return {
        "campaign": campaign,
        "route": route,
        "stops": stops,
        "not_located": [s for s in missing if not s.located],
        "unrouted": [s for s in missing if s.located],
        "map": route_map_svg(stops),
        "printed_at": timezone.localtime(),
        "km": round(route.distance_m / 1000, 1),
        "hours": round(route.duration_s / 3600, 1),
    }


def render_route_html(campaign, route, stops, missing) -> str:
    """``missing``: the campaign's visits on no route (``registry.access.missing_from_routes``)."""
    return render_to_string("reports/visit_route.html", _context(campaign, route, stops, missing))


def render_route_pdf(campaign, route, stops, missing) -> bytes:
    from weasyprint import HTML

    return HTML(string=render_route_html(campaign, route, stops, missing)).write_pdf()
