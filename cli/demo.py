import click

from cli.common import run_db


@click.group("demo")
def demo_group() -> None:
    """The demo company."""


@demo_group.command("seed")
@click.option("--seed", default=1, show_default=True, help="the same seed gives the same company")
@click.option(
    "--deals", "deals_count", default=300, show_default=True, type=click.IntRange(0, 20000)
)
def seed_cmd(seed: int, deals_count: int) -> None:
    """Fill the database with a realistic Ukrainian trading company (through the services)."""
    from rich.progress import Progress

    from services.demo import seed_demo

    with Progress(transient=True) as bar:
        task = bar.add_task("deals", total=deals_count)

        def progress(_step: str, done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        report = run_db(seed_demo, seed, deals_count=deals_count, progress=progress)
    click.echo(
        f"employees {report.employees}, partners {report.partners}, "
        f"counterparties {report.counterparties}, contacts {report.contacts}, "
        f"deals {report.deals} (won {report.won}, lost {report.lost}, open {report.open}), "
        f"interactions {report.interactions}, orders {report.orders}, claims {report.claims}"
    )
