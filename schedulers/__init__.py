"""Schedulers built on mesosframe: longrun (Marathon-compatible) and cron (Chronos-compatible)."""
