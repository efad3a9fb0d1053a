from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    # The shared cache (throttles, per-user caps) is a database table unless REDIS_URL is set;
    # createcachetable does nothing for other backends or when the table exists.
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("contentizer", "0008_stored_objects")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
