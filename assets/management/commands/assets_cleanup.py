from django.core.management.base import BaseCommand, CommandParser

from assets import services


class Command(BaseCommand):
    help = (
        "Delete stored blobs and thumbnails that no project, step or job output references, "
        "once they have been unreferenced for the grace period (ASSET_ORPHAN_GRACE_SECONDS). "
        "Also removes storage objects with no blob record and stale upload temporary files. "
        "The same cleanup runs hourly as a django-q2 schedule."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="List what would be deleted; delete nothing.")
        parser.add_argument(
            "--grace", type=int, default=None, metavar="SECONDS",
            help="Override the grace period (default: ASSET_ORPHAN_GRACE_SECONDS).",
        )

    def handle(self, *args, dry_run: bool, grace: int | None, **options) -> None:
        found = services.orphans_cleanup(dry_run=dry_run, grace_seconds=grace)
        verb = "would delete" if dry_run else "deleted"
        for orphan in found:
            self.stdout.write(f"{verb} {orphan.key} ({orphan.reason})")
        self.stdout.write(f"{len(found)} object(s) {'would be deleted' if dry_run else 'deleted'}.")
