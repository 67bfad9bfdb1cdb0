from django import template

register = template.Library()


@register.filter
def seconds(value) -> str:
    """45 -> "45 s", 185 -> "3 min 05 s", 4500 -> "1 h 15 min"."""
    try:
        total = max(0, int(value))
    except (TypeError, ValueError):
        return ""
    if total < 60:
        return f"{total} s"
    minutes, secs = divmod(total, 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


@register.filter
def phone(value: str) -> str:
    """ "+33612345678" -> "06 12 34 56 78" (other numbers unchanged)."""
    if value and value.startswith("+33") and len(value) == 12:
        digits = "0" + value[3:]
        return " ".join(digits[i : i + 2] for i in range(0, 10, 2))
    return value or ""
