from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations

from accueil.booking import overlap


def add_constraint(apps, schema_editor):
    if overlap.is_enforced_by_database(schema_editor.connection):
        schema_editor.execute(overlap.ADD_SQL)


def drop_constraint(apps, schema_editor):
    if overlap.is_enforced_by_database(schema_editor.connection):
        schema_editor.execute(overlap.DROP_SQL)


class Migration(migrations.Migration):
    dependencies = [("booking", "0001_initial")]

    operations = [
        BtreeGistExtension(),  # no-op on SQLite
        migrations.RunPython(add_constraint, drop_constraint),
    ]
