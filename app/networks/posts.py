"""Posts and comments inside a network: write, edit and delete one's own, animators pin."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.confirm import confirm_page
from app.forms import explain_csrf_failure
from app.idempotency import idempotent
from app.networks.access import load_network
from app.networks.blueprint import bp
from app.networks.forms import CommentForm, JoinForm, PostForm, RequestForm
from app.networks.queries import comments_of, mute_notice, pinned_posts, post_stream
from app.networks.service import create_comment, create_post, delete_comment
from app.security import csrf_in_form
from models import Comment, Post, db
from models.types import utcnow


def _post_or_404(network_id: int, post_id: int) -> Post:
    post = db.session.get(Post, post_id)
    if post is None or post.network_id != network_id:
        abort(404)
    return post


def _comment_or_404(network_id: int, comment_id: int) -> Comment:
    comment = db.session.get(Comment, comment_id)
    if comment is None or comment.post.network_id != network_id:
        abort(404)
    return comment


def muted_text(access) -> str:
    return mute_notice(db.session, access)


def _writing_form(access, form):
    """The form of a member who may write; a muted member's comes back with their text and why
    they cannot send it; anyone else is sent to the charter (join, or accept the new one)."""
    if access.is_member and access.is_muted:
        form.validate_on_submit()
        form.body.errors = [*form.body.errors, muted_text(access)]
        return form
    _require_post_rights(access)
    return form


def _require_post_rights(access) -> None:
    if not access.can_post:
        flash(_("Accept the current charter to write in this network.")
              if access.must_accept_charter else _("Join the network to write in it."), "error")
        abort(redirect(url_for("networks.charter", network_id=access.network.id)))


@bp.post("/<id:network_id>/posts")
@login_required
@csrf_in_form
@idempotent
def new_post(network_id: int):
    access = load_network(network_id, read=True)
    form = _writing_form(access, PostForm())
    if not form.errors and form.validate_on_submit():
        post = create_post(db.session, access.network, current_user, form.body.data)
        db.session.commit()
        flash(_("Your message is posted."), "success")
        return redirect(url_for("networks.post", network_id=network_id, post_id=post.id))
    explain_csrf_failure(form)
    posts, next_before = post_stream(db.session, network_id)
    return render_template("networks/show.html", access=access, network=access.network,
                           posts=posts, pinned=pinned_posts(db.session, network_id),
                           next_before=next_before, post_form=form, join_form=JoinForm(),
                           request_form=RequestForm()), 422


@bp.route("/<id:network_id>/posts/<id:post_id>")
def post(network_id: int, post_id: int):
    access = load_network(network_id, read=True)
    found = _post_or_404(network_id, post_id)
    return _render_post(access, found, CommentForm() if access.can_post else None)


def _render_post(access, found: Post, form, status: int = 200):
    return render_template("networks/post.html", access=access, network=access.network,
                           post=found, comments=comments_of(db.session, found.id),
                           comment_form=form,
                           mute_notice=muted_text(access)
                           if access.is_member and access.is_muted else None), status


@bp.post("/<id:network_id>/posts/<id:post_id>/comments")
@login_required
@csrf_in_form
@idempotent
def new_comment(network_id: int, post_id: int):
    access = load_network(network_id, read=True)
    found = _post_or_404(network_id, post_id)
    form = _writing_form(access, CommentForm())
    if not form.errors and form.validate_on_submit():
        comment = create_comment(db.session, found, current_user, form.body.data)
        db.session.commit()
        return redirect(url_for("networks.post", network_id=network_id, post_id=post_id,
                                _anchor=f"comment-{comment.id}"))
    explain_csrf_failure(form)
    return _render_post(access, found, form, 422)


@bp.route("/<id:network_id>/posts/<id:post_id>/edit", methods=["GET", "POST"])
@login_required
@csrf_in_form
def edit_post(network_id: int, post_id: int):
    access = load_network(network_id, read=True)
    found = _post_or_404(network_id, post_id)
    if found.author_id != current_user.id or not access.can_post or found.hidden_at:
        abort(403)  # only one's own, while one may write, and not once hidden (deleting stays)
    form = PostForm(obj=found if request.method == "GET" else None)
    if form.validate_on_submit():
        found.body, found.edited_at = form.body.data, utcnow()
        db.session.commit()
        flash(_("Your message is saved."), "success")
        return redirect(url_for("networks.post", network_id=network_id, post_id=post_id))
    explain_csrf_failure(form)
    return render_template("networks/edit_text.html", access=access, network=access.network,
                           form=form, cancel=url_for("networks.post", network_id=network_id,
                                                     post_id=post_id),
                           title=_("Edit my message")), 422 if form.errors else 200


@bp.route("/<id:network_id>/posts/<id:post_id>/delete", methods=["GET", "POST"])
@login_required
def delete_post(network_id: int, post_id: int):
    access = load_network(network_id, read=True)
    found = _post_or_404(network_id, post_id)
    if found.author_id != current_user.id or found.hidden_at:
        abort(403)  # hidden by a moderator: kept for the audit and the appeal
    if request.method == "GET":
        return confirm_page(_("Delete your message and its replies? This cannot be undone."),
                            _("Delete the message"),
                            url_for("networks.post", network_id=network_id, post_id=post_id))
    db.session.delete(found)
    db.session.commit()
    flash(_("Your message is deleted."), "success")
    return redirect(url_for("networks.show", network_id=access.network.id))


@bp.post("/<id:network_id>/posts/<id:post_id>/pin")
@login_required
def pin_post(network_id: int, post_id: int):
    access = load_network(network_id, animator=True)
    found = _post_or_404(network_id, post_id)
    found.pinned = request.form.get("pinned") == "1"
    db.session.commit()
    flash(_("Message pinned at the top.") if found.pinned else _("Message unpinned."), "success")
    return redirect(url_for("networks.show", network_id=access.network.id))


@bp.route("/<id:network_id>/comments/<id:comment_id>/edit", methods=["GET", "POST"])
@login_required
@csrf_in_form
def edit_comment(network_id: int, comment_id: int):
    access = load_network(network_id, read=True)
    comment = _comment_or_404(network_id, comment_id)
    if comment.author_id != current_user.id or not access.can_post or comment.hidden_at:
        abort(403)
    form = CommentForm(obj=comment if request.method == "GET" else None)
    back = url_for("networks.post", network_id=network_id, post_id=comment.post_id,
                   _anchor=f"comment-{comment.id}")
    if form.validate_on_submit():
        comment.body, comment.edited_at = form.body.data, utcnow()
        db.session.commit()
        return redirect(back)
    explain_csrf_failure(form)
    return render_template("networks/edit_text.html", access=access, network=access.network,
                           form=form, cancel=back, title=_("Edit my reply")), \
        422 if form.errors else 200


@bp.route("/<id:network_id>/comments/<id:comment_id>/delete", methods=["GET", "POST"])
@login_required
def remove_comment(network_id: int, comment_id: int):
    load_network(network_id, read=True)
    comment = _comment_or_404(network_id, comment_id)
    if comment.author_id != current_user.id or comment.hidden_at:
        abort(403)  # hidden by a moderator: kept for the audit and the appeal
    if request.method == "GET":
        return confirm_page(_("Delete your reply? This cannot be undone."), _("Delete the reply"),
                            url_for("networks.post", network_id=network_id,
                                    post_id=comment.post_id))
    post_id = comment.post_id
    delete_comment(db.session, comment)
    db.session.commit()
    flash(_("Your reply is deleted."), "success")
    return redirect(url_for("networks.post", network_id=network_id, post_id=post_id))
