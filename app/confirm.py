"""Destructive actions ask first. Their buttons (templates/macros/confirm.html) are GET forms to
the action's own address: the view answers a GET with `confirm_page`, and only its POST (with
the CSRF token, like every unsafe method) acts. static/js/ui.js asks the same in a <dialog>."""
from __future__ import annotations

from flask import render_template, request

from app.security import safe_local_path


def confirm_page(question: str, action_label: str, cancel_url: str):
    """"Are you sure? <question> [action_label] [Cancel]": the form posts to this same address,
    carrying the `next` it came with (checked again when the POST redirects)."""
    next_path = safe_local_path(request.args.get("next", ""))
    return render_template("confirm.html", question=question, action_label=action_label,
                           next=next_path, cancel_url=next_path or cancel_url)
