from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def second_factor_required(app_configs, **kwargs):
    """A deployment that turned the second factor off says so at every `check --deploy`."""
    if settings.OTP_REQUIRED:
        return []
    return [
        checks.Warning(
            "OTP_REQUIRED is off: staff log in with a password alone.",
            hint="Unset OTP_REQUIRED (default on): health data needs a second factor.",
            id="accounts.W001",
        )
    ]
