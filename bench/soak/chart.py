"""A small line chart written as PNG with the standard library alone (zlib for the compression).

The soak run needs one picture of a few series over time; a plotting library (matplotlib pulls in
numpy, pillow and more) would be the largest dependency of the project for one image, so this
module draws stacked panels with axes, grid lines and labels in a built-in 5x7 pixel font.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

Color = tuple[int, int, int]

WHITE: Final = (255, 255, 255)
BLACK: Final = (0, 0, 0)
GREY: Final = (215, 215, 215)
COLORS: Final = [(31, 119, 180), (44, 160, 44), (148, 103, 189), (140, 86, 75)]
LIMIT: Final = (214, 39, 40)

# 5x7 glyphs, rows top to bottom; "#" is ink. Upper case only: labels are drawn upper-cased.
_FONT: Final = {
    "0": [".###.", "#...#", "#..##", "#.#.#", "##..#", "#...#", ".###."],
    "1": ["..#..", ".##..", "..#..", "..#..", "..#..", "..#..", ".###."],
    "2": [".###.", "#...#", "....#", "...#.", "..#..", ".#...", "#####"],
    "3": ["####.", "....#", "....#", ".###.", "....#", "....#", "####."],
    "4": ["...#.", "..##.", ".#.#.", "#..#.", "#####", "...#.", "...#."],
    "5": ["#####", "#....", "####.", "....#", "....#", "#...#", ".###."],
    "6": [".###.", "#....", "#....", "####.", "#...#", "#...#", ".###."],
    "7": ["#####", "....#", "...#.", "..#..", ".#...", ".#...", ".#..."],
    "8": [".###.", "#...#", "#...#", ".###.", "#...#", "#...#", ".###."],
    "9": [".###.", "#...#", "#...#", ".####", "....#", "....#", ".###."],
    "A": [".###.", "#...#", "#...#", "#####", "#...#", "#...#", "#...#"],
    "B": ["####.", "#...#", "#...#", "####.", "#...#", "#...#", "####."],
    "C": [".###.", "#...#", "#....", "#....", "#....", "#...#", ".###."],
    "D": ["####.", "#...#", "#...#", "#...#", "#...#", "#...#", "####."],
    "E": ["#####", "#....", "#....", "####.", "#....", "#....", "#####"],
    "F": ["#####", "#....", "#....", "####.", "#....", "#....", "#...."],
    "G": [".###.", "#...#", "#....", "#.###", "#...#", "#...#", ".####"],
    "H": ["#...#", "#...#", "#...#", "#####", "#...#", "#...#", "#...#"],
    "I": [".###.", "..#..", "..#..", "..#..", "..#..", "..#..", ".###."],
    "J": ["..###", "...#.", "...#.", "...#.", "...#.", "#..#.", ".##.."],
    "K": ["#...#", "#..#.", "#.#..", "##...", "#.#..", "#..#.", "#...#"],
    "L": ["#....", "#....", "#....", "#....", "#....", "#....", "#####"],
    "M": ["#...#", "##.##", "#.#.#", "#.#.#", "#...#", "#...#", "#...#"],
    "N": ["#...#", "#...#", "##..#", "#.#.#", "#..##", "#...#", "#...#"],
    "O": [".###.", "#...#", "#...#", "#...#", "#...#", "#...#", ".###."],
    "P": ["####.", "#...#", "#...#", "####.", "#....", "#....", "#...."],
    "Q": [".###.", "#...#", "#...#", "#...#", "#.#.#", "#..#.", ".##.#"],
    "R": ["####.", "#...#", "#...#", "####.", "#.#..", "#..#.", "#...#"],
    "S": [".####", "#....", "#....", ".###.", "....#", "....#", "####."],
    "T": ["#####", "..#..", "..#..", "..#..", "..#..", "..#..", "..#.."],
    "U": ["#...#", "#...#", "#...#", "#...#", "#...#", "#...#", ".###."],
    "V": ["#...#", "#...#", "#...#", "#...#", "#...#", ".#.#.", "..#.."],
    "W": ["#...#", "#...#", "#...#", "#.#.#", "#.#.#", "#.#.#", ".#.#."],
    "X": ["#...#", "#...#", ".#.#.", "..#..", ".#.#.", "#...#", "#...#"],
    "Y": ["#...#", "#...#", ".#.#.", "..#..", "..#..", "..#..", "..#.."],
    "Z": ["#####", "....#", "...#.", "..#..", ".#...", "#....", "#####"],
    ".": [".....", ".....", ".....", ".....", ".....", ".##..", ".##.."],
    ",": [".....", ".....", ".....", ".....", ".##..", "..#..", ".#..."],
    ":": [".....", ".##..", ".##..", ".....", ".##..", ".##..", "....."],
    "-": [".....", ".....", ".....", "#####", ".....", ".....", "....."],
    "+": [".....", "..#..", "..#..", "#####", "..#..", "..#..", "....."],
    "/": ["....#", "....#", "...#.", "..#..", ".#...", "#....", "#...."],
    "(": ["...#.", "..#..", ".#...", ".#...", ".#...", "..#..", "...#."],
    ")": [".#...", "..#..", "...#.", "...#.", "...#.", "..#..", ".#..."],
    "%": ["##...", "##..#", "...#.", "..#..", ".#...", "#..##", "...##"],
    "=": [".....", ".....", "#####", ".....", "#####", ".....", "....."],
    " ": ["....."] * 7,
}
GLYPH_W: Final = 6  # 5 pixels and a space
GLYPH_H: Final = 7


class Canvas:
    """An RGB pixel buffer that can be saved as PNG."""

    def __init__(self, width: int, height: int) -> None:
        self.width = width
        self.height = height
        self._pixels = bytearray(WHITE * (width * height))

    def dot(self, x: int, y: int, color: Color) -> None:
        """Colour one pixel (outside the canvas: ignored)."""
        if 0 <= x < self.width and 0 <= y < self.height:
            at = (y * self.width + x) * 3
            self._pixels[at : at + 3] = bytes(color)

    def line(self, x0: int, y0: int, x1: int, y1: int, color: Color) -> None:
        """A straight line (Bresenham)."""
        dx, dy = abs(x1 - x0), -abs(y1 - y0)
        sx, sy = (1 if x0 < x1 else -1), (1 if y0 < y1 else -1)
        err = dx + dy
        while True:
            self.dot(x0, y0, color)
            if x0 == x1 and y0 == y1:
                return
            doubled = 2 * err
            if doubled >= dy:
                err += dy
                x0 += sx
            if doubled <= dx:
                err += dx
                y0 += sy

    def text(self, x: int, y: int, text: str, color: Color = BLACK) -> None:
        """Text in the 5x7 font (upper-cased; unknown characters as blanks), top-left at x, y."""
        for index, char in enumerate(text.upper()):
            for row, bits in enumerate(_FONT.get(char, _FONT[" "])):
                for col, bit in enumerate(bits):
                    if bit == "#":
                        self.dot(x + index * GLYPH_W + col, y + row, color)

    def png(self) -> bytes:
        """The image as PNG bytes (8-bit RGB, no filtering)."""
        stride = self.width * 3
        raw = b"".join(
            b"\x00" + bytes(self._pixels[row * stride : (row + 1) * stride])
            for row in range(self.height)
        )
        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)
        return (
            b"\x89PNG\r\n\x1a\n"
            + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(raw, 9))
            + _chunk(b"IEND", b"")
        )


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@dataclass(frozen=True)
class Series:
    """One line of a panel: a name and a value per x (None: no sample)."""

    name: str
    values: Sequence[float | None]


@dataclass(frozen=True)
class Panel:
    """A chart of one quantity over time, possibly with several series and a limit line."""

    title: str
    series: Sequence[Series]
    limit: float | None = None  # drawn as a dashed red line when given


def _nice_max(value: float) -> float:
    """A round number at or above `value` for the top of an axis."""
    if value <= 0:
        return 1.0
    step = 10 ** len(str(int(value))) / 10 if value >= 1 else 0.1
    for factor in (1, 2, 2.5, 5, 10):
        if step * factor >= value:
            return step * factor
    return step * 10


def _label(value: float) -> str:
    return f"{value:.0f}" if value >= 10 or value == int(value) else f"{value:.1f}"


@dataclass(frozen=True)
class _Frame:
    """Where a panel's plot area is on the canvas, and the ranges it shows."""

    left: int
    top: int
    width: int
    height: int
    t_max: float
    y_max: float

    def point(self, t: float, v: float) -> tuple[int, int]:
        """Canvas coordinates of (time, value)."""
        x = self.left + round(self.width * t / self.t_max)
        return x, self.top + self.height - round(self.height * v / self.y_max)


