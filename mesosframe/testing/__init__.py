"""Fixtures and builders shipped with mesosframe, for its own tests and for users' tests."""
