"""The NinjaAPI instance: OpenAPI at /api/docs, errors shaped as the v1 contract says."""

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import HttpError, ValidationError

from accueil.api.calls import router as calls_router
from accueil.api.v1 import router as v1
from accueil.throttle.services import RateLimited

api = NinjaAPI(
    title="Accueil API",
    version="1",
    description="Prise de rendez-vous publique : praticiens, motifs, créneaux, rendez-vous.",
    docs_url="/docs",
    urls_namespace="api",
)
api.add_router("/v1", v1)
api.add_router("/v1", calls_router)

# French messages for pydantic's error types seen on the contract's fields.
MESSAGES = {
    "missing": "Ce champ est obligatoire.",
    "string_type": "Texte attendu.",
    "string_too_long": "Texte trop long.",
    "int_parsing": "Nombre entier attendu.",
    "int_type": "Nombre entier attendu.",
    "date_from_datetime_parsing": "Date invalide (AAAA-MM-JJ attendu).",
    "date_parsing": "Date invalide (AAAA-MM-JJ attendu).",
    "date_type": "Date invalide (AAAA-MM-JJ attendu).",
    "datetime_parsing": "Date et heure invalides (ISO 8601 avec fuseau attendu).",
    "datetime_from_date_parsing": "Date et heure invalides (ISO 8601 avec fuseau attendu).",
    "datetime_type": "Date et heure invalides (ISO 8601 avec fuseau attendu).",
    "timezone_aware": "L'horaire doit indiquer son fuseau (ex. +01:00).",
    "model_attributes_type": "Objet JSON attendu.",
    "dict_type": "Objet JSON attendu.",
    "less_than_equal": "Valeur trop grande.",
    "greater_than_equal": "Valeur trop petite.",
}
# Leading parts of pydantic's error location that are not field names.
SOURCES = {"body", "query", "path", "payload"}


@api.exception_handler(ValidationError)
def validation_errors(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    for error in exc.errors:
        parts = [str(p) for p in error.get("loc", ()) if str(p) not in SOURCES]
        field = ".".join(parts) or "body"
        errors.setdefault(field, []).append(MESSAGES.get(error.get("type"), error.get("msg")))
    return api.create_response(request, {"errors": errors}, status=422)


@api.exception_handler(RateLimited)
def rate_limited(request: HttpRequest, exc: RateLimited) -> HttpResponse:
    response = api.create_response(request, {"error": "rate_limited"}, status=429)
    response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(HttpError)
def http_errors(request: HttpRequest, exc: HttpError) -> HttpResponse:
    code = "malformed_json" if exc.status_code == 400 else "http_error"
    return api.create_response(request, {"error": code, "detail": str(exc)}, status=exc.status_code)
