"""Pictures: avatars, network logos and place photos (issue 21).

processing.py decodes and draws an upload again (Pillow), storage.py names, writes and deletes
the files, forms.py holds the form fields and what the edit views do with them, views.py serves
`/media/<key>/<size>`. docs/architecture.md, "A picture", follows one upload through them.
"""
from __future__ import annotations

from flask import Flask, current_app, request

from app.images import views  # noqa: F401  (registers the route)
from app.images.blueprint import bp

# The forms that carry a picture: their requests may be larger than the site-wide limit.
UPLOAD_ENDPOINTS = {"people.edit", "networks.create", "networks.edit", "places.create",
                    "places.edit"}

__all__ = ["bp", "init_app", "UPLOAD_ENDPOINTS"]


def _allow_picture_uploads():
    if request.endpoint in UPLOAD_ENDPOINTS and request.method == "POST":
        # The picture plus the rest of the form; a larger request is a 413 before it is read.
        request.max_content_length = (current_app.config["IMAGE_MAX_BYTES"]
                                      + current_app.config["MAX_FORM_MEMORY_SIZE"])


def too_large_explanation() -> str | None:
    """What a 413 says on a form with a picture."""
    if request.endpoint not in UPLOAD_ENDPOINTS:
        return None
    from flask_babel import gettext as _
    return _("The picture is larger than %(mb)d MB: Maillage did not read it. Go back (your "
             "browser keeps what you typed) and choose a smaller picture.",
             mb=current_app.config["IMAGE_MAX_BYTES"] // (1024 * 1024))


def init_app(app: Flask) -> None:
    from app.images import storage
    storage.backend(app)  # an unknown MAILLAGE_UPLOADS_BACKEND stops here, said clearly
    storage.register()
    app.register_blueprint(bp)
    app.before_request(_allow_picture_uploads)
    app.jinja_env.globals.update(image_url=storage.image_url, image_dims=storage.image_dims,
                                 square_srcset=storage.square_srcset,
                                 initials=storage.initials,
                                 initials_colour=storage.initials_colour)
