"""Uploaded pictures, decoded and drawn again: nothing of the sent file reaches a visitor.

`process(data, kind, crop)` takes the bytes of an upload (already read with a size limit) and
returns WebP files at the sizes of its kind, or raises `ImageRefused` with a code the form turns
into a translated message. In order:

1. the format is told by Pillow from the bytes, among JPEG, PNG, WebP and GIF only (TIFF, BMP,
   HEIC, SVG, HTML... are refused; the file's name and the browser's type are never read);
2. the declared size is checked before any pixel is decoded (a PNG can declare 30000 x 30000 in
   a few hundred bytes): more than `max_pixels`, or than Pillow's own MAX_IMAGE_PIXELS, is
   refused;
3. the first frame is decoded (a truncated or damaged file is refused; an animation keeps its
   first frame, and says so); large JPEGs are decoded at a reduced scale (`draft`);
4. the EXIF orientation is applied, then every metadata is dropped (EXIF, GPS, XMP, ICC,
   comments): the output is drawn from pixels only;
5. CMYK, palette, 16-bit and grey images become RGB (RGBA when they have transparency);
6. avatars and logos are cropped to a square (the crop box sent with the form, else the centre)
   and resized to 48, 96 and 256 px; place photos are fitted into 1280 px and 400 px wide.
"""
from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
SQUARE_SIZES = (48, 96, 256)
PHOTO_SIZES = (400, 1280)  # widths (at most: a narrower picture is not enlarged)
SIZES = {"avatar": SQUARE_SIZES, "logo": SQUARE_SIZES, "photo": PHOTO_SIZES}
WEBP_QUALITY = 80
# Formats recognised only to say "this format is not accepted" (never decoded).
_OTHER_FORMATS = ((b"II*\x00", "TIFF"), (b"MM\x00*", "TIFF"), (b"BM", "BMP"),
                  (b"\x00\x00\x01\x00", "ICO"))


class ImageRefused(ValueError):
    """`code`: too_big, empty, not_image, format, too_many_pixels, damaged."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(code)
        self.code = code
        self.detail = detail


@dataclass
class Processed:
    variants: dict[int, bytes]  # size (px, a side or a width) -> WebP bytes
    width: int  # of the largest variant
    height: int
    animated: bool  # only the first frame was kept
    source_format: str


@dataclass(frozen=True)
class Crop:
    """A square in the (oriented) picture's pixels, as a cropper on the page draws it."""
    x: int
    y: int
    size: int


def _other_format(data: bytes) -> str | None:
    for magic, name in _OTHER_FORMATS:
        if data.startswith(magic):
            return name
    if data[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftypavif"):
        return "HEIC/AVIF"
    return None


def _open(data: bytes, max_pixels: int) -> Image.Image:
    """Open (headers only) and check the declared size before any decoding."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRefused("too_many_pixels") from None
    except UnidentifiedImageError:
        other = _other_format(data)
        raise ImageRefused("format" if other else "not_image", other or "") from None
    except Exception:  # noqa: BLE001 - a header Pillow chokes on: not a picture we can read
        raise ImageRefused("not_image") from None
    width, height = image.size
    if width < 1 or height < 1 or width * height > max_pixels:
        raise ImageRefused("too_many_pixels")
    return image


def _decode(image: Image.Image, longest: int) -> tuple[Image.Image, bool]:
    """The first frame, decoded, oriented, in RGB or RGBA; and whether it was an animation."""
    try:
        animated = bool(getattr(image, "is_animated", False))  # GIF: reads the next frame's head
        if image.format == "JPEG":
            image.draft("RGB", (longest, longest))  # decode at 1/2, 1/4 or 1/8 when that is enough
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image.seek(0)
            image.load()
            oriented = ImageOps.exif_transpose(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRefused("too_many_pixels") from None
    except Exception:  # noqa: BLE001 - truncated, corrupt, or a decoder error: all "damaged"
        raise ImageRefused("damaged") from None
    if oriented.mode == "P" and "transparency" in oriented.info:
        oriented = oriented.convert("RGBA")
    has_alpha = oriented.mode in ("RGBA", "LA", "PA", "La", "RGBa")
    pixels = oriented.convert("RGBA" if has_alpha else "RGB")
    pixels.info = {}  # no EXIF, GPS, XMP, ICC or comment goes further
    return pixels, animated


def _square(image: Image.Image, crop: Crop | None, scale: float) -> Image.Image:
    width, height = image.size
    if crop is not None:
        x, y, size = (round(v * scale) for v in (crop.x, crop.y, crop.size))
        if size >= 8 and x >= 0 and y >= 0 and x + size <= width + 1 and y + size <= height + 1:
            size = min(size, width - x, height - y)
            return image.crop((x, y, x + size, y + size))
    side = min(width, height)
    left, top = (width - side) // 2, (height - side) // 2
    return image.crop((left, top, left + side, top + side))


def _webp(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "WEBP", quality=WEBP_QUALITY, method=4)
    return out.getvalue()


def process(data: bytes, kind: str, crop: Crop | None = None, *, max_bytes: int,
            max_pixels: int) -> Processed:
    """The WebP variants of an uploaded picture, or ImageRefused."""
    if len(data) > max_bytes:
        raise ImageRefused("too_big")
    if not data:
        raise ImageRefused("empty")
    image = _open(data, max_pixels)
    source_format = image.format
    declared = image.size
    longest = max(SIZES[kind]) * 2
    pixels, animated = _decode(image, longest)
    # The crop box is in the oriented picture's pixels; `draft` may have decoded it smaller
    # (by the same factor both ways; turning it upright swaps the sides, not the longest).
    scale = max(pixels.size) / max(declared)
    variants: dict[int, bytes] = {}
    if kind in ("avatar", "logo"):
        square = _square(pixels, crop, scale)
        for size in SQUARE_SIZES:
            variants[size] = _webp(square.resize((size, size), Image.Resampling.LANCZOS))
        width = height = SQUARE_SIZES[-1]
    else:
        for size in PHOTO_SIZES:
            fitted = pixels.copy()
            fitted.thumbnail((size, size * 4), Image.Resampling.LANCZOS)  # never enlarges
            if fitted.size[1] > PHOTO_SIZES[-1]:  # a very tall picture: its height bounded too
                fitted.thumbnail((PHOTO_SIZES[-1], PHOTO_SIZES[-1]), Image.Resampling.LANCZOS)
            variants[size] = _webp(fitted)
            width, height = fitted.size
    return Processed(variants, width, height, animated, source_format)
