"""Colour conversions for lights that speak CIE xy or hue/saturation (Zigbee2MQTT's lights).

Hearth's lights take and show RGB; a device that says it supports `xy` or `hs` gets its colour
converted (sRGB with its gamma, D65 white, Philips' wide gamut left to the device to clip).
"""

from __future__ import annotations

import colorsys

RGB = tuple[int, int, int]


def _linear(channel: float) -> float:
    return channel / 12.92 if channel <= 0.04045 else float(((channel + 0.055) / 1.055) ** 2.4)


def _gamma(channel: float) -> float:
    if channel <= 0.0031308:
        return 12.92 * channel
    return float(1.055 * channel ** (1 / 2.4) - 0.055)


def rgb_to_xy(rgb: RGB) -> tuple[float, float]:
    """CIE 1931 xy of an sRGB colour, 4 decimals; black gives the white point."""
    red, green, blue = (_linear(value / 255) for value in rgb)
    x = red * 0.4124 + green * 0.3576 + blue * 0.1805
    y = red * 0.2126 + green * 0.7152 + blue * 0.0722
    z = red * 0.0193 + green * 0.1192 + blue * 0.9505
    total = x + y + z
    if total == 0:
        return (0.3127, 0.329)
    return (round(x / total, 4), round(y / total, 4))


def xy_to_rgb(x: float, y: float) -> RGB:
    """The brightest sRGB colour with chromaticity xy (clipped to sRGB)."""
    if y <= 0:
        return (255, 255, 255)
    big_y = 1.0
    big_x = x * big_y / y
    big_z = (1 - x - y) * big_y / y
    linear = (
        big_x * 3.2406 - big_y * 1.5372 - big_z * 0.4986,
        -big_x * 0.9689 + big_y * 1.8758 + big_z * 0.0415,
        big_x * 0.0557 - big_y * 0.2040 + big_z * 1.0570,
    )
    clipped = [max(channel, 0.0) for channel in linear]
    peak = max(clipped) or 1.0
    red, green, blue = (round(_gamma(channel / peak) * 255) for channel in clipped)
    return (red, green, blue)


def rgb_to_hs(rgb: RGB) -> tuple[float, float]:
    """Hue (degrees) and saturation (percent)."""
    hue, saturation, _value = colorsys.rgb_to_hsv(*(value / 255 for value in rgb))
    return (round(hue * 360, 2), round(saturation * 100, 2))


def hs_to_rgb(hue: float, saturation: float) -> RGB:
    """The brightest colour with this hue and saturation."""
    red, green, blue = colorsys.hsv_to_rgb((hue % 360) / 360, min(max(saturation, 0), 100) / 100, 1)
    return (round(red * 255), round(green * 255), round(blue * 255))
