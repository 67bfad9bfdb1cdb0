import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accueil.settings")
application = get_wsgi_application()

# Everything loaded at start-up (Django, apps, dateparser's tables...) lives as long as the
# process: moved out of the collector's reach, full collections stop re-scanning it. They
# took about 40 ms every few requests of a slot search (bench/run.py, first available).
gc.collect()
gc.freeze()
