"""The retention job as a django-tasks task, for deployments that schedule tasks rather
than commands (`apply_retention.enqueue()` once a day; `db_worker` runs it)."""

from django_tasks import task

from accueil.privacy import retention


@task()
def apply_retention() -> dict[str, int]:
    report = retention.apply_retention()
    return {what: getattr(report, what) for what in retention.LABELS}
