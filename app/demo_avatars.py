"""Demo avatars: portraits drawn with Pillow, stored through the app's own picture pipeline.

A member's home, the directory and a network's posts then show real pictures, as they would on
a living site, so that the page-weight bench (bench/page_weight.py) weighs them. Each portrait
is a 320 px JPEG (a gradient, blurred shapes, a head and shoulders, grain at several scales: a
photo's weight once resized, 0.7-1.2 KB at 48 px, about 3 KB at 96, 15-20 KB at 256, like a
real photo; flat shapes would weigh a third of that), sent through `process` and `save` exactly
as an upload is. Who gets one: three in four of the most active authors of the demo networks
and of the profiles the directory shows first; the others keep their initials, as on a real
site. Deterministic (seeded by the profile's id); a rerun adds nothing once any demo profile has
a picture. Needs an app context (the files go to UPLOADS_DIR); the caller commits.
"""
from __future__ import annotations

import io
import random

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageOps
from sqlalchemy import func, select, union_all
from sqlalchemy.orm.attributes import flag_modified

from app.demo import DEMO_DOMAIN
from app.images.processing import process
from app.images.storage import save
from models import Comment, Post, Profile, User

AUTHORS, FIRST_PROFILES, SHARE = 64, 24, 4  # every SHARE-th one keeps their initials
SIDE = 320
SKIN = ((241, 194, 167), (224, 172, 138), (198, 134, 99), (141, 85, 56), (92, 56, 38),
        (255, 219, 190))
HAIR = ((40, 30, 25), (90, 60, 35), (160, 110, 60), (210, 180, 120), (120, 120, 120),
        (60, 40, 30))


def _grain(rng: random.Random, cells: int, amplitude: float) -> Image.Image:
    """Zero-mean noise (around 128) drawn at cells x cells, then enlarged to the picture."""
    noise = Image.frombytes("L", (cells, cells), rng.randbytes(cells * cells))
    noise = noise.point(lambda v: round(128 + (v - 128) * amplitude))
    return noise.resize((SIDE, SIDE), Image.Resampling.BICUBIC).convert("RGB")


def portrait(seed: int) -> bytes:
    """A JPEG of a made-up person: the same seed, the same bytes."""
    rng = random.Random(seed)
    side = SIDE
    colour = lambda low, high: tuple(rng.randint(low, high) for _ in range(3))  # noqa: E731
    img = ImageOps.colorize(Image.linear_gradient("L").resize((side, side)),
                            colour(60, 230), colour(30, 200))
    draw = ImageDraw.Draw(img)
    for _ in range(rng.randint(6, 12)):  # the room behind, out of focus
        x, y = rng.randrange(side), rng.randrange(side)
        draw.rectangle([x, y, x + rng.randint(16, 130), y + rng.randint(16, 130)],
                       fill=colour(20, 250))
    img = img.filter(ImageFilter.GaussianBlur(side / 60))
    draw = ImageDraw.Draw(img)
    skin, hair, cloth = rng.choice(SKIN), rng.choice(HAIR), colour(10, 230)
    cx = side // 2 + rng.randint(-side // 12, side // 12)
    draw.ellipse([cx - side * .42, side * .72, cx + side * .42, side * 1.35], fill=cloth)
    draw.rectangle([cx - side * .07, side * .55, cx + side * .07, side * .78], fill=skin)
    draw.ellipse([cx - side * .2, side * .12, cx + side * .2, side * .44], fill=hair)
    draw.ellipse([cx - side * .17, side * .2, cx + side * .17, side * .66], fill=skin)
    for eye in (-1, 1):
        ex, ey = cx + eye * side * .07, side * .38
        draw.ellipse([ex - 5, ey - 3, ex + 5, ey + 3], fill=(40, 30, 30))
    draw.arc([cx - side * .06, side * .47, cx + side * .06, side * .55], 20, 160,
             fill=(150, 60, 60), width=3)
    img = img.filter(ImageFilter.GaussianBlur(1))
    for cells, amplitude in ((side // 16, 0.16), (side // 4, 0.16), (side, 0.12)):
        img = ImageChops.add(img, _grain(rng, cells, amplitude), 1.0, -128)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=88)
    return out.getvalue()


def _chosen(session) -> list[Profile]:
    demo = select(User.id).where(User.email.like(f"%@{DEMO_DOMAIN}"))
    writing = union_all(select(Post.author_id.label("uid")).where(Post.author_id.in_(demo)),
                        select(Comment.author_id.label("uid")).where(Comment.author_id.in_(demo))
                        ).subquery()
    authors = session.scalars(
        select(Profile).join(writing, writing.c.uid == Profile.user_id)
        .group_by(Profile.id).order_by(func.count().desc(), Profile.id).limit(AUTHORS)).all()
    first = session.scalars(
        select(Profile).where(Profile.user_id.in_(demo))
        .order_by(Profile.updated_at.desc(), Profile.id.desc()).limit(FIRST_PROFILES)).all()
    return [p for group in (authors, first) for n, p in enumerate(group) if n % SHARE != SHARE - 1]


def create_demo_avatars(session) -> int:
    """Give the chosen demo profiles a picture; the number given."""
    demo = select(User.id).where(User.email.like(f"%@{DEMO_DOMAIN}"))
    if session.scalar(select(Profile.id).where(Profile.user_id.in_(demo),
                                               Profile.avatar.is_not(None)).limit(1)):
        return 0  # made by an earlier run (or by people): a rerun adds nothing
    given = 0
    for profile in dict.fromkeys(_chosen(session)):
        if profile.avatar:
            continue
        picture = process(portrait(profile.id), "avatar", None, max_bytes=10**7,
                          max_pixels=10**7)
        profile.avatar = save(picture, "avatar", profile.id)
        flag_modified(profile, "updated_at")  # the directory's order stays the demo's
        given += 1
    session.flush()
    return given
