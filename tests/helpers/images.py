"""Pictures made in tests with Pillow."""
from __future__ import annotations

import io

from PIL import Image


def jpeg(size=(120, 120), orientation=None, gps=False, colours=("red", "blue")) -> bytes:
    """Top half one colour, bottom half another; with EXIF orientation and GPS if asked."""
    image = Image.new("RGB", size, colours[0])
    image.paste(Image.new("RGB", (size[0], size[1] // 2), colours[1]), (0, size[1] // 2))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    if orientation:
        exif[0x0112] = orientation
    if gps:
        exif[0x8825] = {1: "N", 2: (44.0, 21.0, 3.5), 3: "E", 4: (2.0, 34.0, 12.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=95)
    return out.getvalue()
