"""The picture fields of the profile, network and place forms, and what the views do with them.

A form declares `picture_fields(kind)`'s fields (a file, "remove", and for a square picture a
crop box that a cropper may fill) and calls `check_picture` from the file field's validator: the
upload is read (at most IMAGE_MAX_BYTES), counted against IMAGE_UPLOAD_RATE_LIMIT and processed
there, so that a refused picture is a form error shown next to everything else typed (422,
nothing lost). After validation the view calls `apply_picture`, which stores the files and sets
the column; the old files go after the commit (storage.py).
"""
from __future__ import annotations

from flask import current_app, flash
from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.file import FileField
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from werkzeug.datastructures import FileStorage
from wtforms import BooleanField, HiddenField
from wtforms.validators import ValidationError

from app.images.processing import Crop, ImageRefused, process
from app.images.storage import save

ACCEPT = "image/jpeg,image/png,image/webp,image/gif"
HINTS = {
    "avatar": _l("JPEG, PNG, WebP or GIF, at most %(mb)d MB. It is cropped to a square around its "
                 "centre. Its hidden data (place and date of the shot, camera) is removed."),
    "logo": _l("JPEG, PNG, WebP or GIF, at most %(mb)d MB, cropped to a square around its "
               "centre."),
    "photo": _l("JPEG, PNG, WebP or GIF, at most %(mb)d MB. Its hidden data (place and date of "
                "the shot, camera) is removed."),
}


def refusal_message(error: ImageRefused) -> str:
    config = current_app.config
    messages = {
        "too_big": _("This picture is larger than %(mb)d MB. Send a smaller one.",
                     mb=config["IMAGE_MAX_BYTES"] // (1024 * 1024)),
        "empty": _("This file is empty. Choose a picture."),
        "not_image": _("This file is not a picture Maillage can read. Send a JPEG, PNG, WebP or "
                       "GIF picture."),
        "format": _("%(format)s pictures are not accepted here. Send a JPEG, PNG, WebP or GIF "
                    "picture.", format=error.detail or "?"),
        "too_many_pixels": _("This picture has too many pixels (at most %(mp)d million). Send "
                             "a smaller one.", mp=config["IMAGE_MAX_PIXELS"] // 1_000_000),
        "damaged": _("This picture is damaged or incomplete: it could not be read to the end. "
                     "Send it again, or another one."),
    }
    return messages.get(error.code, messages["not_image"])


def hint(kind: str) -> str:
    return HINTS[kind] % {"mb": current_app.config["IMAGE_MAX_BYTES"] // (1024 * 1024)}


def file_field(label, kind: str) -> FileField:
    return FileField(label, description=LazyString(hint, kind), render_kw={"accept": ACCEPT})


def remove_field(label) -> BooleanField:
    return BooleanField(label)


def crop_field() -> HiddenField:
    return HiddenField(default="")


def _within_rate_limit() -> bool:
    app = current_app._get_current_object()
    ext = app.extensions.setdefault("maillage.image_limiter", {})
    if "limiter" not in ext:
        ext["limiter"] = MovingWindowRateLimiter(
            storage_from_string(app.config["RATELIMIT_STORAGE_URI"]))
    return ext["limiter"].hit(parse(app.config["IMAGE_UPLOAD_RATE_LIMIT"]), "image-upload",
                              str(current_user.id))


def _crop(form) -> Crop | None:
    values = []
    for name in ("crop_x", "crop_y", "crop_size"):
        raw = getattr(getattr(form, name, None), "data", None) or ""
        if not (isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) <= 6):
            return None
        values.append(int(raw))
    return Crop(*values)


def uploaded(field) -> FileStorage | None:
    upload = field.data
    if not isinstance(upload, FileStorage):
        return None
    if not upload.filename:
        # A file input left empty still sends a part, with no name and no content.
        head = upload.stream.read(1)
        upload.stream.seek(0)
        if not head:
            return None
    return upload


def check_picture(form, field, kind: str) -> None:
    """The file field's validator: the processed picture is kept on `form.picture`."""
    form.picture = None
    upload = uploaded(field)
    if upload is None:
        return
    if not _within_rate_limit():
        raise ValidationError(_("You sent many pictures in a short while. Wait a little, then "
                                "try again."))
    limit = current_app.config["IMAGE_MAX_BYTES"]
    data = upload.stream.read(limit + 1)
    try:
        form.picture = process(data, kind, _crop(form), max_bytes=limit,
                               max_pixels=current_app.config["IMAGE_MAX_PIXELS"])
    except ImageRefused as error:
        raise ValidationError(refusal_message(error)) from None


def apply_picture(form, obj, column: str, kind: str, owner_id: int, remove_field=None) -> None:
    """Store the new picture, or forget the current one when "remove" is ticked."""
    picture = getattr(form, "picture", None)
    if picture is not None:
        if getattr(form, "picture_key", None) is None:  # once, even if the view tries again
            form.picture_key = save(picture, kind, owner_id)
            if picture.animated:
                flash(_("Your picture was animated: only its first image is kept."), "info")
        setattr(obj, column, form.picture_key)
    elif remove_field is not None and remove_field.data:
        setattr(obj, column, None)
