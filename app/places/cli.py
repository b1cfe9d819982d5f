"""`flask places import FILE`: the national list of tiers-lieux (app/places/importer.py), in one
transaction: a refused file writes nothing and exits with status 1, with what to correct."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.places.importer import ImportRefused, import_places
from models import Commune, db

places_cli = AppGroup("places", help="The tiers-lieux directory.")


@places_cli.command("import")
@click.argument("path", metavar="FILE",
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Read, check and report; write nothing.")
def import_command(path: Path, dry_run: bool) -> None:
    """Import the territory's rows of the national list of tiers-lieux (CGET 2019, CSV).
    Safe to run again: places nobody confirmed are updated, confirmed ones are kept."""
    try:
        report = import_places(db.session, path)
    except ImportRefused as refusal:
        db.session.rollback()
        raise click.ClickException(f"{refusal} Nothing was imported.") from None
    names = dict(db.session.execute(select(Commune.insee, Commune.name)).all())
    for source_id, (insee, how) in report.placed.items():
        if how == "coordinates":  # the name in the file is not the commune's: say where it went
            click.echo(f"Placed by its coordinates: ID {source_id} in {names[insee]} ({insee}).")
    for source_id, reason in report.unplaced:
        click.echo(f"Unplaced: ID {source_id}: {reason}.")
    for source_id, reason in report.invalid:
        click.echo(f"Invalid: ID {source_id}: {reason}.")
    for source_id, note in report.notes:
        click.echo(f"Note: ID {source_id}: {note}.")
    if dry_run:
        db.session.rollback()
        click.echo("Dry run, nothing written: " + report.summary())
        return
    try:
        db.session.commit()
    except IntegrityError:  # another import ran at the same moment
        db.session.rollback()
        raise click.ClickException("Another import wrote the same places at the same moment: "
                                   "nothing was written by this one; run it again.") from None
    click.echo(report.summary())
