"""The `fointracker` command (a Flask CLI group: `flask --app fointracker ...` works the same)."""
from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import FlaskGroup

from .extensions import db


def register_commands(app: Flask) -> None:
    app.cli.add_command(authorities_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)


@click.group("authorities", help="The council register.")
def authorities_cli():
    pass


@authorities_cli.command("import")
@click.argument("file", required=False, type=click.Path(exists=True, dir_okay=False))
def import_authorities(file):
    """Upsert councils from FILE (default: the register shipped with fointracker). Idempotent."""
    from .register import RegisterError
    from .services.authorities import import_register

    try:
        summary = import_register(db.session, file)
    except RegisterError as exc:
        raise click.ClickException(f"nothing imported; the file has problems:\n{exc}") from None
    click.echo(f"Councils: {summary}.")


@click.group("users", help="User accounts.")
def users_cli():
    pass


@users_cli.command("create")
@click.option("--email", required=True, help="The user's email address (their login).")
@click.option("--role", required=True, type=click.Choice(["admin", "coordinator", "staff", "author"]))
@click.option("--name", default="", help="Display name.")
@click.option("--generate-password", is_flag=True, help="Generate a password and print it instead of prompting.")
def create_user_command(email, role, name, generate_password):
    """Create a user. Prompts for a password, or generates one (also when not run at a terminal)."""
    from .services.users import UserError, create_user, generate_password as make_password

    generated = generate_password or not sys.stdin.isatty()
    password = make_password() if generated else click.prompt(
        "Password (10 characters or more)", hide_input=True, confirmation_prompt=True)
    try:
        user = create_user(db.session, email=email, role=role, password=password, name=name)
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Created {user.role} {user.email}.")
    if generated:
        click.echo(f"Password: {password}")


@click.group("demo", help="Demonstration data.")
def demo_cli():
    pass


@demo_cli.command("seed")
@click.option("--admin-email", default="admin@example.org", show_default=True)
@click.option("--admin-password", default=None, help="Default: generated and printed.")
def seed_demo(admin_email, admin_password):
    """Load a clearly labelled demo campaign with requests, and an admin user."""
    from .services.demo import seed

    result = seed(db.session, admin_email=admin_email, admin_password=admin_password)
    click.echo(result.summary())


def main() -> None:
    from . import create_app

    cli = FlaskGroup(create_app=create_app, help="fointracker: FOI campaigns against UK councils.")
    cli.main(prog_name="fointracker")
