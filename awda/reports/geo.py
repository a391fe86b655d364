"""The dashboard's map of Syria and Iraq, drawn on the server as inline SVG: the country
outlines shipped with Awda (data/SOURCES.md) and a circle per governorate at the
gazetteer's coordinates, its area proportional to the count."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

OUTLINES = Path(__file__).parent / "data" / "syria_iraq_outlines.json"
# The largest circle's radius, in map units (the map is 1000 units wide).
LARGEST = 42.0
SMALLEST = 5.0
# A suppressed count gets a marker of this fixed size: its size must say nothing.
HIDDEN = 6.0


@dataclass(frozen=True)
class Outline:
    iso: str
    d: str


@dataclass(frozen=True)
class Frame:
    west: float
    east: float
    south: float
    north: float
    width: float
    height: float
    outlines: tuple[Outline, ...]

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width:g} {self.height:g}"

    def project(self, lat: float, lon: float) -> tuple[float, float]:
        """Equirectangular, as the outlines were projected."""
        kx = math.cos(math.radians((self.south + self.north) / 2))
        scale = self.width / ((self.east - self.west) * kx)
        return (round((lon - self.west) * kx * scale, 1), round((self.north - lat) * scale, 1))


@cache
def frame() -> Frame:
    data: dict[str, Any] = json.loads(OUTLINES.read_text(encoding="utf-8"))
    bounds = data["bounds"]
    return Frame(
        west=bounds["west"],
        east=bounds["east"],
        south=bounds["south"],
        north=bounds["north"],
        width=float(data["width"]),
        height=float(data["height"]),
        outlines=tuple(Outline(c["iso"], c["d"]) for c in data["countries"]),
    )


@dataclass(frozen=True)
class Marker:
    x: float
    y: float
    r: float
    label: str
    text: str  # the count as shown: a number, or "<5"
    suppressed: bool

    @property
    def label_y(self) -> float:
        return round(self.y - self.r - 8, 1)

    @property
    def count_y(self) -> float:
        return round(self.y + self.r + 22, 1)


def radius(count: int, largest: int) -> float:
    """Circle area proportional to the count (the radius to its square root)."""
    if largest <= 0 or count <= 0:
        return 0.0
    return round(max(SMALLEST, LARGEST * math.sqrt(count / largest)), 1)
