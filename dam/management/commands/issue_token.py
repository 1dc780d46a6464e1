"""`manage.py issue_token USER [--create] [--staff] [--regenerate]`: print the user's API token."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from rest_framework.authtoken.models import Token


class Command(BaseCommand):
    help = "Print a DRF API token for USER (for `Authorization: Token <key>`), creating the user if asked."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--create", action="store_true", help="create the user if it does not exist")
        parser.add_argument("--staff", action="store_true", help="make the user staff (sees every asset)")
        parser.add_argument("--password", default=None, help="set this password (to log in on the web page)")
        parser.add_argument("--regenerate", action="store_true", help="replace an existing token")

    @transaction.atomic
    def handle(self, *args, username: str, create: bool, staff: bool, password, regenerate: bool, **options):
        users = get_user_model()
        user = users.objects.filter(username=username).first()
        if user is None:
            if not create:
                raise CommandError(f"No user {username!r}; pass --create to create it.")
            user = users.objects.create_user(username=username)
        changed = []
        if staff and not user.is_staff:
            user.is_staff = True
            changed.append("is_staff")
        if password is not None:
            user.set_password(password)
            changed.append("password")
        if changed:
            user.save(update_fields=changed)
        if regenerate:
            Token.objects.filter(user=user).delete()
        token, _ = Token.objects.get_or_create(user=user)
        self.stdout.write(token.key)
