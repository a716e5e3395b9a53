"""Helpers shared by the functional tests (tests/functional) and the
benchmark (tests/bench), both of which import them from this package."""
