"""No-show statistics of the organisation: a page with a chart and tables, and a CSV export.

Every member may read them. The counting is in `desk.stats`.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from accueil.desk import stats
from accueil.desk.stats_forms import StatsForm
from accueil.desk.views import _today, staff_view
from accueil.directory.roles import Capability


def _stats(request: HttpRequest, form: StatsForm) -> stats.NoShowStats:
    data = form.cleaned_data
    return stats.no_show_stats(
        request.organisation,
        data["du"],
        data["au"],
        timezone.now(),
        practitioner=data["praticien"],
        motif=data["motif"],
    )


@staff_view(Capability.STATISTICS)
def no_shows(request: HttpRequest) -> HttpResponse:
    form = StatsForm(request.organisation, request.GET, _today())
    context = {"organisation": request.organisation, "nav": "stats", "form": form}
    if form.is_valid():
        found = _stats(request, form)
        query = request.GET.urlencode()
        csv_url = reverse("desk:stats_csv", args=[request.organisation.slug])
        context.update(
            stats=found,
            chart=stats.chart(found.months),
            csv_url=f"{csv_url}?{query}" if query else csv_url,
        )
    return render(request, "desk/stats.html", context)


@staff_view(Capability.STATISTICS)
def no_shows_csv(request: HttpRequest) -> HttpResponse:
    form = StatsForm(request.organisation, request.GET, _today())
    if not form.is_valid():  # the page shows the errors next to the filters
        url = reverse("desk:stats", args=[request.organisation.slug])
        return redirect(f"{url}?{request.GET.urlencode()}")
    found = _stats(request, form)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"non-honores-{request.organisation.slug}-{found.first}-{found.last}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    stats.write_csv(response, request.organisation, found)
    return response
