"""Template filters for French dates: {% load french_dates %} then {{ start|fr_datetime }}."""

from django import template

from accueil.booking import french

register = template.Library()

register.filter("fr_date", french.french_date)
register.filter("fr_short_date", french.french_short_date)
register.filter("fr_time", french.french_time)
register.filter("fr_datetime", french.french_datetime)
register.filter("fr_day_month", french.french_day_month)
register.filter("fr_weekday", french.french_weekday)


@register.filter
def fr_date_no_year(value):
    return french.french_date(value, year=False)


@register.filter
def fr_when(value, today):
    """{{ start|fr_when:today }}: "aujourd'hui à 15 h", "demain à 9 h", "jeudi 26 novembre..."."""
    return french.french_when(value, today)
