"""A Django Debug Toolbar panel: the flame graph of each request.

    DEBUG_TOOLBAR_PANELS = [..., "pyflame.django.FlamegraphPanel"]
    PYFLAME_CONFIG = {"HZ": 1000, "THREADS": False, "FORMAT": "svg"}

Each request the toolbar follows is profiled by pyflame.profile(): the
native pyflame attaches to the server's process for the request's
duration and samples the thread that serves it, alone (THREADS: every
thread).  One request at a time per process: a request that comes while
another is being profiled is served unprofiled, and its panel says so.

PYFLAME_CONFIG (all optional):
  HZ       samples per second (1000)
  THREADS  True: every thread of the process, not only the request's
  FORMAT   what the panel shows: "svg", the interactive flame graph, or
           "folded", the stacks as text"""
import sys

from debug_toolbar.panels import Panel
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.html import escape
from django.utils.safestring import mark_safe

from . import _embed, _native
from ._ptrace_permission import Refused
from ._region import ProfileError, profile

DEFAULTS = {"HZ": 1000, "THREADS": False, "FORMAT": "svg"}
SHOWN = ("svg", "folded")


def config():
    """PYFLAME_CONFIG over the defaults, checked."""
    given = getattr(settings, "PYFLAME_CONFIG", None) or {}
    unknown = sorted(set(given) - set(DEFAULTS))
    if unknown:
        raise ImproperlyConfigured("PYFLAME_CONFIG has no setting %s: it takes %s"
                                   % (", ".join(unknown), ", ".join(sorted(DEFAULTS))))
    cfg = dict(DEFAULTS, **given)
    if cfg["FORMAT"] not in SHOWN:
        raise ImproperlyConfigured("PYFLAME_CONFIG['FORMAT'] is %r: the panel shows %s"
                                   % (cfg["FORMAT"], " or ".join(map(repr, SHOWN))))
    return cfg


class FlamegraphPanel(Panel):
    """The flame graph of the request's thread, sampled by pyflame."""

    title = "Flame graph"
    has_content = True

    @property
    def nav_subtitle(self):
        stats = self.get_stats()
        if "samples" in stats:
            return "%d samples" % stats["samples"]
        return "not profiled" if stats else ""

    def process_request(self, request):
        cfg = config()
        region = profile(hz=cfg["HZ"], threads=cfg["THREADS"],
                         label="%s %s" % (request.method, request.path))
        try:
            taken = region.__enter__()
        except (ProfileError, Refused, _native.NotFound) as error:
            self.record_stats({"error": str(error)})  # served all the same
            return super().process_request(request)
        raised = (None, None, None)
        try:
            return super().process_request(request)
        except BaseException:
            raised = sys.exc_info()
            raise
        finally:
            try:
                region.__exit__(*raised)
                self.record_stats(self._shown(taken, cfg["FORMAT"]))
            except ProfileError as error:
                self.record_stats({"error": str(error)})

    @staticmethod
    def _shown(taken, fmt):
        if fmt == "svg":
            html = _embed.iframe(taken.svg)
        else:
            html = "<pre>%s</pre>" % escape(taken.folded)
        return {"html": html, "samples": taken.samples}

    @property
    def content(self):
        stats = self.get_stats()
        if "html" in stats:
            return mark_safe(stats["html"])
        return mark_safe("<p>This request was not profiled: %s</p>"
                         % escape(stats.get("error", "the panel was not enabled for it")))
