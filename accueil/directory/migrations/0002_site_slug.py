"""Sites get a slug, unique within their organisation, for their public page."""

from django.db import migrations, models
from django.utils.text import slugify


def fill_slugs(apps, schema_editor):
    Site = apps.get_model("directory", "Site")
    taken: dict[int, set[str]] = {}
    for site in Site.objects.order_by("organisation_id", "id"):
        used = taken.setdefault(site.organisation_id, set())
        base = slugify(site.city or site.name)[:72].strip("-") or "lieu"
        slug, n = base, 1
        while slug in used:
            n += 1
            slug = f"{base}-{n}"
        used.add(slug)
        site.slug = slug
        site.save(update_fields=["slug"])


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="site",
            name="slug",
            field=models.SlugField(blank=True, max_length=80),
        ),
        migrations.RunPython(fill_slugs, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="site",
            constraint=models.UniqueConstraint(
                fields=("organisation", "slug"), name="site_slug_per_organisation"
            ),
        ),
    ]