def _panel(canvas: Canvas, panel: Panel, times: Sequence[float], frame: _Frame) -> None:
    """One panel: title, legend, grid with labels, the limit line, the series."""
    left, top, height = frame.left, frame.top, frame.height
    canvas.text(left, top - 14, panel.title)
    for legend, series in enumerate(panel.series):
        x = canvas.width - 16 - 170 * (len(panel.series) - legend)
        canvas.line(x, top - 11, x + 14, top - 11, COLORS[legend % len(COLORS)])
        canvas.text(x + 18, top - 14, series.name)
    for tick in range(5):
        y = top + height - round(height * tick / 4)
        canvas.line(left, y, left + frame.width, y, GREY)
        canvas.text(2, y - 3, _label(frame.y_max * tick / 4))
    canvas.line(left, top, left, top + height, BLACK)
    canvas.line(left, top + height, left + frame.width, top + height, BLACK)
    if panel.limit is not None:
        _, y = frame.point(0, panel.limit)
        for x in range(left, left + frame.width, 8):
            canvas.line(x, y, min(x + 4, left + frame.width), y, LIMIT)
    for index, series in enumerate(panel.series):
        color = COLORS[index % len(COLORS)]
        previous: tuple[int, int] | None = None
        for t, v in zip(times, series.values, strict=True):
            if v is None:
                previous = None
                continue
            current = frame.point(t, v)
            if previous is not None:
                canvas.line(*previous, *current, color)
            else:
                canvas.dot(*current, color)
            previous = current


def draw(path: Path, times: Sequence[float], panels: Sequence[Panel], width: int = 960) -> None:
    """Write stacked panels sharing the time axis (seconds) to `path` as PNG."""
    panel_h, left, right, top_pad, bottom_pad = 170, 56, 16, 22, 24
    canvas = Canvas(width, panel_h * len(panels) + bottom_pad)
    plot_w = width - left - right
    t_max = max(times[-1] if times else 1.0, 1.0)
    for number, panel in enumerate(panels):
        values = [v for series in panel.series for v in series.values if v is not None]
        y_max = _nice_max(max([*values, panel.limit or 0.0, 0.0]))
        top = number * panel_h + top_pad
        _panel(canvas, panel, times, _Frame(left, top, plot_w, panel_h - top_pad - 8, t_max, y_max))
    axis_y = panel_h * len(panels) + 6
    for tick in range(6):
        x = left + round(plot_w * tick / 5)
        canvas.text(max(x - 12, 0), axis_y, f"{t_max * tick / 5:.0f}S")
    path.write_bytes(canvas.png())
