"""A Django site with the Debug Toolbar and pyflame's panel alone, for
test_python_django.py: two requests through Django's test client, to
views that do known work, then each request's panel as the toolbar's
page fetches it.  argv[1]: PYFLAME_CONFIG, as JSON.  Prints one JSON
object: each panel's content (or the error a request raised).

The views are busy() until sampled; a thread 'other' is busy meanwhile
and must not show (sampled_work.py)."""
import json
import re
import sys
import threading

import django
from django.conf import settings

settings.configure(
    DEBUG=True,
    SECRET_KEY="pyflame-tests",
    ROOT_URLCONF=__name__,
    ALLOWED_HOSTS=["*"],
    INTERNAL_IPS=["127.0.0.1"],
    INSTALLED_APPS=["django.contrib.staticfiles", "debug_toolbar"],
    MIDDLEWARE=["debug_toolbar.middleware.DebugToolbarMiddleware"],
    TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates",
                "APP_DIRS": True}],
    STATIC_URL="/static/",
    DEBUG_TOOLBAR_PANELS=["pyflame.django.FlamegraphPanel"],
    # Panels fetched by the toolbar's page from its store, one request's
    # at a time, as with a server of several processes.
    DEBUG_TOOLBAR_CONFIG={"RENDER_PANELS": False},
    PYFLAME_CONFIG=json.loads(sys.argv[1]),
)
django.setup()

from django.http import HttpResponse  # noqa: E402  (after settings)
from django.test import Client  # noqa: E402
from django.urls import include, path  # noqa: E402
from sampled_work import busy, other_work  # noqa: E402


def page(text):
    return HttpResponse("<html><body>%s</body></html>" % text)


def busy_view(request):
    busy()
    return page("busy")


def other_view(request):
    busy()
    return page("other")


urlpatterns = [path("busy/", busy_view), path("other/", other_view),
               path("__debug__/", include("debug_toolbar.urls"))]


def panel_of(client, url):
    """The pyflame panel of a request to `url`, as the toolbar loads it."""
    try:
        response = client.get(url)
    except Exception as e:  # the test client raises what the request raised
        return {"raised": "%s: %s" % (type(e).__name__, e)}
    store = re.search(r'data-store-id="([^"]+)"', response.content.decode()).group(1)
    panel = client.get("/__debug__/render_panel/",
                       {"store_id": store, "panel_id": "FlamegraphPanel"}).json()
    nav = re.search(r'<small>\s*([^<]*?)\s*</small>', response.content.decode())
    return {"status": response.status_code, "content": panel["content"],
            "subtitle": nav.group(1) if nav else None}


stop = []
other = threading.Thread(target=other_work, args=(stop,), name="other")
other.start()
try:
    client = Client()
    result = {"busy": panel_of(client, "/busy/"), "other": panel_of(client, "/other/")}
finally:
    stop.append(True)
    other.join()
print(json.dumps(result))
