"""`flask` commands: territory, users, demo data."""
from __future__ import annotations

import secrets
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select, text

from app.auth.forms import PASSWORD_MIN
from app.backup import backup_cli
from app.moderation.audit import audit
from models import Profile, Role, User, db
from models.types import utcnow

territory_cli = AppGroup("territory", help="The commune gazetteer.")
user_cli = AppGroup("user", help="Accounts and roles.")
uploads_cli = AppGroup("uploads", help="Uploaded files: where they live is "
                       "MAILLAGE_UPLOADS_BACKEND.")
skills_cli = AppGroup("skills", help="Canonical skills and their synonyms.")
sirene_cli = AppGroup("sirene", help="Establishments from INSEE's SIRENE register.")
DEFAULT_GAZETTEER = Path(__file__).resolve().parent.parent / "data" / "communes.json"


@territory_cli.command("load")
@click.option("--file", "path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=DEFAULT_GAZETTEER, show_default=True)
def territory_load(path: Path) -> None:
    """Load (or refresh) communes and EPCIs from the gazetteer file; safe to run again."""
    from app.territory.gazetteer import load_gazetteer
    counts = load_gazetteer(db.session, path)
    db.session.commit()
    analyze()
    click.echo(f"{counts['communes']} communes ({counts['added']} new), {counts['epci']} EPCI.")


@skills_cli.command("load")
def skills_load() -> None:
    """Load (or refresh) the canonical skills of data/skills.json; safe to run again."""
    from app.skills.service import load_seed
    counts = load_seed(db.session)
    db.session.commit()
    click.echo(f"{counts['skills']} canonical skills ({counts['created']} new, "
               f"{counts['merged']} typed skills merged into them).")


@click.command("search")
@click.argument("action", type=click.Choice(["rebuild", "alerts"]))
def search_command(action: str) -> None:
    """`flask search rebuild`: index every profile, network, place, post and event again, into
    a new index that replaces the live one when complete (searches go on meanwhile); with the
    PostgreSQL engine, every document rewritten in one transaction.
    `flask search alerts`: tell members of the new profiles matching their saved searches."""
    from flask import current_app
    if action == "alerts":
        from app.savedsearch.alerts import send_alerts
        report = send_alerts(db.session)
        db.session.commit()
        click.echo(f"{report.profiles} profiles looked at, {report.alerts} alerts.")
        return

    import search
    from search import documents
    total = documents.count_rows(db.session)
    with click.progressbar(length=total, label="Search index", show_pos=True,
                           show_eta=True) as bar:
        done = [0]

        def progress(n: int, _total: int) -> None:
            bar.update(n - done[0])
            done[0] = n
        indexed = search.rebuild(current_app._get_current_object(), progress)
    where = "PostgreSQL's search tables" if search.backend(current_app) == "postgres" \
        else current_app.config["SEARCH_INDEX_DIR"]
    click.echo(f"{indexed} documents indexed in {where}.")


@sirene_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def sirene_import(path: Path) -> None:
    """Import a StockEtablissement CSV extract (streamed; safe to run again)."""
    from app.organisers.prospects import running_import
    from app.organisers.sirene import SireneFormatError, run_import
    from models import Commune, SireneImport
    communes = set(db.session.scalars(select(Commune.insee)))
    if not communes:
        raise click.ClickException("Load the territory first: flask territory load")
    if (busy := running_import()) is not None:  # two imports would race on the same SIRETs
        raise click.ClickException(f"An import is under way ({busy.filename}): wait for it.")
    record = SireneImport(filename=path.name[:200], size_bytes=path.stat().st_size)
    db.session.add(record)
    db.session.commit()
    record_id = record.id
    with click.progressbar(length=record.size_bytes, label=f"Import {path.name}") as bar:
        done = [0]

        def progress(report) -> None:
            bar.update(report.bytes_read - done[0])
            done[0] = report.bytes_read
        try:
            report = run_import(db.session, path, communes, record=record, progress=progress)
        except SireneFormatError as error:
            record = db.session.get(SireneImport, record_id)
            record.status, record.error = "failed", str(error)
            db.session.commit()
            raise click.ClickException(f"Not a StockEtablissement extract: {error}") from None
    record = db.session.get(SireneImport, record_id)
    record.status, record.finished_at = "done", utcnow()
    db.session.commit()
    analyze()
    click.echo(f"{report.rows} rows: {report.kept} kept ({report.inserted} new, {report.updated} "
               f"updated, {report.unchanged} unchanged; {report.non_diffusible} non-diffusible), "
               f"{report.outside} outside the territory, {report.closed} closed, "
               f"{report.malformed} malformed"
               + (f" (lines {', '.join(map(str, report.malformed_lines))})"
                  if report.malformed else "") + ".")


def analyze() -> None:
    """Refresh the query planner's statistics after a bulk load (SQLite and PostgreSQL alike):
    without them SQLite picks the visibility index for every directory filter."""
    db.session.execute(text("ANALYZE"))
    db.session.commit()


def _find_user(email: str) -> User:
    user = db.session.scalar(select(User).where(User.email == User.normalise_email(email)))
    if user is None:
        raise click.ClickException(f"No account with the address {email}.")
    return user


@user_cli.command("create-admin")
@click.argument("email")
@click.option("--password", help="Generated and printed when omitted.")
@click.option("--name", "display_name", default="Admin", show_default=True)
def create_admin(email: str, password: str | None, display_name: str) -> None:
    """Create an admin account, or make an existing account admin."""
    email = User.normalise_email(email)
    if "@" not in email:
        raise click.BadParameter("not an email address", param_hint="EMAIL")
    if password is not None and len(password) < PASSWORD_MIN:
        raise click.BadParameter(f"at least {PASSWORD_MIN} characters", param_hint="--password")
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        generated = password is None
        password = password or secrets.token_urlsafe(12)
        user = User(email=email, display_name=display_name, role=Role.ADMIN)
        user.set_password(password)
        user.profile = Profile()
        db.session.add(user)
        db.session.commit()
        click.echo(f"Admin {email} created." + (f" Password: {password}" if generated else ""))
    else:
        if user.role != Role.ADMIN:
            audit(db.session, None, "site_role", "profile", user.profile.id if user.profile else None,
                  label=user.display_name, detail=f"{user.role} -> {Role.ADMIN}",
                  reason="flask user create-admin")
        user.role = Role.ADMIN
        if password:
            user.set_password(password)
        db.session.commit()
        click.echo(f"{email} is now admin.")


@user_cli.command("set-role")
@click.argument("email")
# The values, not the members: click matches Enum choices by their names ("ADMIN").
@click.argument("role", type=click.Choice([r.value for r in Role]))
def set_role(email: str, role: str) -> None:
    """Give an account the role member, organiser or admin."""
    user = _find_user(email)
    if user.role != role:
        audit(db.session, None, "site_role", "profile", user.profile.id if user.profile else None,
              label=user.display_name, detail=f"{user.role} -> {role}", reason="flask user set-role")
    user.role = Role(role)
    db.session.commit()
    click.echo(f"{user.email} is now {role}.")


@click.command("demo")
@click.option("--profiles", "count", default=340, show_default=True, type=click.IntRange(1, 200_000))
def demo(count: int) -> None:
    """Create a believable demo territory (idempotent). Demo password: maillage-demo."""
    from app.demo import create_demo
    from models import Commune
    if db.session.scalar(select(Commune.insee).limit(1)) is None:
        raise click.ClickException("Load the territory first: flask territory load")
    with click.progressbar(length=count, label="Demo profiles") as bar:
        last = [0]

        def progress(done: int) -> None:
            bar.update(done - last[0])
            last[0] = done
        result = create_demo(db.session, count, progress=progress)
        db.session.commit()
        from app.demo_networks import create_demo_networks
        social = create_demo_networks(db.session)
        db.session.commit()
        from app.demo_demand import create_demo_demand
        demand = create_demo_demand(db.session)
        db.session.commit()
        from app.demo_avatars import create_demo_avatars
        avatars = create_demo_avatars(db.session)
        db.session.commit()
        analyze()
        bar.update(count - last[0])
    click.echo(f"{result['created']} demo profiles created, {result['skipped']} already there; "
               f"{social['networks']} networks with {social['posts']} posts, "
               f"{social['connections']} connections; {demand['declarations']} declarations, "
               f"{demand['campaign_answers']} campaign answers, {demand['places']} places; "
               f"{avatars} avatars.")


@uploads_cli.command("import")
def uploads_import() -> None:
    """Copy the files of UPLOADS_DIR into the database store (moving an instance from the local
    folder to MAILLAGE_UPLOADS_BACKEND=database; the files stay where they were)."""
    from flask import current_app

    from app.backup import import_uploads
    from app.images import storage
    app = current_app._get_current_object()
    if storage.backend(app) != "database":
        raise click.ClickException("Set MAILLAGE_UPLOADS_BACKEND=database first: the files are "
                                   "already in the local store.")
    folder = storage.uploads_dir(app)
    written = import_uploads(app, folder) if folder.is_dir() else 0
    click.echo(f"{written} files of {folder} copied into the database.")


def init_app(app: Flask) -> None:
    from app.events.cli import events_cli
    from app.places.cli import places_cli
    app.cli.add_command(events_cli)
    app.cli.add_command(places_cli)
    app.cli.add_command(territory_cli)
    app.cli.add_command(user_cli)
    app.cli.add_command(skills_cli)
    app.cli.add_command(sirene_cli)
    app.cli.add_command(search_command)
    app.cli.add_command(demo)
    app.cli.add_command(backup_cli)
    app.cli.add_command(uploads_cli)
